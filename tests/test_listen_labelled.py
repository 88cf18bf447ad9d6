"""Listening measured on labelled utterances written natively in each shipped language.

The sets in ``tests/data/listen/<locale>.toml`` were written by native-level
trainers apart from the ``[signals]`` tables: what customers really say, with
figures of speech and negations that a naive matcher gets wrong. The targets
are the ones the phrase lists are held to; ``benchmarks/bench_listen.py``
prints the same figures.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

import deescalate as de
from deescalate.listening import score

DATA = Path(__file__).parent / "data" / "listen"
SAFETY = frozenset({de.Signal.SELF_HARM, de.Signal.VIOLENCE})


@dataclass(frozen=True)
class Utterance:
    text: str
    signals: frozenset[de.Signal]
    kind: str


def _labelled(locale: str) -> list[Utterance]:
    path = DATA / f"{locale}.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Utterance(
            item["text"], frozenset(de.Signal(s) for s in item["signals"]), item.get("kind", "")
        )
        for item in data["utterance"]
    ]


LOCALES = de.Phrasebook.default().locales


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_has_a_big_enough_labelled_set(locale: str) -> None:
    """Each shipped locale has ≥ 40 utterances, ≥ 5 per signal and ≥ 12 without any."""
    items = _labelled(locale)
    assert len(items) >= 40
    for signal in de.Signal:
        assert sum(signal in u.signals for u in items) >= 5, signal
    assert sum(not u.signals for u in items) >= 12
    assert any(u.kind == "figure" for u in items)


@pytest.mark.parametrize("locale", LOCALES)
def test_labelled_set_meets_the_targets(locale: str) -> None:
    """Safety recall ≥ 0.95 and precision ≥ 0.9; every other signal F1 ≥ 0.85."""
    items = _labelled(locale)
    scores = score(de.Phrasebook.default(), locale, [(u.text, u.signals) for u in items])
    for signal, result in scores.items():
        if signal in SAFETY:
            assert result.recall >= 0.95, (signal, result)
            assert result.precision >= 0.9, (signal, result)
        else:
            assert result.f1 >= 0.85, (signal, result)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_figure_of_speech_is_heard_as_a_safety_signal(locale: str) -> None:
    """ "This queue is killing me" and its kind never switch safety mode on."""
    book = de.Phrasebook.default()
    for item in _labelled(locale):
        if item.kind == "figure" and not item.signals & SAFETY:
            assert not book.listen(item.text, locale=locale).safety, item.text


@pytest.mark.parametrize("locale", LOCALES)
def test_conversation_hear_follows_each_labelled_utterance(locale: str) -> None:
    """Through Conversation.hear, each utterance leaves the state its signals imply."""
    book = de.Phrasebook.default()
    for item in _labelled(locale):
        conv = book.conversation(situation="late-delivery", locale=locale, seed=7)
        hearing = conv.hear(item.text)
        noted = set(hearing.noted)
        assert conv.safety == bool(noted & {de.Event.SELF_HARM, de.Event.VIOLENCE}), item.text
        if conv.safety:
            assert conv.situation in ("safety-self-harm", "safety-violence"), item.text
        elif de.Event.INSULT in noted:
            assert conv.ladder_step == 1 and conv.situation == "abusive-language", item.text
        else:
            assert conv.ladder_step == 0, item.text
        if noted:
            assert all(record.words == hearing.heard.text for record in conv.log), item.text
        else:
            assert conv.log == (), item.text
        if item.signals & SAFETY and hearing.heard.safety:
            assert conv.safety
