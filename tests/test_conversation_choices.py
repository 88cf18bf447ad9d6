"""Conversation.choices and say(entry=...): the agent says the line that is true."""

from __future__ import annotations

import copy
import itertools

import pytest

import deescalate as de

BOOK = de.Phrasebook.default()
LOCALES = BOOK.locales
SAY_STAGES = [s for s in de.Stage if s is not de.Stage.COOL_DOWN]
CHANNELS = [None, *de.Channel]
CONNECT = "resolve.wants-manager.connect"
BUSY = "resolve.wants-manager.busy"
HANDING_OVER = ("close.wants-manager.handing-over", "close.wants-manager.handing-over-chat")


def _choices(conv: de.Conversation, stage: de.Stage) -> tuple[de.Phrase, ...]:
    """The choices at ``stage``, or none where the stage has nothing to say here."""
    try:
        return conv.choices(stage)
    except de.NoContentError:
        return ()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("channel", CHANNELS, ids=str)
def test_each_choice_is_what_say_with_its_entry_says(
    locale: str, channel: de.Channel | None
) -> None:
    """In every situation and stage: one choice per entry, listing it changes nothing, and
    say(stage, entry=choice.id) says exactly that choice; plain say only says a choice."""
    for topic, stage in itertools.product(sorted(BOOK.neutral.situations), SAY_STAGES):
        conv = BOOK.conversation(situation=topic, locale=locale, channel=channel, seed=3)
        before = conv.state_json()
        offered = _choices(conv, stage)
        assert conv.state_json() == before
        ids = [p.id for p in offered]
        assert len(ids) == len(set(ids)), (topic, stage)
        for phrase in offered:
            assert copy.copy(conv).say(stage, entry=phrase.id) == phrase, (topic, stage)
        if offered:
            for _ in range(4):
                assert conv.say(stage).id in ids, (topic, stage)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("channel", [de.Channel.PHONE, de.Channel.CHAT])
def test_the_agent_tells_the_manager_lines_apart(locale: str, channel: de.Channel) -> None:
    """Each manager outcome is on offer; after "busy" the close never hands over, after
    "connect" it is the hand-over, in every locale."""
    for seed in range(6):
        conv = BOOK.conversation(
            situation="wants-manager", locale=locale, channel=channel, seed=seed
        )
        assert {CONNECT, BUSY} <= {p.id for p in conv.choices("resolve")}
        assert not {p.id for p in conv.choices("close")} & set(HANDING_OVER)
        other = copy.copy(conv)
        said = conv.say("resolve", entry=BUSY)
        assert said.id == BUSY and said.locale == locale
        for _ in range(3):
            assert conv.say("close").id not in HANDING_OVER
        other.say("resolve", entry=CONNECT)
        assert [p.id for p in other.choices("close")] == [other.say("close").id]
        assert other.log[-1].entry in HANDING_OVER


@pytest.mark.parametrize("locale", LOCALES)
def test_the_hand_over_follows_the_latest_resolve_line_only(locale: str) -> None:
    """The connecting line suggested first and "the manager is busy" said after it: the close
    is not the hand-over. The other way round, it is."""
    busy_last = BOOK.conversation(situation="wants-manager", locale=locale, channel="phone")
    busy_last.say("resolve", entry=CONNECT)
    busy_last.say("resolve", entry=BUSY)
    assert HANDING_OVER[0] not in {p.id for p in busy_last.choices("close")}
    assert busy_last.say("close").id not in HANDING_OVER
    connect_last = BOOK.conversation(situation="wants-manager", locale=locale, channel="phone")
    connect_last.say("resolve", entry=BUSY)
    connect_last.say("resolve", entry=CONNECT)
    assert connect_last.say("close").id == HANDING_OVER[0]


def test_variants_of_a_chosen_entry_still_rotate() -> None:
    """Saying one entry again and again goes through its variants before any repeats."""
    conv = BOOK.conversation(situation="late-delivery", channel="chat", seed=9)
    entry = "calm.here-to-help"
    variants = {v for e, v in BOOK.options("calm", channel="chat") if e == entry}
    assert len(variants) > 1
    said = [conv.say("calm", entry=entry).variant for _ in variants]
    assert set(said) == variants


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("no.such.entry", "no such entry"),
        ("listen.wants-manager.no-offence", "not a phrase of stage 'resolve'"),
        ("close.thank-you", "not a phrase of stage 'resolve'"),
        ("resolve.late-delivery.checking", "not a line this conversation says"),
        (HANDING_OVER[0], "not a phrase of stage 'resolve'"),
    ],
)
def test_an_entry_that_does_not_fit_now_is_refused_and_nothing_is_logged(
    entry: str, reason: str
) -> None:
    """An unknown id, a tip, another stage's line, another situation's: a clear error."""
    conv = BOOK.conversation(situation="wants-manager", channel="phone", seed=1)
    with pytest.raises(de.UnknownEntryError, match=reason) as caught:
        conv.say("resolve", entry=entry)
    assert caught.value.entry_id == entry
    assert conv.log == ()


def test_a_line_that_must_follow_another_is_refused_before_it() -> None:
    """The hand-over close cannot be chosen before the customer was put through."""
    conv = BOOK.conversation(situation="wants-manager", channel="phone", seed=1)
    with pytest.raises(de.UnknownEntryError, match="offers close"):
        conv.say("close", entry=HANDING_OVER[0])


def test_the_ladder_step_and_safety_mode_decide_what_may_be_chosen() -> None:
    """On a ladder step only that step's line is on offer; in safety mode only safety lines;
    choosing anything else is refused, so no choice gets round either."""
    conv = BOOK.conversation(situation="late-delivery", channel="phone", seed=2)
    conv.note("insult")
    ladder = BOOK.neutral.situations["abusive-language"].ladder
    assert [p.id for p in conv.choices("calm")] == [ladder[0]]
    with pytest.raises(de.UnknownEntryError):
        conv.say("calm", entry="calm.here-to-help")
    assert conv.say("calm", entry=ladder[0]).id == ladder[0]

    conv.note("violence")
    family = {s.id for s in BOOK.situations() if "safety-threat" in (s.id, s.parent)}
    for stage in SAY_STAGES:
        for phrase in _choices(conv, stage):
            assert phrase.situation in family, (stage, phrase.id)
    with pytest.raises(de.UnknownEntryError):
        conv.say("resolve", entry="resolve.do-what-we-can")
    assert conv.safety


def test_a_chosen_line_resumes_as_any_other() -> None:
    """The log of a conversation with chosen lines checks and carries on when resumed."""
    conv = BOOK.conversation(situation="wants-manager", channel="chat", seed=5)
    conv.say("resolve", entry=CONNECT)
    resumed = BOOK.resume(conv.state_json())
    assert resumed.log == conv.log
    assert resumed.say("close").id == HANDING_OVER[1]


def test_entry_must_be_an_id() -> None:
    """A non-string entry is an InvalidOptionError, as for pick."""
    conv = BOOK.conversation(seed=1)
    with pytest.raises(de.InvalidOptionError):
        conv.say("calm", entry=123)  # type: ignore[arg-type]
    assert conv.log == ()
