"""How well, and how fast, does listen() hear what customers say?

Run with ``python benchmarks/bench_listen.py`` from a venv with the package
installed. Nothing here is a test: it prints figures and the targets they are
meant to meet.

1. Accuracy: precision, recall and F1 of every signal on the labelled
   utterances in ``tests/data/listen/<locale>.toml`` (written natively, apart
   from the phrase lists), and how many figures of speech were heard as a
   safety signal. The same figures follow for the independent sets in
   ``tests/data/listen-fresh/`` (written blind, before the phrase lists were
   read), for every locale that has one.
2. Speed: one warm ``listen`` on a 200-character utterance per locale, next to
   the baseline the same run measures: one ``re.search`` over the same text with
   one alternation of all the locale's phrases written out literally. ``listen``
   is timed both ways it can run: with the ``fast`` extra's automaton (when it is
   installed) and with the regular expression's scan alone. Rounds alternate
   subjects and baseline; medians are reported, and the median per-round ratio
   of the installed way to the baseline.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import deescalate as de
from deescalate import _prefilter, listening
from deescalate.listening import SIGNAL_ORDER, score

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "listen"
FRESH = DATA.with_name("listen-fresh")
SAFETY = {de.Signal.SELF_HARM, de.Signal.VIOLENCE}
ROUNDS = 9
NUMBER = 500


def _labelled(locale: str, folder: Path = DATA) -> list[tuple[str, frozenset[de.Signal], str]]:
    data = tomllib.loads((folder / f"{locale}.toml").read_text(encoding="utf-8"))
    return [
        (u["text"], frozenset(de.Signal(s) for s in u["signals"]), u.get("kind", ""))
        for u in data["utterance"]
    ]


def _per_call_us(func: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    for _ in range(NUMBER):
        func()
    return (time.perf_counter_ns() - start) / NUMBER / 1000


def accuracy(book: de.Phrasebook, folder: Path = DATA) -> bool:
    """Print precision/recall per signal and locale; return whether every target is met."""
    met = True
    print(f"accuracy on the labelled sets in {folder.name}/ (direct signals only)")
    print(f"{'locale':8} {'signal':14} {'n':>3} {'P':>5} {'R':>5} {'F1':>5}  target")
    for locale in book.locales:
        if not (folder / f"{locale}.toml").is_file():
            continue
        items = _labelled(locale, folder)
        scores = score(book, locale, [(text, signals) for text, signals, _ in items])
        for signal in SIGNAL_ORDER:
            result = scores[signal]
            carried = result.true_positives + result.false_negatives
            if signal in SAFETY:
                ok = result.recall >= 0.95 and result.precision >= 0.9
                target = "R ≥ 0.95, P ≥ 0.9"
            else:
                ok = result.f1 >= 0.85
                target = "F1 ≥ 0.85"
            met &= ok
            print(
                f"{locale:8} {signal.value:14} {carried:>3} {result.precision:5.2f} "
                f"{result.recall:5.2f} {result.f1:5.2f}  {target}: {'met' if ok else 'NOT met'}"
            )
        figures = [
            text for text, signals, kind in items if kind == "figure" and not signals & SAFETY
        ]
        false_safety = sum(book.listen(text, locale=locale).safety for text in figures)
        met &= false_safety == 0
        print(f"{locale:8} figures of speech heard as safety: {false_safety} of {len(figures)}")
    return met


def _utterances(locale: str) -> tuple[str, str, str]:
    """About 200 characters of this locale's labelled utterances: a plain question about an
    order (the common case), the look-alikes that carry no signal, and ones that carry one."""
    items = _labelled(locale)
    plain = [u for u, signals, kind in items if not signals and kind != "figure"]
    texts = [" ".join(plain * (1 + 200 // max(1, len(plain[0]))))[:200]]
    for wanted in (False, True):
        text = ""
        for utterance, signals, kind in items:
            if bool(signals) == wanted and (wanted or kind == "figure") and len(text) < 200:
                text += utterance + " "
        texts.append(text[:200])
    return texts[0], texts[1], texts[2]


def _scan_only(book: de.Phrasebook, locale: str) -> None:
    """Put the matcher without the automaton where listen() looks for the locale's."""
    data = book.locale_data(locale)
    listening._MATCHERS[id(data)] = (data, listening._build(data, fast=False))


def speed(book: de.Phrasebook) -> None:
    """Print warm listen() per locale, both ways, next to one re.search over its phrases."""
    fast = _prefilter.available()
    print("\nspeed: one warm listen() on a 200-character utterance, µs (medians)")
    print(f"automaton (the 'fast' extra): {'installed' if fast else 'NOT installed'}")
    print(
        f"{'locale':8} {'utterance':10} {'listen':>7} {'scan only':>9} {'re.search':>9} "
        f"{'ratio':>6}  target ≤ 20 µs"
    )
    for locale in book.locales:
        data = book.locale_data(locale)
        phrases = [p for table in data.signals.values() for p in (*table.phrases, *table.cues)]
        baseline = re.compile("|".join(re.escape(p) for p in phrases))
        for label, text in zip(
            ("plain", "look-alike", "signals"), _utterances(locale), strict=True
        ):
            times: dict[str, list[float]] = {"listen": [], "scan": [], "base": []}
            ratios = []
            for _ in range(ROUNDS):
                listening.cache_clear()
                book.listen(text, locale=locale)
                subject = _per_call_us(lambda: book.listen(text, locale=locale))  # noqa: B023
                _scan_only(book, locale)
                book.listen(text, locale=locale)
                scan = _per_call_us(lambda: book.listen(text, locale=locale))  # noqa: B023
                base = _per_call_us(lambda: baseline.search(text))  # noqa: B023
                times["listen"].append(subject)
                times["scan"].append(scan)
                times["base"].append(base)
                ratios.append(subject / base)
            listen_us, scan_us, base_us = (statistics.median(times[k]) for k in times)
            print(
                f"{locale:8} {label:10} {listen_us:7.1f} {scan_us:9.1f} {base_us:9.1f} "
                f"{statistics.median(ratios):6.2f}  {'met' if listen_us <= 20 else 'not met'}"
            )
    listening.cache_clear()


def main() -> int:
    book = de.Phrasebook.default()
    met = accuracy(book)
    print()
    met &= accuracy(book, FRESH)
    speed(book)
    print("\nall accuracy targets met" if met else "\nsome accuracy target is not met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
