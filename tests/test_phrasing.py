"""Phrase matching and repeated wording: normalisation per script, and the repetition check."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import deescalate as de
from deescalate.checks import Severity, check
from deescalate.errors import CatalogueError
from deescalate.models import Kind, Stage
from deescalate.phrasing import Matcher, RepetitionRule, default_rule, normalise, repeated, units

# --- matching -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "phrase", "text"),
    [
        # case, punctuation and spacing
        ("Latn", "calm down", "CALM DOWN, please."),
        ("Latn", "calm down", "Please calm\u00a0 down"),
        ("Latn", "that's not my department", "That’s not my department."),
        ("Latn", "as I said", "As I said… it's on its way."),
        # diacritics, and Romanian cedilla against comma below
        ("Latn", "nu vă enervați", "Nu va enervati, vă rog."),
        ("Latn", "nu vă enervați", "Nu vă enervaţi!"),
        ("Latn", "vă rog să înțelegeți", "Vă rog să înţelegeţi situația."),
        ("Latn", "ţineţi minte", "Țineți minte că am spus."),
        ("Latn", "soos ek gesê het", "Soos ek gese het, is dit reeds gestuur."),
        # NFKC: full-width Latin letters
        ("Latn", "calm down", "ｃａｌｍ ｄｏｗｎ"),
        # placeholders are a word break
        ("Latn", "as I said", "As I said {name}, it's late."),
        # Korean: spacing varies
        ("Hang", "화 내지 마", "화내지 마세요."),
        ("Hang", "화내지 마", "화 내지 마세요."),
        ("Hang", "진정하", "고객님, 진정하세요."),
        # Chinese: no spaces, full- or half-width punctuation
        ("Hans", "请您理解", "请 您 理解。"),
        ("Hans", "亲，", "亲, 您好"),
        ("Hans", "您先别着急", "您先别着急，我来查。"),
    ],
)
def test_a_phrase_matches_however_the_text_is_typed(script: str, phrase: str, text: str) -> None:
    """Case, punctuation, spacing, accents and width don't hide a listed phrase."""
    assert Matcher([phrase], script).find(text) == [phrase]


@pytest.mark.parametrize(
    ("script", "phrase", "text"),
    [
        # whole words in Latin script
        ("Latn", "calm down", "We'll calm downstream traffic."),
        ("Latn", "jeg lover", "Jeg lovede ikke noget."),
        # punctuation written in a CJK phrase must meet punctuation
        ("Hans", "亲，", "我会亲自处理这件事。"),
        # a phrase of punctuation only never matches
        ("Latn", "...", "Wait... what?"),
        ("Hans", "。", "好的。"),
    ],
)
def test_a_phrase_does_not_match_other_words(script: str, phrase: str, text: str) -> None:
    """Only whole words match in Latin script; a CJK phrase's punctuation must be there."""
    assert Matcher([phrase], script).find(text) == []


@pytest.mark.parametrize(
    ("text", "script", "expected"),
    [
        ("Nu vă enervaţi, {name}!", "Latn", "nu va enervati"),
        ("  Så   ER   det  ", "Latn", "sa er det"),
        ("기다려 주셔서, 감사합니다!", "Hang", "기다려주셔서|감사합니다|"),
        ("请您 理解。。好吗？", "Hans", "请您理解|好吗|"),
    ],
)
def test_normalise(text: str, script: str, expected: str) -> None:
    """normalise() gives the compared form: folded, unaccented in Latin, unspaced in CJK."""
    assert normalise(text, script) == expected


# --- units and repeated wording --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "script", "expected"),
    [
        ("Deci, {summary}. Am înțeles bine?", "Latn", [("deci",), ("am", "înțeles", "bine")]),
        ("I'm sorry; it’s late", "Latn", [("i'm", "sorry"), ("it's", "late")]),
        (
            "고객님, 기다려 주셔서 감사합니다.",
            "Hang",
            [("고객님", "기다려", "주셔서", "감사합니다")],
        ),
        ("我会陪着您。好吗", "Hans", [("我", "会", "陪", "着", "您"), ("好", "吗")]),
    ],
)
def test_units(text: str, script: str, expected: list[tuple[str, ...]]) -> None:
    """Texts are cut into words, eojeol or characters, broken at sentence ends and placeholders."""
    assert units(text, script) == expected


def test_wording_in_more_entries_than_allowed_is_reported_once_with_its_entries() -> None:
    """Overlapping n-grams shared by the same entries are one finding, the longest run."""
    texts = {
        "a": ["Thank you for waiting so long."],
        "b": ["Well, thank you for waiting so long!", "Thank you for waiting so long."],
        "c": ["And thank you for waiting so long."],
        "d": ["Nothing in common."],
    }
    found = repeated(texts, "Latn", RepetitionRule(3, 2, 4))
    assert [(r.words, r.entries, r.opener) for r in found] == [
        ("thank you for waiting so long", ("a", "b", "c"), False)
    ]


def test_wording_within_the_limit_is_not_reported() -> None:
    """Wording in exactly max_entries entries is allowed; variants of one entry count once."""
    texts = {"a": ["I can help.", "I can help you."], "b": ["Yes, I can help."], "c": ["No."]}
    assert repeated(texts, "Latn", RepetitionRule(3, 2, 2)) == []


def test_openers_are_reported_apart_from_wording() -> None:
    """Texts of several entries starting alike are an opener finding."""
    texts = {
        "a": ["Deci comanda nu a ajuns."],
        "b": ["Deci produsul nu merge."],
        "c": ["Deci vi s-a cerut prea mult."],
    }
    found = repeated(texts, "Latn", RepetitionRule(3, 2, 1))
    assert [(r.words, r.opener) for r in found] == [("deci", True)]


def test_korean_grammar_runs_are_not_counted() -> None:
    """A Korean run with a one-syllable eojeol (수 있습니다) is grammar, not wording."""
    texts = {
        k: [f"{w} 수 있습니다."] for k, w in zip("abcd", ["도울", "볼", "갈", "할"], strict=True)
    }
    assert repeated(texts, "Hang", RepetitionRule(2, 3, 9)) == []
    texts = {
        k: [f"기다려 주셔서 {w}."]
        for k, w in zip("abcd", ["감사", "고마", "좋", "네"], strict=True)
    }
    assert [r.words for r in repeated(texts, "Hang", RepetitionRule(2, 3, 9))] == ["기다려 주셔서"]


def test_chinese_repeats_are_character_runs() -> None:
    """Chinese wording is compared by characters, without spaces, and shown unspaced."""
    texts = {k: [f"{w}我会一直在这里陪着您。"] for k, w in zip("abcd", "好嗯是对", strict=True)}
    found = repeated(texts, "Hans", RepetitionRule(5, 3, 9))
    assert [r.words for r in found] == ["我会一直在这里陪着您"]


def test_default_rules_by_script() -> None:
    """Latin counts words, Korean eojeol, Chinese characters; each with a limit of 3 entries."""
    assert default_rule("Latn") == RepetitionRule(3, 3, 2)
    assert default_rule("Hang") == RepetitionRule(2, 3, 2)
    assert default_rule("Hans") == RepetitionRule(5, 3, 3)


# --- the check --------------------------------------------------------------------------

_SAME = "I'll look into the parcel for you right away."


def _overlay(tmp_path: Path, checks: str = "") -> Path:
    directory = tmp_path / "acme"
    directory.mkdir()
    entries = [
        e.id
        for e in de.Phrasebook.default().neutral.entries.values()
        if e.kind is Kind.PHRASE and e.stage is Stage.RESOLVE and not e.required
    ][:4]
    body = textwrap.dedent(checks)
    for eid in entries:
        body += f'\n[entries."{eid}"]\ntext = ["{_SAME}"]\n'
    (directory / "en.toml").write_text(body, encoding="utf-8")
    return directory


def test_check_warns_about_wording_shared_by_too_many_entries(tmp_path: Path) -> None:
    """Four resolve phrases with the same sentence give a repetition warning that names them."""
    book = de.Phrasebook.load(_overlay(tmp_path))
    report = check(book, ("en",))
    found = [p for p in report.problems if p.code == "repetition" and "parcel" in p.message]
    assert len(found) == 1
    assert found[0].severity is Severity.WARNING
    assert "4 resolve phrases share" in found[0].message
    assert "at most 3" in found[0].message
    assert report.ok


def test_a_locale_sets_its_own_repetition_rule(tmp_path: Path) -> None:
    """[checks] repetition raises the limit for that locale, and the warning goes away."""
    checks = """\
    [checks]
    repetition = { length = 3, max_entries = 4, opener_length = 2 }
    """
    book = de.Phrasebook.load(_overlay(tmp_path, checks))
    assert book.locale_data("en").repetition == RepetitionRule(3, 4, 2)
    report = check(book, ("en",))
    assert not [p for p in report.problems if p.code == "repetition" and "parcel" in p.message]


@pytest.mark.parametrize(
    "rule",
    [
        "{ length = 0, max_entries = 3, opener_length = 2 }",
        "{ length = 3, max_entries = 3 }",
        "{ length = 3, max_entries = 3, opener_length = 2, extra = 1 }",
        '{ length = "three", max_entries = 3, opener_length = 2 }',
    ],
)
def test_a_bad_repetition_rule_is_a_catalogue_error(tmp_path: Path, rule: str) -> None:
    """A rule with a missing, unknown, non-numeric or out-of-range key names the file and line."""
    directory = tmp_path / "acme"
    directory.mkdir()
    path = directory / "en.toml"
    path.write_text(f"[checks]\nrepetition = {rule}\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        de.Phrasebook.load(directory)
    assert caught.value.path == str(path)
    assert caught.value.line == 2
