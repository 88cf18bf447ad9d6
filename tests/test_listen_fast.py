"""Listening fast: folding by whole strings, and the automaton of the ``fast`` extra.

Both shortcuts must change nothing but the time taken: folding a string at once
gives what folding it character by character gives, and the automaton's places
to try give the same signals as the regular expression's scan, on every
labelled utterance and on texts made up of the locale's own words.
"""

from __future__ import annotations

import functools
import tomllib
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deescalate as de
from deescalate import _prefilter, listening
from deescalate._patterns import (
    Style,
    _fold_char,
    fold_nfc,
    outline,
    start_literals,
    unfold,
    unfold_positions,
)

DATA = Path(__file__).parent / "data"
LOCALES = de.Phrasebook.default().locales


def _one_by_one(text: str, style: Style) -> str:
    return "".join(_fold_char(char, style) for char in text)


# Ranges the whole-string folds take as they are, and characters that test their edges.
PLAIN_RANGES = [
    (0x00, 0x80),
    (0x2600, 0x27C0),
    (0x3000, 0x3040),
    (0x3400, 0x4DC0),
    (0x4E00, 0xA000),
    (0xAC00, 0xD7A4),
    (0xFF01, 0xFF5F),
    (0x1F300, 0x1FB00),
]
TRICKY = (
    "ÅåÆæØøŒœßẞðÐþÞłŁĲĳŉ’‘ʼ`´′ǅǄ"  # ligatures, apostrophes, letters that fold into two
    "ăâîșşțţĂÂÎȘŞȚŢêëéèôûÊ"  # Romanian and Afrikaans accents, both comma and cedilla
    "\u0301\u0308\u0327\u034f\u0345\u302a\u3099\u309aｶﾞﾟ"  # combining marks, half-width kana
    "\u1100\u1161\u11a8가각힣ㄱ"  # conjoining jamo, syllables, a compatibility jamo
    "Ｔｅｓｔ１，。？！　\u3000\uf900\u2f00①ﬁ™"  # full-width, CJK compatibility, ligature fi
    "ΣσςİIıΪ\u200d\ufe0f😀👍🏽"  # Greek sigma, dotted and dotless i, emoji
    " \t\n-_'.,!?"
)


@pytest.mark.parametrize("style", list(Style))
def test_plain_characters_fold_as_they_would_one_by_one(style: Style) -> None:
    """Every character of the ranges the fast folds rely on folds the same both ways."""
    for low, high in PLAIN_RANGES:
        for code in range(low, high):
            char = chr(code)
            assert fold_nfc(char, style) == _one_by_one(char, style), hex(code)


@pytest.mark.parametrize("style", list(Style))
@settings(max_examples=400, deadline=None)
@given(
    text=st.text(
        alphabet=st.one_of(
            st.sampled_from(TRICKY),
            st.characters(min_codepoint=0x20, max_codepoint=0x24F),
            st.characters(min_codepoint=0xAC00, max_codepoint=0xAC40),
            st.characters(min_codepoint=0x4E00, max_codepoint=0x4E40),
            st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
            st.characters(codec="utf-8"),
        ),
        max_size=40,
    )
)
def test_folding_a_string_at_once_is_folding_it_one_by_one(style: Style, text: str) -> None:
    """fold_nfc gives exactly the character-by-character fold, whatever the text."""
    text = unicodedata.normalize("NFC", text)
    assert fold_nfc(text, style) == _one_by_one(text, style)


def test_the_fast_extra_is_installed_for_the_suite() -> None:
    """The suite runs with ahocorasick-rs, so the automaton's path is the one tested."""
    assert _prefilter.available()
    matcher = listening._build(de.Phrasebook.default().locale_data("en"))
    assert matcher.prefilter is not None


def test_start_literals_allow_for_repeated_letters_and_optional_marks() -> None:
    """A literal for each letter that may be the first repeated; inner marks both ways."""
    assert start_literals("kill* you", Style.SPACED) == {" kk", " kii", " kill"}
    assert " dont want " in start_literals("don't want", Style.SPACED)
    assert " don t want" in start_literals("don't want", Style.SPACED)  # cut at 10
    assert start_literals("죽고 싶", Style.EOJEOL) == {"죽죽", "죽고"}
    assert "不想活" in start_literals("不想活", Style.UNSPACED)


@pytest.mark.parametrize(
    ("text", "style", "expected"),
    [
        ("it's... me_too", Style.SPACED, " it s me too "),
        ("«nej»\tjeg", Style.SPACED, " nej jeg "),
        ("네, 알겠어요", Style.EOJEOL, "네, 알겠어요"),
        ("我 不想\u3000活", Style.UNSPACED, "我不想活"),
    ],
)
def test_outline(text: str, style: Style, expected: str) -> None:
    """The outline is what the start literals are looked for in."""
    assert outline(text, style) == expected


def _texts(locale: str) -> list[str]:
    texts = []
    for path in sorted(DATA.glob(f"listen*/{locale}.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        texts.extend(item["text"] for item in data["utterance"])
    return texts


@functools.cache
def _both(locale: str) -> tuple[listening._Matcher, listening._Matcher]:
    data = de.Phrasebook.default().locale_data(locale)
    return listening._build(data, fast=False), listening._build(data, fast=True)


@pytest.mark.parametrize("locale", LOCALES)
def test_both_paths_hear_the_same_in_every_labelled_utterance(locale: str) -> None:
    """The automaton and the regular expression's scan hear the same signals, spans and all."""
    pure, fast = _both(locale)
    texts = _texts(locale)
    assert texts
    heard = 0
    for text in texts:
        text = unicodedata.normalize("NFC", text)
        signals = listening._hear(pure, text)
        assert listening._hear(fast, text) == signals, text
        heard += bool(signals)
    assert heard >= len(texts) // 2


SEPARATORS = ["", " ", "  ", ", ", "_", "-", "'", "!\n", "…", "。", "，"]


@pytest.mark.parametrize("locale", LOCALES)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_both_paths_hear_the_same_in_text_made_of_the_locales_words(
    locale: str, data: st.DataObject
) -> None:
    """On shuffled words of the locale, with odd separators and stretched letters, the
    automaton and the scan agree."""
    words = [word for text in _texts(locale) for word in text.split()]
    chosen = data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=10))
    stretched = []
    for word in chosen:
        at = data.draw(st.integers(0, len(word)))
        times = data.draw(st.integers(1, 3))
        stretched.append(word[:at] + word[at : at + 1] * times + word[at + 1 :])
    joints = data.draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(chosen)))
    text = "".join(j + w for j, w in zip(joints, stretched, strict=False))
    text = unicodedata.normalize("NFC", text)
    pure, fast = _both(locale)
    assert listening._hear(fast, text) == listening._hear(pure, text)


def _positions_one_by_one(text: str, style: Style) -> list[int]:
    positions = []
    for index, char in enumerate(text):
        positions.extend([index] * len(_fold_char(char, style)))
    return [*positions, len(text)]


@pytest.mark.parametrize("style", list(Style))
@settings(max_examples=300, deadline=None)
@given(
    text=st.text(
        alphabet=st.one_of(
            st.sampled_from(TRICKY),
            st.characters(min_codepoint=0x20, max_codepoint=0x24F),
            st.characters(codec="utf-8"),
        ),
        max_size=30,
    )
)
def test_unfold_maps_every_folded_position_back(style: Style, text: str) -> None:
    """unfold gives, for each folded position, the character it came from (the end last)."""
    text = unicodedata.normalize("NFC", text)
    expected = _positions_one_by_one(text, style)
    moved = unfold_positions(text, style)
    assert [unfold(position, moved) for position in range(len(expected))] == expected


@pytest.mark.parametrize("style", [Style.EOJEOL, Style.UNSPACED])
def test_plain_cjk_characters_fold_into_one(style: Style) -> None:
    """The characters the CJK fast fold takes whole each fold into exactly one."""
    for low, high in PLAIN_RANGES:
        for code in range(low, high):
            assert len(_fold_char(chr(code), style)) == 1, hex(code)
