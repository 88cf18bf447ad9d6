"""How fast is pick(), and what does deescalate cost at start-up and in memory?

Run with ``python benchmarks/bench_pick.py`` (add ``--instructions`` to also count
instructions under valgrind's callgrind, which is repeatable where wall time is
not), from a venv where the package is installed plainly (``pip install .``):
the ``test`` extra adds a startup hook to every interpreter. Nothing here is a
test: it prints figures and the targets they are meant to meet.

Every figure is compared with a baseline measured in the same run (a bare dict
lookup, stdlib gettext, Babel's own formatting, a bare interpreter). Shared
machines are noisy, so each comparison alternates the subject and its baseline
round by round and reports the median of the per-round ratios: a burst of
noise slows both sides of a round alike instead of skewing one of them.
"""

from __future__ import annotations

import datetime
import gettext
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal

from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.numbers import format_currency

import deescalate as de
from deescalate.i18n import get_locale

ROUNDS = 25

_FLOOR = (
    "import babel.numbers\n"
    "from pydantic import BaseModel, ConfigDict\n"
    "class Model(BaseModel):\n"
    "    model_config = ConfigDict(defer_build=True)\n"
    "    text: str = ''\n"
)
"""The start-up every library built on pydantic models and Babel's numbers pays first."""

_BABEL_FIRST_MONEY = _FLOOR + (
    "import decimal\nbabel.numbers.format_currency(decimal.Decimal('12.5'), 'DKK', locale='da')\n"
)
"""The floor plus Babel's own first money formatting in ``da``: what any such pick pays."""

_BABEL_MONEY_EVERYWHERE = _FLOOR + (
    "for l in ['af', 'da', 'en_GB', 'ko', 'ro', 'zh_Hans', 'zh_Hant_TW']:\n"
    "    babel.numbers.format_currency(12.5, 'EUR', locale=l)\n"
)
"""The floor plus Babel formatting money in the CLDR locales the shipped catalogues use."""

_FIRST_PICK = (
    "import deescalate, decimal; deescalate.pick('resolve', situation='billing-error', "
    "locale='da', values={'amount': decimal.Decimal('12.5'), 'currency': 'DKK'})"
)


def _per_call_ns(func: Callable[[], object], number: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(number):
        func()
    return (time.perf_counter_ns() - start) / number


def compare(
    subject: Callable[[], object], baseline: Callable[[], object], number: int
) -> tuple[float, float, float]:
    """Median ns per call of subject and baseline, and the median per-round ratio."""
    subject()
    baseline()
    pairs = []
    for _ in range(ROUNDS):
        base = _per_call_ns(baseline, number)
        subj = _per_call_ns(subject, number)
        pairs.append((subj, base))
    return (
        statistics.median(s for s, _ in pairs),
        statistics.median(b for _, b in pairs),
        statistics.median(s / b for s, b in pairs),
    )


def gettext_baseline() -> gettext.GNUTranslations:
    """A real compiled catalogue with one message, loaded by the stdlib."""
    catalog = Catalog(locale="da")
    catalog.add("I'm here to help.", "Jeg er her for at hjælpe.")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


_CACHE = tempfile.TemporaryDirectory(prefix="deescalate-bench-")


def _child_env() -> dict[str, str]:
    """The environment of the fresh interpreters: bytecode cached as after a real install.

    An installed wheel has its bytecode compiled; a source checkout run with
    PYTHONDONTWRITEBYTECODE would recompile every module on every start, which
    measures the compiler, not deescalate. A private cache prefix keeps the tree clean.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = _CACHE.name
    # String hashing decides dict collisions: a fixed seed makes instruction counts repeat.
    env["PYTHONHASHSEED"] = "0"
    return env


def _run_ms(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return (time.perf_counter() - start) * 1000


def startup(code: str, baseline: str, runs: int = 15) -> tuple[float, float]:
    """Median wall ms of a fresh interpreter running ``code``, and of ``baseline``."""
    env = _child_env()
    _run_ms(code, env)  # fill the bytecode cache
    _run_ms(baseline, env)
    pairs = [(_run_ms(code, env), _run_ms(baseline, env)) for _ in range(runs)]
    return statistics.median(c for c, _ in pairs), statistics.median(b for _, b in pairs)


def peak_rss_mib(code: str) -> float:
    """Peak resident memory of a fresh interpreter after running ``code``, in MiB.

    Read from /proc (VmHWM): getrusage's ru_maxrss can carry over the parent's peak.
    """
    probe = code + (
        "\nprint(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, env=_child_env()
    )
    return int(out.stdout.split()[-1]) / 1024


def _no_op(
    stage: object,
    *,
    situation: object = "general",
    locale: object = "en",
    register: object = None,
    channel: object = None,
    values: object = None,
    seed: object = None,
    gloss: object = None,
    strict: object = False,
    entry: object = None,
    variant: object = None,
) -> None:
    """A function with pick's keyword-only signature that does nothing: the cost of the call."""


def _warm_playbook(book: de.Phrasebook) -> Callable[[], object]:
    """A playbook call that is not a repeat: the identical-call cache is emptied, so the
    arguments are checked, normalised and a new result is made (the contents made for the
    normalised request, like the index, are warm)."""

    def call() -> object:
        book._playbooks.clear()  # the identical-call cache only; a dict.clear costs ~50 ns
        return book.playbook("late-delivery", locale="da")

    return call


def _new_amount(method: Callable[..., object]) -> Callable[[], object]:
    """A money pick (or text()) with an amount never seen before."""
    counter = iter(range(10**9))

    def call() -> object:
        amount = Decimal(next(counter)) / 100
        return method("resolve", situation="billing-error", locale="da", seed=1,
                      values={"amount": amount, "currency": "DKK"})  # fmt: skip

    return call


def _new_amount_babel() -> tuple[str, Callable[[], object]]:
    """Babel formatting an amount never seen before, with a cached Locale."""
    da = get_locale("da")
    counter = iter(range(10**9))
    return (
        "babel format_currency, a new amount",
        lambda: format_currency(Decimal(next(counter)) / 100, "DKK", locale=da),
    )


def _workloads() -> dict[str, Callable[[], object]]:
    """The operations whose instructions --instructions counts, warmed up."""
    book = de.Phrasebook.default()
    da = get_locale("da")
    amount = Decimal("12.5")
    money = {"amount": amount, "currency": "DKK"}
    text = {"summary": "pakken er ikke kommet"}
    day = datetime.date(2026, 11, 30)
    table = {("restate", "general", "da"): "Lad mig lige være sikker: {summary}."}
    translations = gettext_baseline()
    work: dict[str, Callable[[], object]] = {
        "pick-plain": lambda: book.pick("calm", locale="da", seed=1),
        "gettext": lambda: translations.gettext("I'm here to help."),
        "pick-text": lambda: book.pick("restate", locale="da", seed=1, values=text),
        "format-map": lambda: table["restate", "general", "da"].format_map(text),
        "text-text": lambda: book.text("restate", locale="da", seed=1, values=text),
        "no-op-call": lambda: _no_op("restate", locale="da", seed=1, values=text),
        "pick-money": lambda: book.pick(
            "resolve", situation="billing-error", locale="da", seed=1, values=money
        ),
        "format-currency": lambda: format_currency(amount, "DKK", locale=da),
        "pick-date": lambda: book.pick(
            "resolve", situation="late-delivery", locale="da", seed=1, values={"date": day}
        ),
        "format-date": lambda: format_date(day, format="long", locale=da),
        "text-plain": lambda: book.text("calm", locale="da", seed=1),
        "playbook-cached": lambda: book.playbook("late-delivery", locale="da"),
        "playbook-warm": _warm_playbook(book),
        "pick-money-new": _new_amount(book.pick),
        "format-currency-new": _new_amount_babel()[1],
    }
    for func in work.values():
        func()
    return work


def _callgrind(*args: str) -> int:
    """Instructions executed by a fresh interpreter run with ``args``, start to exit."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, *args],
            check=True,
            capture_output=True,
            env=_child_env(),
        )
        with open(out, encoding="utf-8") as report:
            totals = [line for line in report if line.startswith("totals:")]
        return int(totals[0].split()[1])


def _instructions(name: str, number: int) -> int:
    """Instructions executed by a child running ``number`` calls of one workload."""
    return _callgrind(__file__, "--workload", name, str(number))


_HEAVY = frozenset(["playbook-warm"])
"""Workloads counted over fewer calls (each costs tens of microseconds)."""


def _per_call(name: str) -> float:
    """Instructions one more call of a workload costs: the difference between two runs
    of many calls, so the start-up and the warm-up cancel out and the occasional garbage
    collection the calls' allocations cause is counted in its share."""
    low, high = (200, 1200) if name in _HEAVY else (2000, 12000)
    return (_instructions(name, high) - _instructions(name, low)) / (high - low)


def instruction_counts() -> None:
    """Instructions per call under valgrind's callgrind: repeatable, unlike wall time."""
    print("\nInstructions per call (valgrind callgrind; 12,000 calls minus 2,000, or 1,200 - 200)")
    pairs = [
        ("pick, no values, seed", "pick-plain", "gettext", "target <= 3x"),
        ("text(), no values, seed", "text-plain", "gettext", "target <= 2.5x"),
        ("playbook, identical call (cached)", "playbook-cached", "gettext", ""),
        ("playbook, warm (result not cached)", "playbook-warm", "gettext", ""),
        ("pick, one text value", "pick-text", "format-map", "target < 1.5x"),
        ("text(), one text value", "text-text", "format-map", "target < 1.5x"),
        ("(a no-op call with pick's signature)", "no-op-call", "format-map", "the floor"),
        (
            "pick, one money value, a repeated amount",
            "pick-money",
            "format-currency",
            "target <= 0.5x",
        ),
        (
            "pick, one money value, a new amount",
            "pick-money-new",
            "format-currency-new",
            "target <= 1.15x",
        ),
        ("pick, one date value", "pick-date", "format-date", ""),
    ]
    _instructions("none", 0)  # the first child fills the bytecode cache
    for label, subject, baseline, note in pairs:
        subj = _per_call(subject)
        base = _per_call(baseline)
        row(label, subj, "ins", subj / base, note)
        row(f"  vs {baseline}", base, "ins")

    print("\nCold start in instructions (a whole fresh interpreter; millions)")
    _callgrind("-c", _FIRST_PICK)  # fill the bytecode cache
    floor = _callgrind("-c", _FLOOR) / 1e6
    row("(floor: pydantic, Babel numbers, one model)", floor, "M")
    for label, code in [
        ("python -c pass", "pass"),
        ("import deescalate", "import deescalate"),
        ("import + first pick with money (da)", _FIRST_PICK),
        ("(Babel's own first format_currency, da)", _BABEL_FIRST_MONEY),
    ]:
        count = _callgrind("-c", code) / 1e6
        row(label, count, "M", count / floor, "of the floor")


def row(label: str, value: float, unit: str, ratio: float | None = None, note: str = "") -> None:
    shown = f"{ratio:6.2f}x" if ratio is not None else " " * 7
    print(f"  {label:<44} {value:10.1f} {unit:<3} {shown}  {note}")


def main() -> None:
    book = de.Phrasebook.default()
    da = get_locale("da")
    money = {"amount": Decimal("12.5"), "currency": "DKK"}
    day = datetime.date(2026, 11, 30)
    text = {"summary": "pakken er ikke kommet"}
    table = {("restate", "general", "da"): "Lad mig lige være sikker: {summary}."}
    key = ("restate", "general", "da")
    translations = gettext_baseline()

    print(f"deescalate {de.__version__}, Python {sys.version.split()[0]}, {ROUNDS} rounds each\n")
    print("Warm calls: ns per call (subject, baseline) and the median ratio of the rounds")
    gettext_hit = ("stdlib gettext hit", lambda: translations.gettext("I'm here to help."))
    format_map = ("dict lookup + str.format_map", lambda: table[key].format_map(text))
    currency = (
        "babel format_currency, cached Locale",
        lambda: format_currency(Decimal("12.5"), "DKK", locale=da),
    )
    dates = ("babel format_date, cached Locale", lambda: format_date(day, format="long", locale=da))
    # (label, subject, (baseline label, baseline), calls per round, note)
    comparisons: list[
        tuple[str, Callable[[], object], tuple[str, Callable[[], object]], int, str]
    ] = [
        (
            "pick, no values, seed",
            lambda: book.pick("calm", locale="da", seed=1),
            gettext_hit,
            20000,
            "target <= 3x",
        ),
        ("text(), no values, seed", lambda: book.text("calm", locale="da", seed=1), gettext_hit,
         20000, "target <= 2.5x"),
        ("playbook, identical call (cached)", lambda: book.playbook("late-delivery", locale="da"),
         gettext_hit, 20000, "target <= 1 us"),
        ("playbook, warm (result not cached)", _warm_playbook(book), gettext_hit, 2000,
         "target <= 20 us"),
        ("pick, no values, random variant", lambda: book.pick("calm", locale="da"), gettext_hit,
         20000, ""),
        ("pick, one text value", lambda: book.pick("restate", locale="da", seed=1, values=text),
         format_map, 20000, "target < 1.5x"),
        ("text(), one text value", lambda: book.text("restate", locale="da", seed=1, values=text),
         format_map, 20000, "target < 1.5x"),
        ("(a no-op call with pick's signature)",
         lambda: _no_op("restate", locale="da", seed=1, values=text),
         format_map, 20000, "the floor of any call shaped like pick"),
        ("pick, one money value, a repeated amount",
         lambda: book.pick("resolve", situation="billing-error", locale="da", seed=1, values=money),
         currency, 2000, "target <= 0.5x"),
        ("pick, one money value, a new amount", _new_amount(book.pick), _new_amount_babel(), 2000,
         "target <= 1.15x"),
        ("text(), one money value, a new amount", _new_amount(book.text), _new_amount_babel(), 2000,
         ""),
        ("pick, one date value",
         lambda: book.pick(
             "resolve", situation="late-delivery", locale="da", seed=1, values={"date": day}
         ),
         dates, 2000, ""),
        ("babel format_currency, locale string",
         lambda: format_currency(Decimal("12.5"), "DKK", locale="da"),
         currency, 2000, "why the picker caches Locale objects"),
    ]  # fmt: skip
    bare_dict = min(_per_call_ns(lambda: table[key], 100000) for _ in range(5))
    row("(bare dict lookup of a tuple key)", bare_dict, "ns")
    for label, subject, (base_label, baseline), number, note in comparisons:
        subj, base, ratio = compare(subject, baseline, number)
        row(label, subj, "ns", ratio, note)
        row(f"  vs {base_label}", base, "ns")

    print("\nCold start: ms wall for a fresh interpreter (bytecode cached, as installed)")
    print(
        "  each next to the floor (pydantic, Babel's numbers, one model class) in the same rounds"
    )
    cases = [
        ("python -c pass", "pass", ""),
        ("import deescalate", "import deescalate", ""),
        ("import + first pick with money (da)", _FIRST_PICK, "target <= 1.1x the floor"),
        (
            "import + all locales loaded",
            "import deescalate; deescalate.Phrasebook.default().load_all()",
            "",
        ),
    ]
    cases.append(("(Babel's own first format_currency, da)", _BABEL_FIRST_MONEY, "what Babel adds"))
    for label, code, note in cases:
        subj, floor = startup(code, _FLOOR)
        row(label, subj, "ms", subj / floor, note)
        row("  minus the floor", subj - floor, "ms", None, f"(floor: {floor:.0f} ms)")

    print("\nMemory: peak RSS in MiB")
    row("python -c pass", peak_rss_mib("pass"), "MiB")
    row("import deescalate", peak_rss_mib("import deescalate"), "MiB")
    six = (
        "import deescalate as de\nb = de.Phrasebook.default()\n"
        "[b.pick('calm', locale=l, seed=1) for l in b.locales]"
    )
    row("all locales loaded, one pick each", peak_rss_mib(six), "MiB")
    money_in_each = six.replace(
        "b.pick('calm', locale=l, seed=1)",
        "b.pick('resolve', situation='billing-error', locale=l, seed=1, "
        "values={'amount': 12.5, 'currency': 'EUR'})",
    )
    row(
        "... and a money value formatted in each",
        peak_rss_mib(money_in_each),
        "MiB",
        None,
        "target <= 36",
    )
    row("(floor + Babel's money in the same CLDR locales)", peak_rss_mib(_BABEL_MONEY_EVERYWHERE),
        "MiB", None, "Babel's own cost")  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:2] == ["--workload"]:
        workloads = _workloads()
        call = workloads.get(sys.argv[2], lambda: None)
        for _ in range(int(sys.argv[3])):
            call()
    else:
        main()
        if "--instructions" in sys.argv[1:]:
            instruction_counts()
