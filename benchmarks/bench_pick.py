"""How fast is pick(), and what does deescalate cost at start-up and in memory?

Run with ``python benchmarks/bench_pick.py``. Every figure is compared with a
baseline measured in the same run on the same machine (a bare dict lookup,
stdlib gettext, Babel's own formatting), so the ratios mean something even on
a noisy machine. Nothing here is a test: it prints figures and targets.
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
import timeit
from collections.abc import Callable
from decimal import Decimal

from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.numbers import format_currency

import deescalate as de
from deescalate.i18n import get_locale

REPEAT = 7


def median_ns(func: Callable[[], object], number: int = 20000) -> float:
    """Median nanoseconds per call over REPEAT timing runs of ``number`` calls."""
    func()  # warm caches
    runs = timeit.repeat(func, number=number, repeat=REPEAT)
    return statistics.median(runs) / number * 1e9


def gettext_baseline() -> gettext.GNUTranslations:
    """A real compiled catalogue with one message, loaded by the stdlib."""
    catalog = Catalog(locale="da")
    catalog.add("I'm here to help.", "Jeg er her for at hjælpe.")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _child_env() -> dict[str, str]:
    """The environment of the fresh interpreters: bytecode cached as after a real install.

    An installed wheel has its bytecode compiled; a source checkout run with
    PYTHONDONTWRITEBYTECODE would recompile every module on every start, which
    measures the compiler, not deescalate. A private cache prefix keeps the tree clean.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = _CACHE.name
    return env


_CACHE = tempfile.TemporaryDirectory(prefix="deescalate-bench-")


def wall_ms(code: str, runs: int = 7) -> float:
    """Median wall time of a fresh interpreter running ``code``, in milliseconds."""
    env = _child_env()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)  # fill the cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def peak_rss_mib(code: str) -> float:
    """Peak resident memory of a fresh interpreter after running ``code``, in MiB.

    Read from /proc (VmHWM): getrusage's ru_maxrss can carry over the parent's peak.
    """
    probe = code + (
        "\nprint(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    env = _child_env()
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, env=env
    )
    return int(out.stdout.split()[-1]) / 1024


def row(
    label: str, value: float, unit: str, baseline: float | None = None, target: str = ""
) -> None:
    ratio = f"{value / baseline:6.2f}x" if baseline else " " * 7
    print(f"  {label:<52} {value:10.1f} {unit:<3} {ratio}  {target}")


def main() -> None:
    book = de.Phrasebook.default()
    da = get_locale("da")
    money = {"amount": Decimal("12.5"), "currency": "DKK"}
    day = datetime.date(2026, 11, 30)
    table = {("calm", "general", "da"): "Jeg er her for at hjælpe."}
    key = ("calm", "general", "da")
    translations = gettext_baseline()
    template = "Lad mig lige være sikker på, at jeg har forstået det rigtigt: {summary}."

    print(
        f"deescalate {de.__version__}, Python {sys.version.split()[0]}, median of {REPEAT} runs\n"
    )
    print("Warm calls (ns per call)")
    dict_ns = median_ns(lambda: table[key])
    gettext_ns = median_ns(lambda: translations.gettext("I'm here to help."))
    format_ns = median_ns(lambda: template.format_map({"summary": "pakken er ikke kommet"}))
    currency_ns = median_ns(lambda: format_currency(Decimal("12.5"), "DKK", locale=da), 5000)
    currency_str_ns = median_ns(lambda: format_currency(Decimal("12.5"), "DKK", locale="da"), 5000)
    date_ns = median_ns(lambda: format_date(day, format="long", locale=da), 5000)
    row("baseline: dict lookup of a tuple key", dict_ns, "ns")
    row("baseline: stdlib gettext hit", gettext_ns, "ns")
    row("baseline: dict lookup + str.format_map", dict_ns + format_ns, "ns")
    row("baseline: babel format_currency, cached Locale", currency_ns, "ns")
    row("baseline: babel format_currency, locale string", currency_str_ns, "ns")
    row("baseline: babel format_date, cached Locale", date_ns, "ns")

    pick_ns = median_ns(lambda: book.pick("calm", locale="da", seed=1))
    pick_random_ns = median_ns(lambda: book.pick("calm", locale="da"))
    text_ns = median_ns(
        lambda: book.pick("restate", locale="da", seed=1, values={"summary": "pakken er væk"})
    )
    money_ns = median_ns(
        lambda: book.pick("resolve", situation="billing-error", locale="da", seed=1, values=money),
        5000,
    )
    date_pick_ns = median_ns(
        lambda: book.pick(
            "resolve", situation="late-delivery", locale="da", seed=1, values={"date": day}
        ),
        5000,
    )
    row("pick, no values, seed", pick_ns, "ns", gettext_ns, "vs gettext: target < 5x (aim 3x)")
    row("pick, no values, random", pick_random_ns, "ns", gettext_ns, "vs gettext")
    row(
        "pick, one text value",
        text_ns,
        "ns",
        dict_ns + format_ns,
        "vs dict+format_map: target < 1.5x",
    )
    row("pick, one money value", money_ns, "ns", currency_ns, "vs format_currency: target < 1.2x")
    row("pick, one date value", date_pick_ns, "ns", date_ns, "vs format_date")

    print("\nCold start (ms wall, fresh interpreter)")
    bare = wall_ms("pass")
    row("baseline: python -c pass", bare, "ms")
    row("import deescalate", wall_ms("import deescalate"), "ms", bare)
    first_pick = (
        "import deescalate, decimal; deescalate.pick('resolve', situation='billing-error', "
        "locale='da', values={'amount': decimal.Decimal('12.5'), 'currency': 'DKK'})"
    )
    row("import + first pick with money (da)", wall_ms(first_pick), "ms", bare, "target < 200 ms")
    all_six = "import deescalate; deescalate.Phrasebook.default().load_all()"
    row("import + all six locales loaded", wall_ms(all_six), "ms", bare)

    print("\nMemory (peak RSS, MiB)")
    row("baseline: python -c pass", peak_rss_mib("pass"), "MiB")
    row("import deescalate", peak_rss_mib("import deescalate"), "MiB")
    row(
        "all six locales loaded, one pick each",
        peak_rss_mib(
            "import deescalate as de\nb = de.Phrasebook.default()\n"
            "[b.pick('calm', locale=l, seed=1) for l in b.locales]"
        ),
        "MiB",
        None,
        "target < 40 MiB",
    )


if __name__ == "__main__":
    main()
