"""The picker: situation, locale and register fallback, values, guardrails."""

from __future__ import annotations

import datetime
import shutil
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deescalate as de


def test_pick_returns_a_phrase_for_each_stage_but_cool_down(book: de.Phrasebook) -> None:
    """Every stage but cool-down has lines to say; the result says what it used."""
    for stage in de.Stage:
        if stage is de.Stage.COOL_DOWN:
            continue
        phrase = book.pick(stage, seed=1)
        assert phrase.stage is stage
        assert phrase.locale == "en"
        assert phrase.situation == "general"
        assert phrase.fallback == ()
        assert phrase.text


def test_cool_down_has_tips_only(book: de.Phrasebook) -> None:
    """Cool-down is for the agent: pick explains, tips answers."""
    with pytest.raises(de.NoContentError, match="use tips"):
        book.pick(de.Stage.COOL_DOWN)
    assert len(book.tips(de.Stage.COOL_DOWN)) >= 6


def test_stage_accepts_enum_or_string(book: de.Phrasebook) -> None:
    """Stage.CALM and 'calm' pick from the same entries."""
    assert book.pick(de.Stage.CALM, seed=4) == book.pick("calm", seed=4)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda b: b.pick("breathe"), de.UnknownStageError, "calm, listen, restate"),
        (lambda b: b.pick("calm", situation="flood"), de.UnknownSituationError, "late-delivery"),
        (lambda b: b.pick("calm", locale="!!"), de.InvalidLocaleError, "!!"),
        (lambda b: b.pick("calm", locale=[]), de.InvalidLocaleError, "empty"),
        (lambda b: b.pick("calm", register="casual"), de.InvalidOptionError, "formal"),
        (lambda b: b.pick("calm", channel="fax"), de.InvalidOptionError, "phone"),
        (lambda b: b.pick("calm", seed="7"), de.InvalidOptionError, "seed"),
        (lambda b: b.pick("calm", entry="calm.nope"), de.UnknownEntryError, "calm.nope"),
        (lambda b: b.pick("calm", entry="listen.signal"), de.UnknownEntryError, "calm"),
        (
            lambda b: b.pick("restate", entry="restate.summary"),
            de.MissingValueError,
            "{summary}",
        ),
        (
            lambda b: b.pick("restate", values={"summry": "x"}),
            de.UnexpectedValueError,
            "summry",
        ),
        (
            lambda b: b.pick("restate", entry="restate.summary", values={"summary": "x", "y": 1}),
            de.UnexpectedValueError,
            "unexpected value y; it accepts summary",
        ),
        (
            lambda b: b.pick("restate", values={"summary": 42}),
            de.InvalidValueError,
            "{summary}",
        ),
        (
            lambda b: b.pick(
                "resolve", situation="billing-error", values={"amount": "twelve", "currency": "EUR"}
            ),
            de.InvalidValueError,
            "{amount}",
        ),
        (
            lambda b: b.pick("resolve", situation="late-delivery", values={"date": "31/12/2026"}),
            de.InvalidValueError,
            "{date}",
        ),
        (
            lambda b: b.pick("restate", values={"summary": "x" * 5000}),
            de.ValueTooLongError,
            "limit",
        ),
        (
            lambda b: b.pick("calm", channel="email", entry="listen.signal"),
            de.UnknownEntryError,
            "not a phrase of stage 'calm'",
        ),
    ],
)
@pytest.mark.parametrize("method", ["pick", "text"])
def test_bad_input_raises_specific_errors(
    book: de.Phrasebook, call: object, error: type[Exception], message: str, method: str
) -> None:
    """Each kind of bad input raises its own DeescalateError subclass with a clear message.

    ``text`` takes pick's arguments and raises pick's errors.
    """

    class Picker:
        pick = getattr(book, method)

    with pytest.raises(error) as info:
        call(Picker)  # type: ignore[operator]
    assert isinstance(info.value, de.DeescalateError)
    assert message in str(info.value)


class _Rewriting(str):
    """A str subclass that would change the text if the picker let it format or join itself."""

    def __format__(self, spec: str) -> str:
        return "REWRITTEN"

    def __add__(self, other: object) -> str:
        return "REWRITTEN"

    def __radd__(self, other: object) -> str:
        return "REWRITTEN"

    def __str__(self) -> str:
        return "REWRITTEN"


def test_str_subclass_values_cannot_rewrite_the_text(book: de.Phrasebook) -> None:
    """A str subclass is refused as a text value, and cannot rewrite a money value's text."""
    for method in (book.pick, book.text):
        with pytest.raises(de.InvalidValueError, match="summary"):
            method("restate", values={"summary": _Rewriting("the parcel")}, seed=1)
        result = method(
            "resolve",
            situation="billing-error",
            values={"amount": (_Rewriting("12.5"), "EUR")},
            seed=1,
        )
        text = result if isinstance(result, str) else result.text
        assert "€12.50" in text and "REWRITTEN" not in text


def test_text_is_the_text_of_the_same_pick(book: de.Phrasebook) -> None:
    """text() chooses exactly as pick() does, for every kind of value and option."""
    calls: list[dict[str, object]] = [
        {"locale": "da", "register": "formal", "channel": "chat"},
        {"locale": "ko-KR"},
        {"locale": ["zh-TW", "ro"]},
        {"locale": "en", "values": {"summary": "the {parcel}"}},
        {"locale": "af", "values": {"summary": "die pakkie", "name": "Thandi"}},
    ]
    for stage in ("calm", "listen", "restate", "apologise", "close"):
        for options in calls:
            for seed in range(6):
                try:
                    expected = book.pick(stage, seed=seed, **options).text  # type: ignore[arg-type]
                except de.DeescalateError as err:
                    with pytest.raises(type(err)):
                        book.text(stage, seed=seed, **options)  # type: ignore[arg-type]
                    continue
                assert book.text(stage, seed=seed, **options) == expected  # type: ignore[arg-type]
    formatted: list[tuple[str, dict[str, object]]] = [
        ("billing-error", {"amount": Decimal("1250.5"), "currency": "DKK"}),
        ("late-delivery", {"date": datetime.date(2026, 12, 24)}),
    ]
    for locale in book.locales:
        for situation, values in formatted:
            kwargs: Any = {"situation": situation, "locale": locale, "seed": 2, "values": values}
            assert book.text("resolve", **kwargs) == book.pick("resolve", **kwargs).text
    plural: dict[str, object] = {"situation": "faulty-product", "values": {"days": 3}}
    options = book.options("apologise", **plural)  # type: ignore[arg-type]
    assert options
    for locale in book.locales:
        for entry, variant in options:
            picked = book.pick(
                "apologise",
                locale=locale,
                entry=entry,
                variant=variant,
                **plural,  # type: ignore[arg-type]
            )
            assert picked.text == book.text(
                "apologise",
                locale=locale,
                entry=entry,
                variant=variant,
                **plural,  # type: ignore[arg-type]
            )
    assert de.text("calm", locale="ro", seed=5) == de.pick("calm", locale="ro", seed=5).text


def test_missing_value_names_placeholder_and_entry(book: de.Phrasebook) -> None:
    """A missing required value names the placeholder and the entry."""
    with pytest.raises(de.MissingValueError) as info:
        book.pick("resolve", situation="billing-error", entry="resolve.billing-error.refund")
    assert info.value.names == ("amount",)
    assert info.value.entry_id == "resolve.billing-error.refund"
    assert "{amount}" in str(info.value)


def test_values_choose_entries(book: de.Phrasebook) -> None:
    """With a summary, restate uses the summary entry and renders the value verbatim."""
    phrase = book.pick("restate", values={"summary": "the parcel {never} arrived"}, seed=2)
    assert phrase.id == "restate.summary"
    assert "the parcel {never} arrived" in phrase.text


def test_situation_specific_lines_come_first(book: de.Phrasebook) -> None:
    """A late-delivery apology comes from the late-delivery entries."""
    for seed in range(10):
        phrase = book.pick("apologise", situation="late-delivery", seed=seed)
        assert phrase.id == "apologise.late-delivery.delay"
        assert phrase.situation == "late-delivery"
        assert phrase.fallback == ()


def test_situation_falls_back_to_general_and_says_so(book: de.Phrasebook) -> None:
    """A situation with nothing for a stage uses general content and explains it."""
    phrase = book.pick("listen", situation="late-delivery", seed=1)
    assert phrase.situation == "general"
    (fallback,) = phrase.fallback
    assert fallback.kind is de.FallbackKind.SITUATION
    assert (fallback.requested, fallback.used) == ("late-delivery", "general")


def test_safety_threat_never_falls_back_to_general(book: de.Phrasebook) -> None:
    """Every stage of safety-threat, on every channel, uses only safety content, verbatim."""
    for channel in (None, *de.Channel):
        for stage in de.Stage:
            if stage is de.Stage.COOL_DOWN:
                continue
            for seed in range(12):
                phrase = book.pick(
                    stage, situation="safety-threat", channel=channel, seed=seed,
                    defaults=_safety_values(stage),
                )  # fmt: skip
                assert phrase.situation == "safety-threat"
                assert de.Flag.VERBATIM in phrase.flags
                assert phrase.verbatim
            for tip in book.tips(stage, situation="safety-threat", channel=channel):
                assert tip.situation == "safety-threat"


def _safety_values(stage: de.Stage) -> dict[str, object] | None:
    return {"crisis_line": "the crisis line on 0800 000 000"} if stage is de.Stage.RESOLVE else None


def test_safety_threat_never_offers_to_end_the_call(book: de.Phrasebook) -> None:
    """No safety close says the call will end; abuse's end-contact line is not reachable."""
    options = book.options("close", situation="safety-threat")
    assert options and all(eid.startswith("close.safety-threat.") for eid, _ in options)


def test_ladder_steps_beyond_the_first_need_asking_for(book: de.Phrasebook) -> None:
    """A plain pick in abusive-language gives the boundary, never a warning or the ending."""
    ids = [eid for eid, _ in book.options("calm", situation="abusive-language", channel="chat")]
    assert ids[0] == "calm.abusive-language.boundary"
    assert not {"calm.abusive-language.warning", "calm.abusive-language.final-warning"} & {*ids}
    warning = book.pick("calm", situation="abusive-language", entry="calm.abusive-language.warning")
    assert warning.id == "calm.abusive-language.warning"


def test_optional_placeholder_variants_only_with_their_value(book: de.Phrasebook) -> None:
    """Variants using {name} appear only when a name is given, so no text reads 'Thank you, .'"""
    without = book.options("close", entry="close.goodbye")
    with_name = book.options("close", entry="close.goodbye", values={"name": "Sam"})
    assert len(with_name) > len(without)
    for seed in range(20):
        text = book.pick("close", entry="close.goodbye", seed=seed).text
        assert "{" not in text and ", ." not in text
    named = [
        book.pick("close", entry="close.goodbye", values={"name": "Sam"}, variant=v).text
        for _, v in with_name
    ]
    assert any("Sam" in text for text in named)


def test_seed_is_deterministic_and_no_seed_varies(book: de.Phrasebook) -> None:
    """The same seed gives the same line; without a seed the line varies."""
    assert book.pick("listen", seed=11) == book.pick("listen", seed=11)
    seen = {book.pick("listen").id + str(book.pick("listen").variant) for _ in range(60)}
    assert len(seen) > 3


def test_variant_selects_exactly(book: de.Phrasebook) -> None:
    """entry= and variant= render exactly that variant, or say which variants fit."""
    assert book.pick("listen", channel="phone", entry="listen.signal", variant=1).variant == 1
    with pytest.raises(de.UnknownEntryError, match="fitting variants"):
        book.pick("listen", channel="phone", entry="listen.signal", variant=99)
    # A line named for another channel than the one given is refused.
    with pytest.raises(de.UnknownEntryError, match="does not suit channel 'email'"):
        book.pick("listen", channel="email", entry="listen.signal", variant=1)
    with pytest.raises(de.InvalidOptionError):
        book.pick("listen", variant=1)


def test_channel_filters_lines(book: de.Phrasebook) -> None:
    """Backchannels are phone-only: a chat pick never returns one."""
    for seed in range(30):
        assert book.pick("listen", channel="chat", seed=seed).id != "listen.signal"
    assert {eid for eid, _ in book.options("close", channel="email")} >= {"close.email-sign-off"}


def test_money_is_formatted_by_babel_for_the_locale(book: de.Phrasebook) -> None:
    """Money values are formatted by CLDR for the locale, from a number plus currency."""
    phrase = book.pick(
        "resolve",
        situation="billing-error",
        entry="resolve.billing-error.refund",
        values={"amount": Decimal("12.5"), "currency": "EUR"},
        seed=0,
    )
    assert "€12.50" in phrase.text
    money = de.Money(Decimal("12.5"), "EUR")
    same = book.pick(
        "resolve",
        entry="resolve.billing-error.refund",
        situation="billing-error",
        values={"amount": money},
        seed=0,
    )
    assert same.text == phrase.text


def test_dates_and_lists_are_formatted(book: de.Phrasebook) -> None:
    """Dates use CLDR's long format and lists CLDR's 'or' list (English: en_GB's data)."""
    date = book.pick(
        "resolve", situation="late-delivery", values={"date": datetime.date(2026, 12, 1)}, seed=0
    )
    assert "1 December 2026" in date.text
    options = book.pick("resolve", values={"options": ["a refund", "a voucher", "a replacement"]})
    assert "a refund, a voucher or a replacement" in options.text


@pytest.mark.parametrize(
    ("days", "word"), [(1, "1 working day"), (2, "2 working days"), (Decimal(5), "5 working days")]
)
def test_plural_forms_follow_cldr(book: de.Phrasebook, days: object, word: str) -> None:
    """The plural form is chosen by the CLDR category of the number."""
    phrase = book.pick("apologise", situation="faulty-product", values={"days": days}, seed=0)
    assert word + "." in phrase.text


def test_register_request_falls_back_and_says_so(book: de.Phrasebook) -> None:
    """English has one register: a formal request is served and the result says so."""
    phrase = book.pick("calm", register="formal", seed=1)
    assert phrase.register is de.Register.NEUTRAL
    assert any(f.kind is de.FallbackKind.REGISTER for f in phrase.fallback)
    assert book.pick("calm", register="formal", strict=True, seed=1).register is de.Register.NEUTRAL


@pytest.mark.parametrize("tag", ["en-GB", "EN_gb", "en-US-u-ca-gregory", "en;q=1"])
def test_english_spellings_need_no_fallback(book: de.Phrasebook, tag: str) -> None:
    """Any spelling of English is served by the en catalogue without a fallback."""
    phrase = book.pick("calm", locale=tag, seed=1)
    assert phrase.locale == "en"
    assert phrase.fallback == ()


@pytest.mark.parametrize("tag", ["zh-TW", "zh-Hant", "zh-Hant-TW", "zh_hant_tw"])
def test_traditional_chinese_for_taiwan_spellings(book: de.Phrasebook, tag: str) -> None:
    """zh-TW, zh-Hant and zh-Hant-TW reach the zh_Hant catalogue with no fallback or warning."""
    phrase = book.pick("calm", locale=tag, seed=1)
    assert phrase.locale == "zh_Hant"
    assert phrase.fallback == ()
    assert phrase.warnings == ()


@pytest.mark.parametrize(
    ("tag", "territory"), [("zh-HK", "Hong Kong SAR China"), ("zh-MO", "Macao SAR China")]
)
def test_hong_kong_and_macau_get_traditional_with_taiwan_usage(
    book: de.Phrasebook, tag: str, territory: str
) -> None:
    """zh-HK and zh-MO are served zh_Hant, warned that it follows Taiwan usage."""
    assert book.locale_data("zh_Hant").usage == "TW"
    phrase = book.pick("calm", locale=tag, seed=1)
    assert phrase.locale == "zh_Hant"
    assert phrase.fallback == ()
    (warning,) = phrase.warnings
    assert "'zh_Hant' catalogue follows Taiwan usage" in warning
    assert territory in warning
    playbook = book.playbook("late-delivery", locale=tag)
    assert playbook.locale == "zh_Hant"
    assert any("follows Taiwan usage" in w for w in playbook.warnings)


@pytest.mark.parametrize("tag", ["zh-TW", "zh-HK", "zh-MO", "zh-Hant", "zh-Hant-CN"])
def test_traditional_chinese_never_gets_simplified(book: de.Phrasebook, tag: str) -> None:
    """Every Traditional request gets Traditional text, never the Simplified catalogue."""
    phrase = book.pick("calm", locale=tag, seed=1)
    assert phrase.locale == "zh_Hant"
    assert phrase.text == book.pick("calm", locale="zh_Hant", seed=1).text
    assert phrase.text != book.pick("calm", locale="zh_Hans", seed=1).text


def test_traditional_request_without_hant_falls_back_to_english(catalogue_dir: Path) -> None:
    """With only the Simplified catalogue there, zh-TW falls back to English and says why."""
    shipped = Path(str(de.Phrasebook.default().locale_data("zh_Hans").path))
    shutil.copy(shipped, catalogue_dir / shipped.name)
    book = de.Phrasebook.load(catalogue_dir, include_default=False)
    phrase = book.pick("calm", locale="zh-TW", seed=1)
    assert phrase.locale == "en"
    assert phrase.fallback and phrase.fallback[0].kind is de.FallbackKind.LOCALE
    assert any("Traditional Chinese (Hant)" in w for w in phrase.warnings)


@pytest.mark.parametrize("tag", ["zh", "zh-CN", "zh-SG", "zh-Hans-CN"])
def test_simplified_chinese_spellings(book: de.Phrasebook, tag: str) -> None:
    """zh, zh-CN, zh-SG and zh-Hans-CN all reach the zh_Hans catalogue."""
    assert book.pick("calm", locale=tag, seed=1).locale == "zh_Hans"


def test_unshipped_locale_falls_back_to_english(book: de.Phrasebook) -> None:
    """A well-formed but unshipped locale is no error: it falls back and says so."""
    phrase = book.pick("calm", locale="fr-FR", seed=1)
    assert phrase.locale == "en"
    assert phrase.fallback[0].requested == "fr_FR"


def test_preference_list_and_accept_language(book: de.Phrasebook) -> None:
    """A list of tags and an Accept-Language header are negotiated in order."""
    assert book.pick("calm", locale=["fr", "da"], seed=1).locale == "da"
    assert book.pick("calm", locale="fr-CH, ro;q=0.8, en;q=0.5", seed=1).locale == "ro"


def test_gloss_gives_the_same_entry_in_another_locale(book: de.Phrasebook) -> None:
    """gloss='en' adds the same entry's English text."""
    phrase = book.pick("apologise", situation="late-delivery", locale="da", gloss="en", seed=3)
    assert phrase.gloss is not None and phrase.gloss.locale == "en"
    english = {
        book.pick("apologise", situation="late-delivery", entry=phrase.id, variant=v).text
        for _, v in book.options("apologise", situation="late-delivery", entry=phrase.id)
    }
    assert phrase.gloss.text in english


def test_phrase_json_round_trip(book: de.Phrasebook) -> None:
    """A Phrase serialises to JSON (with 'register') and back to an equal object."""
    phrase = book.pick("restate", values={"summary": "x"}, locale="ko", gloss="en", seed=2)
    data = phrase.model_dump_json()
    assert '"register"' in data
    assert de.Phrase.model_validate_json(data) == phrase


def test_playbook_covers_every_stage_in_order(book: de.Phrasebook) -> None:
    """A playbook has the seven stages in order, with the whole abuse ladder in sequence."""
    pb = book.playbook("abusive-language", channel="phone")
    assert [s.stage for s in pb.stages] == list(de.Stage)
    calm_ids = [p.id for p in pb.stages[0].phrases]
    ladder = [i for i in calm_ids if i.startswith("calm.abusive-language.")]
    assert ladder == [
        "calm.abusive-language.boundary",
        "calm.abusive-language.warning",
        "calm.abusive-language.final-warning",
    ]
    assert calm_ids[0] == "calm.abusive-language.boundary"
    assert de.Playbook.model_validate_json(pb.model_dump_json()) == pb


def test_playbook_shows_value_lines_only_with_their_values(book: de.Phrasebook) -> None:
    """Without values a playbook leaves out lines that need one (no "…" holes); with them,
    it shows them filled in."""
    pb = book.playbook("billing-error")
    resolve = next(s for s in pb.stages if s.stage is de.Stage.RESOLVE)
    assert "resolve.billing-error.refund" not in {p.id for p in resolve.phrases}
    assert all("…" not in p.text for s in pb.stages for p in s.phrases)
    filled = book.playbook("billing-error", values={"amount": 12.5, "currency": "EUR"})
    resolve = next(s for s in filled.stages if s.stage is de.Stage.RESOLVE)
    refund = next(p for p in resolve.phrases if p.id == "resolve.billing-error.refund")
    assert "€12.50" in refund.text


def test_module_level_shortcuts() -> None:
    """de.pick, de.tips and de.playbook use the shipped catalogues."""
    assert de.pick("calm", seed=1) == de.Phrasebook.default().pick("calm", seed=1)
    assert de.tips("listen") == de.Phrasebook.default().tips("listen")
    assert de.playbook("long-wait").situation == "long-wait"


def test_shared_phrasebook_is_thread_safe() -> None:
    """Many threads picking from one fresh phrasebook get what one thread gets."""
    from deescalate.catalogue import shipped_catalogue

    fresh = de.Phrasebook.from_directory(shipped_catalogue())
    calls = [
        (stage, loc, seed)
        for stage in ("calm", "listen", "close")
        for loc in ("da", "ko", "ro", "af", "zh", "en")
        for seed in range(5)
    ]
    expected = [de.pick(s, locale=loc, seed=seed) for s, loc, seed in calls]
    results: list[list[de.Phrase]] = []

    def work() -> None:
        results.append([fresh.pick(s, locale=loc, seed=seed) for s, loc, seed in calls])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8
    assert all(r == expected for r in results)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_any_text_value_appears_verbatim(value: str) -> None:
    """Arbitrary text as a value is inserted verbatim, never interpreted."""
    phrase = de.pick("restate", values={"summary": value}, seed=0)
    assert value in phrase.text
    assert de.Phrasebook.default().text("restate", values={"summary": value}, seed=0) == phrase.text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_locale_string_gives_a_phrase_or_a_documented_error(tag: str) -> None:
    """Arbitrary locale input yields a phrase or InvalidLocaleError, nothing else."""
    try:
        phrase = de.pick("calm", locale=tag, seed=0)
    except de.InvalidLocaleError:
        return
    assert phrase.locale in de.Phrasebook.default().locales


def test_entry_of_another_situation_is_refused(book: de.Phrasebook) -> None:
    """Asking for an entry outside the situation's chain is an UnknownEntryError, not a crash."""
    with pytest.raises(de.UnknownEntryError, match="not a line of situation 'late-delivery'"):
        book.pick("calm", situation="late-delivery", entry="calm.abusive-language.warning")


def test_no_channel_means_lines_that_suit_every_channel(book: de.Phrasebook) -> None:
    """Without a channel, no phone-only backchannel and no email-only sign-off is offered."""
    for stage in ("listen", "resolve", "close"):
        for entry_id, _ in book.options(stage):
            assert book.neutral.entries[entry_id].channels == frozenset(de.Channel)
    assert "listen.signal" in {eid for eid, _ in book.options("listen", channel="phone")}


def test_answers_are_cached_on_normalised_input_and_bounded(catalogue_dir: Path) -> None:
    """Two spellings of one locale share one selection; no cache grows past its bound;
    de.cache_clear() empties them all."""
    from deescalate.picker import MEMO_SIZE

    fresh = de.Phrasebook.from_directory(catalogue_dir)
    first = fresh.pick("calm", locale="en-GB", seed=1)
    assert fresh.pick("calm", locale="en_GB", seed=1) == first
    assert len(fresh._front) == 2 and len(fresh._selections) == 1
    for n in range(1, MEMO_SIZE + 20):
        fresh.text("calm", locale=f"en, en-GB-x{n:07d};q=0.1", seed=1)
    assert len(fresh._front) == MEMO_SIZE
    fresh.tips("calm")
    de.cache_clear()
    assert not fresh._front and not fresh._selections and not fresh._tips
    assert fresh.pick("calm", locale="en-GB", seed=1) == first


def test_a_repeated_seeded_call_without_values_returns_the_first_answer(
    book: de.Phrasebook,
) -> None:
    """A seeded pick or text() made before is answered from its memo: the same result,
    and the same words as text() of the same arguments."""
    first = book.pick("calm", locale="da", seed=3)
    assert book.pick("calm", locale="da", seed=3) is first
    assert book.text("calm", locale="da", seed=3) == first.text
    assert book.text("calm", locale="da", seed=3) == first.text
    assert book._ready and book._ready_texts


@pytest.mark.parametrize(
    ("call", "option"),
    [
        (lambda b: b.pick("calm", locale="da", seed=True), "seed"),
        (lambda b: b.text("calm", locale="da", seed=True), "seed"),
        (lambda b: b.pick("calm", locale="da", seed=1, strict=1), "strict"),
        (lambda b: b.playbook("general", locale="da", seed=True), "seed"),
        (lambda b: b.playbook("general", locale="da", values=[]), "values"),
    ],
)
def test_remembered_answers_do_not_let_an_equal_odd_argument_through(
    book: de.Phrasebook, call: Any, option: str
) -> None:
    """After the valid call (seed=1, strict=False, no values) is remembered, an argument
    equal to it but of another type (True == 1) is still refused."""
    book.pick("calm", locale="da", seed=1)
    book.text("calm", locale="da", seed=1)
    book.playbook("general", locale="da", seed=1)
    book.playbook("general", locale="da")
    with pytest.raises(de.InvalidOptionError, match=option):
        call(book)


def test_a_shared_result_is_not_changed_by_a_later_call_with_values(
    book: de.Phrasebook,
) -> None:
    """The values-free results (a pick's, a playbook's stages) are shared between calls;
    a call with values makes results of its own and leaves the shared ones as they were."""
    phrase = book.pick("close", locale="da", seed=2)
    playbook = book.playbook("billing-error", locale="da")
    before = (phrase.model_dump(), playbook.model_dump())
    named = book.pick("close", locale="da", seed=2, values={"name": "Ana"})
    filled = book.playbook(
        "billing-error", locale="da", values={"amount": Decimal("12.5"), "currency": "DKK"}
    )
    assert filled != playbook
    assert named.id == phrase.id
    assert (phrase.model_dump(), playbook.model_dump()) == before
    assert book.pick("close", locale="da", seed=2) is phrase
    assert book.playbook("billing-error", locale="da") is playbook


def test_a_playbook_of_another_spelling_shares_the_contents(book: de.Phrasebook) -> None:
    """Two spellings of one locale make equal playbooks from one set of contents."""
    first = book.playbook("late-delivery", locale="da")
    second = book.playbook("late-delivery", locale="da-DK")
    assert second == first and second is not first
    assert len(book._playbook_builder.contents) == 1
    assert second.stages[0] is first.stages[0]


def test_a_playbook_takes_any_sequence_of_tags(book: de.Phrasebook) -> None:
    """A deque of tags (a sequence, not hashable) gives the playbook a list of them gives."""
    import collections

    assert book.playbook("general", locale=collections.deque(["da", "en"])) == book.playbook(
        "general", locale=["da", "en"]
    )


def test_cache_clear_empties_the_answer_memos(catalogue_dir: Path) -> None:
    """The memos of finished answers (picks, texts, playbooks and their contents) are
    bounded and emptied by de.cache_clear()."""
    from deescalate.picker import MEMO_SIZE

    fresh = de.Phrasebook.from_directory(catalogue_dir)
    for n in range(MEMO_SIZE + 20):
        fresh.pick("calm", seed=n)
        fresh.text("calm", seed=n)
    assert len(fresh._ready) == len(fresh._ready_texts) == MEMO_SIZE
    fresh.playbook("general")
    builder = fresh._playbook_builder
    assert builder.contents and builder.playbooks
    de.cache_clear()
    assert not fresh._ready and not fresh._ready_texts
    assert not builder.contents and not builder.playbooks
