"""Listening: signal phrases, their syntax, matching per language, and Conversation.hear."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import deescalate as de
from deescalate._patterns import (
    PatternError,
    Style,
    compile_alternation,
    fold,
    parse,
    style_for,
)

# --- the pattern language -------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("[maybe]", "no word that must be present"),
        ("[a|b]", "no word that must be present"),
        ("(a|[b])", "may not start with an optional part"),
        ("want [to", "not closed"),
        ("want (to|", "empty alternative"),
        ("want to]", "unexpected ']'"),
        ("(|x)", "empty alternative"),
        ("*", "'*' must follow the start of a word"),
        ("ki*ll", "'*' may only end a word"),
        ("you(re| are)", "space between a word and a bracket"),
        ("x" * 401, "longer than 400"),
    ],
)
def test_invalid_phrases_are_refused(phrase: str, problem: str) -> None:
    """A phrase that is empty, unbalanced or could match anything is a PatternError."""
    with pytest.raises(PatternError, match=re.escape(problem)):
        parse(phrase)


@pytest.mark.parametrize(
    ("phrase", "style", "heard", "not_heard"),
    [
        # optional words, alternatives and word starts
        ("i [really] want to die", Style.SPACED, ["I really want to die", "i want to die"], []),
        ("(speak|talk) to [your] manager", Style.SPACED, ["talk to manager"], ["speak manager"]),
        ("kill* you", Style.SPACED, ["killing you", "KILLLL YOU"], ["skill you", "kill yours"]),
        ("idiot*", Style.SPACED, ["idiots!", "idiotic"], ["anidiot"]),
        # case, accents, apostrophes, repeated letters and punctuation between words
        ("don't want to live", Style.SPACED, ["DONT want to... live", "don’t  want to live"], []),
        ("nu mai pot", Style.SPACED, ["Nu... mai pot"], ["numai pot"]),
        ("vă rog", Style.SPACED, ["va rog", "VĂ ROG", "vă rog"], []),
        ("sunteți", Style.SPACED, ["sunteţi", "sunteti"], []),
        ("på", Style.SPACED, ["paa", "PÅ"], []),
        ("være", Style.SPACED, ["vaere", "VÆRE"], []),
        ("wêreld", Style.SPACED, ["wereld"], []),
        ("please", Style.SPACED, ["pleeeease"], ["plase"]),
        # Korean: a stem at the start of an eojeol takes any ending, spacing is free
        ("죽고 싶", Style.EOJEOL, ["죽고 싶어요", "죽고싶습니다", "정말 죽고 싶다"], ["안죽고"]),
        # Chinese: anywhere, stray spaces allowed
        ("不想活", Style.UNSPACED, ["我真的不想活了", "不想 活了"], ["不想"]),
    ],
)
def test_phrases_match_as_each_language_is_written(
    phrase: str, style: Style, heard: list[str], not_heard: list[str]
) -> None:
    """Each phrase matches the ways people write it, and not the look-alikes."""
    compiled = compile_alternation([phrase], style)
    assert compiled is not None
    pattern = compiled[0]
    for text in heard:
        assert pattern.search(fold(text, style)), text
    for text in not_heard:
        assert not pattern.search(fold(text, style)), text


def test_one_latin_letter_is_too_short_but_one_hangul_syllable_is_not() -> None:
    """A one-letter phrase would match almost anything in spaced text; 총 is a word."""
    with pytest.raises(PatternError, match="too short"):
        compile_alternation(["i"], Style.SPACED)
    assert compile_alternation(["총"], Style.EOJEOL) is not None


def test_alternation_says_which_phrase_matched() -> None:
    """Of many phrases in one regex, the group that closes names the one that matched."""
    phrases = ["kill* you", "kind", "[i] want (a|the) manager", "sue"]
    compiled = compile_alternation(phrases, Style.SPACED)
    assert compiled is not None
    pattern, owners = compiled
    for text, expected in [("you are kind", 1), ("want the manager", 2), ("I'll sue", 3)]:
        match = pattern.search(fold(text, Style.SPACED))
        assert match is not None and owners[(match.lastindex or 0) - 1] == expected


@pytest.mark.parametrize(
    ("script", "style"),
    [("Latn", Style.SPACED), ("Kore", Style.EOJEOL), ("Hans", Style.UNSPACED)],
)
def test_style_follows_the_script(script: str, style: Style) -> None:
    """The matching style is chosen from the locale's script."""
    assert style_for(script) is style


# --- listening with the shipped catalogues -----------------------------------------------


def test_listen_result_carries_words_span_and_suggestion(book: de.Phrasebook) -> None:
    """A signal comes with the words that carried it, where they are, and what it suggests."""
    text = "Honestly?! I want to SPEAK to your manager."
    heard = book.listen(text, locale="en-GB")
    assert heard.locale == "en" and heard.fallback is None
    (signal,) = heard.signals
    assert signal.signal is de.Signal.WANTS_MANAGER
    assert signal.confidence is de.Confidence.HIGH
    assert signal.situation == "wants-manager"
    assert signal.event is de.Event.ASKED_FOR_MANAGER
    assert text[signal.start : signal.end] == signal.words == "SPEAK to your manager"
    assert heard.situation == "wants-manager" and not heard.safety


def test_spans_survive_folding_that_changes_length(book: de.Phrasebook) -> None:
    """Where folding turns one letter into two (æ → ae), spans still index the text."""
    text = "Æh, jeg vil tale med din chef nu!"
    heard = book.listen(text, locale="da")
    assert heard.signals, heard
    first = heard.signals[0]
    assert text[first.start : first.end] == first.words
    assert "chef" in first.words


def test_safety_comes_first_and_sets_safety(book: de.Phrasebook) -> None:
    """Signals are listed most urgent first; a self-harm phrase makes ``safety`` true."""
    heard = book.listen("You idiot, I just want to die", locale="en")
    assert [s.signal for s in heard.signals][:2] == [de.Signal.SELF_HARM, de.Signal.ABUSE]
    assert heard.safety and heard.situation == "safety-self-harm"
    assert heard.events() == (de.Event.SELF_HARM, de.Event.INSULT)


@pytest.mark.parametrize(
    "text",
    [
        "This queue is killing me",
        "I could murder a coffee right now",
        "I'm dying to know where my parcel is",
        "My manager told me to call you",
        "I'm not going to sue anyone, I just want my money back",
        "For crying out loud, where is it?",
    ],
)
def test_figures_of_speech_and_negations_are_not_heard(book: de.Phrasebook, text: str) -> None:
    """The `not` phrases of a signal keep its look-alikes from being heard."""
    assert book.listen(text, locale="en").signals == ()


def test_cues_are_low_confidence_and_imply_nothing(book: de.Phrasebook) -> None:
    """A weaker cue is reported with low confidence and suggests no event."""
    heard = book.listen("I can't go on like this", locale="en")
    assert [(s.signal, s.confidence) for s in heard.signals] == [
        (de.Signal.SELF_HARM, de.Confidence.LOW)
    ]
    assert heard.events() == () and not heard.safety and heard.situation is None


def test_unshipped_locale_falls_back_and_says_so(book: de.Phrasebook) -> None:
    """A locale with no catalogue is heard with the default's phrases, with a warning."""
    heard = book.listen("I will sue you", locale="fr")
    assert heard.locale == "en" and heard.fallback is not None
    assert any("another language" in w for w in heard.warnings)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (None, de.InvalidValueError),
        (5, de.InvalidValueError),
        (b"bytes", de.InvalidValueError),
        ("x\ud800", de.InvalidValueError),
        ("x" * 10_001, de.ValueTooLongError),
    ],
)
def test_bad_text_is_a_specific_error(book: de.Phrasebook, text: object, error: type) -> None:
    """Anything but a reasonable str is refused with a DeescalateError, never a bare one."""
    with pytest.raises(error):
        book.listen(text, locale="en")  # type: ignore[arg-type]


def test_a_str_subclass_is_refused(book: de.Phrasebook) -> None:
    """A str subclass could change what is matched, so it is refused."""

    class Sly(str):
        pass

    with pytest.raises(de.InvalidValueError):
        book.listen(Sly("you idiot"), locale="en")


def test_bad_locale_is_an_error(book: de.Phrasebook) -> None:
    """A locale that cannot be a tag is an InvalidLocaleError, as for pick."""
    with pytest.raises(de.InvalidLocaleError):
        book.listen("hello", locale="!!")


def test_module_level_listen_uses_the_shipped_catalogues() -> None:
    """``deescalate.listen`` is the shipped phrasebook's ``listen``."""
    assert de.listen("I'll see you in court", locale="en").situation == "legal-threat"


def test_every_shipped_locale_has_every_signal(book: de.Phrasebook) -> None:
    """Each shipped catalogue lists phrases for all seven signals."""
    for locale in book.locales:
        data = book.locale_data(locale)
        missing = [s.value for s in de.Signal if not data.signals.get(s, None)]
        assert not missing, (locale, missing)
        assert all(data.signals[s].phrases for s in de.Signal), locale


# --- catalogue validation -------------------------------------------------------------


def _write_overlay(tmp_path: Path, body: str) -> Path:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "en.toml").write_text(body, encoding="utf-8")
    return overlay


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        (
            '[signals.abuse]\nphrases = [\n  "you (dimwit",\n]\n',
            "signals.abuse.phrases",
            "not closed",
        ),
        ('[signals.abuse]\nphrases = ["[just]"]\n', "signals.abuse.phrases", "no word"),
        (
            '[signals.abuse]\nphrases = ["dimwit"]\nnot = ["Dimwit"]\n',
            "signals.abuse.not",
            "listed in both 'phrases' and 'not'",
        ),
        ('[signals.abuse]\ncues = ["dimwit", "dimwit"]\n', "signals.abuse.cues", "listed twice"),
    ],
)
def test_bad_signal_phrase_in_overlay_names_file_field_and_line(
    tmp_path: Path, body: str, field: str, problem: str
) -> None:
    """A broken signal phrase fails the load with the overlay's path, the field and a line."""
    overlay = _write_overlay(tmp_path, body)
    with pytest.raises(de.CatalogueError, match=re.escape(problem)) as info:
        de.Phrasebook.load(overlay).locale_data("en")
    assert info.value.path == str(overlay / "en.toml")
    assert info.value.field == field
    assert info.value.line is not None and info.value.line >= 1


def test_unknown_signal_is_an_error(tmp_path: Path) -> None:
    """Only the seven signals may have a table."""
    overlay = _write_overlay(tmp_path, '[signals.grumpy]\nphrases = ["meh"]\n')
    with pytest.raises(de.CatalogueError, match="signals"):
        de.Phrasebook.load(overlay).locale_data("en")


def test_overlay_adds_signal_phrases(tmp_path: Path) -> None:
    """An overlay's phrases are heard on top of the shipped ones."""
    overlay = _write_overlay(tmp_path, '[signals.abuse]\nphrases = ["dimwit*"]\n')
    book = de.Phrasebook.load(overlay)
    assert book.listen("you dimwits", locale="en").events() == (de.Event.INSULT,)
    assert book.listen("you idiot", locale="en").events() == (de.Event.INSULT,)


# --- Conversation.hear -----------------------------------------------------------------


def test_hear_switches_safety_mode_on_at_once(book: de.Phrasebook) -> None:
    """A self-harm phrase turns safety mode on and records the customer's words."""
    conv = book.conversation(situation="late-delivery", locale="en", seed=1)
    hearing = conv.hear("Honestly I just want to end it all")
    assert hearing.noted == (de.Event.SELF_HARM,)
    assert conv.safety and conv.situation == "safety-self-harm"
    assert conv.log[-1].words == "Honestly I just want to end it all"


def test_hear_climbs_the_ladder_one_step_per_utterance(book: de.Phrasebook) -> None:
    """However many insults one utterance holds, the ladder climbs one step."""
    conv = book.conversation(situation="late-delivery", locale="en", seed=1)
    conv.hear("You idiot, you useless moron, f off")
    assert conv.ladder_step == 1
    conv.say(conv.next_stage() or "calm")
    conv.hear("idiot")
    assert conv.ladder_step == 2


def test_hear_calmed_down_steps_back(book: de.Phrasebook) -> None:
    """A calming signal steps the ladder back, as note("calmed-down") does."""
    conv = book.conversation(situation="late-delivery", locale="en", seed=1)
    conv.hear("you idiot")
    assert conv.ladder_step == 1
    assert conv.hear("Sorry for shouting, I know it's not your fault").noted == (
        de.Event.CALMED_DOWN,
    )
    assert conv.ladder_step == 0


def test_hear_nothing_notes_nothing(book: de.Phrasebook) -> None:
    """An utterance with no direct signal changes nothing and logs nothing."""
    conv = book.conversation(situation="late-delivery", locale="en", seed=1)
    before = conv.state
    hearing = conv.hear("Where is my parcel? I can't go on like this.")
    assert hearing.noted == () and hearing.heard.signals
    assert conv.state == before


def test_hear_in_safety_mode_cannot_switch_it_off(book: de.Phrasebook) -> None:
    """After safety mode, calming words are recorded but safety mode stays on."""
    conv = book.conversation(situation="general", locale="en", seed=2)
    conv.hear("I'm going to kill myself")
    conv.hear("thank you, that's fine, sorry for shouting")
    assert conv.safety and conv.situation == "safety-self-harm"


def test_hear_listens_in_the_conversation_locale(book: de.Phrasebook) -> None:
    """A Danish conversation hears Danish phrases."""
    conv = book.conversation(situation="general", locale="da-DK", seed=2)
    assert conv.hear("Jeg vil tale med din chef").noted == (de.Event.ASKED_FOR_MANAGER,)
    assert conv.situation == "wants-manager"


def test_check_reports_a_phrase_listed_both_ways_across_overlays(tmp_path: Path) -> None:
    """An overlay's `not` that repeats a shipped phrase of the signal is a check error."""
    overlay = _write_overlay(tmp_path, '[signals.abuse]\nnot = ["idiot*"]\n')
    from deescalate.checks import check

    report = check(de.Phrasebook.load(overlay), ("en",))
    problems = [p for p in report.problems if p.code == "signals"]
    assert [p.severity.value for p in problems] == ["error"]
    assert "idiot*" in problems[0].message


def test_check_warns_about_a_locale_that_cannot_hear_a_signal(tmp_path: Path) -> None:
    """A locale file without a signal's phrases gets a warning naming the signal."""
    from deescalate.checks import check

    source = Path(str(de.Phrasebook.default().locale_data("en").path))
    target = tmp_path / "cat"
    target.mkdir()
    text = source.read_text(encoding="utf-8")
    start = text.index("[signals.calmed-down]")
    end = text.index("[entries.", start)
    (target / "en.toml").write_text(text[:start] + text[end:], encoding="utf-8")
    (target / "entries.toml").write_text(
        (source.parent / "entries.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    report = check(de.Phrasebook.from_directory(target), ("en",))
    messages = [p.message for p in report.problems if p.code == "signals"]
    assert any("calmed-down" in m for m in messages)
