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
from deescalate.listening import Score, score

DATA = Path(__file__).parent / "data" / "listen-fresh"
SAFETY = frozenset({de.Signal.SELF_HARM, de.Signal.VIOLENCE})
LOCALES = de.Phrasebook.default().locales
KINDS = frozenset({"", "figure"})


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
    """No set lies unused: each file is named for a locale the phrasebook ships."""
    assert {p.stem for p in DATA.glob("*.toml")} <= set(LOCALES)


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
def test_fresh_set_meets_the_targets(locale: str) -> None:
    """Self-harm and violence: recall ≥ 0.95, precision ≥ 0.9; every other signal F1 ≥ 0.85."""
    items = _fresh(locale)
    scores = score(de.Phrasebook.default(), locale, [(u.text, u.signals) for u in items])
    assert _missed_targets(scores) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_no_figure_of_speech_in_the_fresh_set_is_heard_as_safety(locale: str) -> None:
    """ "Die wagtyd maak my dood", "min kone slår mig ihjel" never switch safety mode on."""
    assert _figures_heard_as_safety(locale, _fresh(locale)) == []


def test_the_targets_are_the_issue_s_own() -> None:
    """The target check flags a safety signal just under recall 0.95 or precision 0.9, and any
    other signal just under F1 0.85, so the targets cannot drift looser unnoticed."""
    violence, abuse, manager = de.Signal.VIOLENCE, de.Signal.ABUSE, de.Signal.WANTS_MANAGER
    scores = {
        violence: Score(violence, 18, 0, 1),  # recall 0.947
        abuse: Score(abuse, 6, 1, 1),  # F1 0.857
        manager: Score(manager, 5, 1, 1),  # F1 0.833
    }
    assert [signal for signal, _ in _missed_targets(scores)] == [violence, manager]
    assert _missed_targets({violence: Score(violence, 9, 1, 0)}) == []  # precision 0.9
