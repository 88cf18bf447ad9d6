"""Listening measured on independent labelled sets, written without seeing the phrase lists.

``tests/data/listen/`` was written next to the ``[signals]`` tables, so it can
only say that the lists hear what their authors foresaw. The sets in
``tests/data/listen-fresh/<locale>.toml`` were written blind by native-speaking
contact-centre trainers, before the lists were read: what customers say on the
phone, in chat and in email, with figures of speech and negations. Each file's
header says what was counted as which signal. The locales come from the
phrasebook, so a newly shipped locale fails here until its set exists;
``benchmarks/bench_listen.py`` prints the same figures.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

import deescalate as de
from deescalate.listening import SIGNAL_ORDER, Score, score

DATA = Path(__file__).parent / "data" / "listen-fresh"
SAFETY = frozenset({de.Signal.SELF_HARM, de.Signal.VIOLENCE})
LOCALES = de.Phrasebook.default().locales
KINDS = frozenset({"", "figure"})

# F1 per signal in SIGNAL_ORDER (self-harm, violence, legal threat, abuse, manager, distress,
# calming down) and figures of speech heard as safety, as first measured, before any phrase
# list was tuned against these sets. They are floors: a change to a list must not fall below.
FIRST_SIGHT: dict[str, tuple[tuple[float, ...], int]] = {
    "af": ((0.90, 0.00, 0.93, 0.61, 0.66, 0.50, 0.76), 0),
    "da": ((0.66, 0.66, 0.93, 0.85, 0.28, 0.66, 0.71), 2),
    "en": ((0.80, 0.72, 0.92, 0.54, 0.60, 0.80, 0.54), 0),
    "ko": ((0.50, 0.80, 0.92, 0.85, 0.90, 0.76, 0.76), 0),
    "ro": ((0.80, 0.80, 0.92, 0.66, 0.50, 0.76, 0.76), 0),
    "zh_Hans": ((0.66, 0.50, 0.85, 0.85, 0.80, 0.54, 0.76), 0),
}


@dataclass(frozen=True)
class Utterance:
    text: str
    signals: frozenset[de.Signal]
    kind: str


def _fresh(locale: str) -> list[Utterance]:
    data = tomllib.loads((DATA / f"{locale}.toml").read_text(encoding="utf-8"))
    return [
        Utterance(
            item["text"], frozenset(de.Signal(s) for s in item["signals"]), item.get("kind", "")
        )
        for item in data["utterance"]
    ]


def _figures_heard_as_safety(locale: str, items: list[Utterance]) -> list[str]:
    book = de.Phrasebook.default()
    return [
        u.text
        for u in items
        if u.kind == "figure"
        and not u.signals & SAFETY
        and book.listen(u.text, locale=locale).safety
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_has_a_fresh_set_of_the_agreed_size(locale: str) -> None:
    """≥ 45 utterances: ≥ 5 per signal, ≥ 12 plain lines without any, ≥ 6 figures of speech."""
    items = _fresh(locale)
    assert len(items) >= 45
    for signal in de.Signal:
        assert sum(signal in u.signals for u in items) >= 5, signal
    assert sum(not u.signals and u.kind != "figure" for u in items) >= 12
    assert sum(u.kind == "figure" for u in items) >= 6
    assert {u.kind for u in items} <= KINDS
    assert len({u.text for u in items}) == len(items), "an utterance is listed twice"


def test_every_fresh_set_is_for_a_shipped_locale() -> None:
    """No set lies unused: each file is named for a locale the phrasebook ships or is adding."""
    waiting = {"zh_Hant"}  # its catalogue is being written; the set was written first
    assert {p.stem for p in DATA.glob("*.toml")} <= {*LOCALES, *waiting}


def _missed_targets(scores: dict[de.Signal, Score]) -> list[tuple[de.Signal, Score]]:
    """The signals that miss the issue's targets: safety R ≥ 0.95 and P ≥ 0.9, else F1 ≥ 0.85."""
    return [
        (signal, result)
        for signal, result in scores.items()
        if (
            not (result.recall >= 0.95 and result.precision >= 0.9)
            if signal in SAFETY
            else result.f1 < 0.85
        )
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_fresh_set_stays_at_or_above_the_first_sight_figures(locale: str) -> None:
    """No signal's F1 falls below what the phrase lists scored before they saw the set.

    A locale shipped after the sets were first measured has no first-sight row and is held
    to the issue's targets instead.
    """
    items = _fresh(locale)
    scores = score(de.Phrasebook.default(), locale, [(u.text, u.signals) for u in items])
    if locale not in FIRST_SIGHT:
        assert _missed_targets(scores) == []
        assert _figures_heard_as_safety(locale, items) == []
        return
    floors, false_safety = FIRST_SIGHT[locale]
    for signal, floor in zip(SIGNAL_ORDER, floors, strict=True):
        assert scores[signal].f1 >= floor, (signal, scores[signal])
    assert len(_figures_heard_as_safety(locale, items)) <= false_safety
