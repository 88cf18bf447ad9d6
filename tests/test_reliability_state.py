"""Saved conversation state cannot contradict its log, switch safety off, or grow unbounded."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import deescalate as de
from deescalate import limits

BOOK = de.Phrasebook.default()


def _clock() -> Callable[[], datetime]:
    start = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    ticks: Iterator[int] = iter(range(10_000_000))
    return lambda: start + timedelta(seconds=next(ticks))


def _start(**options: Any) -> de.Conversation:
    options.setdefault("seed", 5)
    options.setdefault("clock", _clock())
    return BOOK.conversation(**options)


def _edited(conv: de.Conversation, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(conv.state.model_dump_json())
    data.update(changes)
    return data


# --- safety and the ladder follow the log ----------------------------------------------------


def test_safety_cannot_be_switched_off_by_editing_state() -> None:
    """Case 1: "safety": false after a self-harm event is refused; with repair, safety stays on."""
    conv = _start(situation="late-delivery")
    conv.note("self-harm")
    conv.say(conv.next_stage() or "calm")
    edited = _edited(conv, safety=False)
    with pytest.raises(de.StateError, match="contradicts its own log"):
        BOOK.resume(edited)
    resumed = BOOK.resume(edited, repair=True, clock=_clock())
    assert resumed.safety
    for _ in range(4):
        resumed.note("insult")
    for stage in ("calm", "close"):
        phrase = resumed.say(stage)
        assert "safety-threat" in BOOK.situation_chain(phrase.situation)
        assert "ending" not in phrase.text and phrase.id not in resumed.ladder
    assert not resumed.ended


def test_safety_stays_on_when_the_safety_event_is_deleted_from_the_log() -> None:
    """Records said in safety mode keep it on even if the event that started it is removed."""
    conv = _start(situation="late-delivery")
    conv.note("violence")
    conv.say("calm")
    data = _edited(conv, safety=False)
    data["log"] = data["log"][1:]
    with pytest.raises(de.StateError):
        BOOK.resume(data)
    assert BOOK.resume(data, repair=True).safety


def test_a_repaired_state_resumes_as_it_is_and_keeps_the_broken_record() -> None:
    """A repair acknowledges a broken record: the repaired state resumes without repair,
    the record is still in the log, and a contradiction made after the repair is refused."""
    conv = _start(situation="abusive-language")
    conv.say("calm")
    conv.note("insult")
    data = _edited(conv)
    data["log"][-1]["event"] = None
    with pytest.raises(de.StateError, match="lacks its stage or event"):
        BOOK.resume(data)
    repaired = BOOK.resume(data, repair=True, clock=_clock())
    saved = json.loads(repaired.state.model_dump_json())
    assert saved["log"][1]["event"] is None and saved["log"][-1]["kind"] == "repair"
    again = BOOK.resume(saved)
    assert again.state == repaired.state
    saved["ladder_step"] = 4
    with pytest.raises(de.StateError, match="ladder_step is 4, but the log leads to"):
        BOOK.resume(saved)


def test_ladder_cannot_be_skipped_by_editing_state() -> None:
    """Case 2: ladder_step 4 with nothing said is refused; the log decides where the ladder is."""
    conv = _start(situation="late-delivery")
    edited = _edited(conv, ladder_step=4, ladder_said=0)
    with pytest.raises(de.StateError, match="ladder_step is 4, but the log leads to 0"):
        BOOK.resume(edited)
    resumed = BOOK.resume(edited, repair=True)
    assert resumed.ladder_step == 0 and not resumed.ended


def test_ended_cannot_be_set_or_cleared_by_editing_state() -> None:
    """'ended' follows the log: set without the ending line, or cleared after it, is refused."""
    fresh = _start()
    with pytest.raises(de.StateError, match="ended"):
        BOOK.resume(_edited(fresh, ended=True))
    conv = _start(situation="abusive-language", warnings=0)
    conv.say(conv.next_stage() or "close")
    assert conv.ended
    with pytest.raises(de.StateError, match="ended"):
        BOOK.resume(_edited(conv, ended=False))


def test_a_forged_ladder_line_in_the_log_is_refused() -> None:
    """A log record of the ending line that the ladder never reached is refused."""
    conv = _start()
    conv.say("close")
    data = _edited(conv)
    data["log"][0]["entry"] = BOOK.conversation().ladder[-1]
    with pytest.raises(de.StateError, match="had not reached"):
        BOOK.resume(data)


def test_a_genuine_state_resumes_unchanged() -> None:
    """A state the library produced, with events, the ladder and safety, resumes as it was."""
    conv = _start(situation="billing-error")
    conv.note("insult")
    conv.say(conv.next_stage() or "calm")
    conv.note("asked-for-manager")
    conv.say(conv.next_stage() or "restate")
    conv.note("calmed-down")
    conv.skip("resolve")
    conv.tips("cool-down")
    conv.note("violence")
    resumed = BOOK.resume(conv.state.model_dump_json())
    assert resumed.state == conv.state


# --- what a state may hold -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("locale", "!!"), ("locale", []), ("locale", "../../etc"), ("gloss", "!!"), ("gloss", "")],
)
def test_state_with_an_invalid_locale_is_refused_at_resume(field: str, value: object) -> None:
    """Case 17: a locale or gloss that cannot be a tag is a StateError at resume, not later."""
    with pytest.raises(de.StateError, match=field):
        BOOK.resume(_edited(_start(), **{field: value}))


@pytest.mark.parametrize(
    "seed",
    [pytest.param(10**5000, id="huge"), limits.MAX_SEED + 1, limits.MIN_SEED - 1],
)
def test_state_with_an_out_of_range_seed_is_refused(seed: int) -> None:
    """Case 8: a resumed state whose seed is out of range is a StateError."""
    data = _edited(_start())
    data["seed"] = seed
    with pytest.raises(de.StateError):
        BOOK.resume(data)


@pytest.mark.parametrize("seed", [limits.MAX_SEED, limits.MIN_SEED])
def test_seeds_at_the_limits_work(seed: int) -> None:
    """The largest and smallest seeds start, say and resume."""
    conv = _start(seed=seed)
    conv.say("calm")
    assert BOOK.resume(conv.state.model_dump_json()).state == conv.state


@pytest.mark.parametrize("seed", [pytest.param(10**5000, id="huge"), limits.MAX_SEED + 1])
def test_conversation_with_an_out_of_range_seed_is_refused(seed: int) -> None:
    """Case 8: conversation(seed=10**5000) is an InvalidOptionError, not a ValueError at say()."""
    with pytest.raises(de.InvalidOptionError, match="seed"):
        BOOK.conversation(seed=seed)


def test_state_with_a_lone_surrogate_is_refused() -> None:
    """Case 7: a state whose JSON holds a lone surrogate is a StateError (it could not be saved)."""
    text = _start(customer_name="Ann").state.model_dump_json().replace("Ann", "\\udc80")
    with pytest.raises(de.StateError):
        BOOK.resume(text)


@pytest.mark.parametrize(
    "options",
    [
        {"customer_name": "N\udc80"},
        {"values": {"company": "Ac\ud800me"}},
    ],
)
def test_lone_surrogates_in_contact_values_are_refused(options: dict[str, Any]) -> None:
    """Case 7: a lone surrogate in customer_name or values is an InvalidValueError up front."""
    with pytest.raises(de.InvalidValueError, match="surrogate"):
        _start(**options)


def test_lone_surrogates_in_note_words_and_say_values_are_refused() -> None:
    """Case 7: words= and say(values=) with a lone surrogate are refused; the state still saves."""
    conv = _start()
    with pytest.raises(de.InvalidValueError):
        conv.note("insult", words="you \udc80")
    with pytest.raises(de.InvalidValueError):
        conv.say("restate", values={"summary": "the \udc80 parcel"})
    assert json.loads(conv.state.model_dump_json())["log"] == []
    assert conv.log_json()


def test_lone_surrogates_in_pick_values_are_refused() -> None:
    """Case 7: pick and text refuse a lone surrogate in a text value, ASCII-fast path or not."""
    for value in ("\udc80", "café \udc80"):
        with pytest.raises(de.InvalidValueError):
            BOOK.pick("restate", values={"summary": value})
        with pytest.raises(de.InvalidValueError):
            BOOK.text("restate", values={"summary": value})
    assert BOOK.text("restate", values={"summary": "café"}, seed=1).count("café") == 1


def test_customer_name_over_the_value_limit_is_refused_up_front() -> None:
    """Case 19: a 1001-character customer_name is a ValueTooLongError when the contact starts."""
    with pytest.raises(de.ValueTooLongError):
        _start(customer_name="N" * (limits.MAX_VALUE_LENGTH + 1))
    conv = _start(customer_name="N" * limits.MAX_VALUE_LENGTH)
    for seed in range(3):
        _start(customer_name="N" * limits.MAX_VALUE_LENGTH, seed=seed).say("close")
    assert conv.state.values["name"] == "N" * limits.MAX_VALUE_LENGTH


def test_state_values_over_the_value_limit_are_refused_at_resume() -> None:
    """A saved state whose values are too long for any pick is a StateError at resume."""
    data = _edited(_start(customer_name="Ann"))
    data["values"]["name"] = "N" * (limits.MAX_VALUE_LENGTH + 1)
    with pytest.raises(de.StateError):
        BOOK.resume(data)


# --- limits ---------------------------------------------------------------------------------


def test_note_words_at_the_limit_are_kept_and_one_past_is_refused() -> None:
    """words= of MAX_NOTE_LENGTH characters is kept; one more is a NoteTooLongError."""
    conv = _start()
    conv.note("insult", words="w" * limits.MAX_NOTE_LENGTH)
    assert conv.log[-1].words == "w" * limits.MAX_NOTE_LENGTH
    with pytest.raises(de.NoteTooLongError) as info:
        conv.note("insult", words="w" * (limits.MAX_NOTE_LENGTH + 1))
    assert isinstance(info.value, de.ValueTooLongError)
    assert info.value.limit_name == "MAX_NOTE_LENGTH"
    assert len(conv.log) == 1


def _state_of_size(size: int) -> str:
    """A genuine state's JSON padded with spaces (still valid JSON) to exactly ``size`` bytes."""
    text = _start().state.model_dump_json()
    return text[:-1] + " " * (size - len(text)) + "}"


def test_state_at_the_size_limit_resumes() -> None:
    """A saved state of exactly MAX_STATE_BYTES bytes resumes."""
    text = _state_of_size(limits.MAX_STATE_BYTES)
    assert len(text.encode()) == limits.MAX_STATE_BYTES
    assert BOOK.resume(text).topic == "general"


@pytest.mark.parametrize("kind", [str, bytes])
def test_state_one_byte_past_the_size_limit_is_refused(kind: type) -> None:
    """One byte over MAX_STATE_BYTES is a StateTooLargeError, before any parsing."""
    text = _state_of_size(limits.MAX_STATE_BYTES + 1)
    state = text if kind is str else text.encode()
    with pytest.raises(de.StateTooLargeError) as info:
        BOOK.resume(state)
    assert isinstance(info.value, de.StateError)
    assert info.value.limit_name == "MAX_STATE_BYTES"


def test_a_full_log_refuses_the_next_turn_and_stays_resumable() -> None:
    """A conversation whose log reaches the limit refuses the next turn and can still resume."""
    conv = _start()
    words = "w" * limits.MAX_NOTE_LENGTH

    def fill() -> None:
        for _ in range(limits.MAX_STATE_BYTES // limits.MAX_NOTE_LENGTH + 1):
            conv.note("calmed-down", words=words)

    with pytest.raises(de.StateTooLargeError):
        fill()
    saved = conv.state.model_dump_json()
    assert len(saved.encode()) <= limits.MAX_STATE_BYTES
    assert BOOK.resume(saved).state == conv.state


def test_a_failing_clock_leaves_the_state_unchanged() -> None:
    """A clock that returns no datetime is an InvalidOptionError and the turn changes nothing."""
    conv = BOOK.conversation(seed=1, clock=lambda: "now")  # type: ignore[arg-type,return-value]
    before = conv.state
    with pytest.raises(de.InvalidOptionError, match="clock"):
        conv.say("calm")
    with pytest.raises(de.InvalidOptionError, match="clock"):
        conv.note("self-harm")
    assert conv.state == before


@pytest.mark.parametrize("variant", [-1, 2**31, 10**4000])
def test_a_log_record_with_an_impossible_variant_is_refused(variant: int) -> None:
    """A variant number below 0 or past any catalogue's is a StateError at resume."""
    conv = _start()
    conv.say("calm")
    data = _edited(conv)
    data["log"][0]["variant"] = variant
    with pytest.raises(de.StateError):
        BOOK.resume(json.dumps(data))


def test_hear_can_note_the_longest_utterance_listen_takes() -> None:
    """A self-harm signal at the end of the longest utterance switches safety mode on."""
    from deescalate.listening import MAX_UTTERANCE_LENGTH

    assert limits.MAX_NOTE_LENGTH >= MAX_UTTERANCE_LENGTH
    ending = " I want to kill myself."
    text = "x" * (MAX_UTTERANCE_LENGTH - len(ending)) + ending
    conv = _start(situation="late-delivery")
    conv.hear(text)
    assert conv.safety
    assert conv.log[-1].words == text


def test_a_state_with_many_unknown_values_gives_a_short_error() -> None:
    """Thousands of values no entry uses: a StateError of bounded length."""
    data = _edited(_start())
    data["values"] = {f"v{i}": "x" for i in range(5000)}
    with pytest.raises(de.StateError) as info:
        BOOK.resume(data)
    assert len(str(info.value)) < 2000


def test_an_unvalidated_state_model_is_checked_like_its_json() -> None:
    """A ConversationState built with model_construct (no validation) is checked on resume."""
    good = _start().state
    bad = de.ConversationState.model_construct(**{**dict(good), "seed": 10**30})
    with pytest.raises(de.StateError, match="seed"):
        BOOK.resume(bad)
    assert BOOK.resume(good).state == good
