"""Conversations: no repeats, the abuse ladder, safety mode, resumable state, the log."""

from __future__ import annotations

import contextlib
import copy
import doctest
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import deescalate as de
from deescalate import conversation as conversation_module
from deescalate.catalogue import shipped_catalogue
from deescalate.conversation import ABUSE_SITUATION, SAFETY_SITUATION

BOOK = de.Phrasebook.default()
LOCALES = BOOK.locales
LADDER = BOOK.neutral.situations[ABUSE_SITUATION].ladder
SAY_STAGES = [s for s in de.Stage if s is not de.Stage.COOL_DOWN]
TOPICS = sorted(BOOK.neutral.situations)


def fixed_clock() -> Callable[[], datetime]:
    """A clock that ticks one second per call, so runs compare equal."""
    start = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    ticks: Iterator[int] = iter(range(1_000_000))
    return lambda: start + timedelta(seconds=next(ticks))


def start(**options: Any) -> de.Conversation:
    """A conversation on the shipped book with a fixed seed and clock unless given."""
    options.setdefault("seed", 11)
    options.setdefault("clock", fixed_clock())
    return BOOK.conversation(**options)


def climb(conv: de.Conversation, insults: int) -> list[str]:
    """Note an insult and say the recommended line, ``insults`` times; return the ids."""
    said = []
    for _ in range(insults):
        conv.note(de.Event.INSULT)
        said.append(conv.say(conv.next_stage() or de.Stage.CALM).id)
    return said


SAFETY_FAMILY = {"safety-threat", "safety-self-harm", "safety-violence"}
SAFETY_FOR = {de.Event.SELF_HARM: "safety-self-harm", de.Event.VIOLENCE: "safety-violence"}


def is_safety_entry(entry_id: str) -> bool:
    """Whether the entry belongs to safety-threat or one of its two refinements."""
    return bool(SAFETY_FAMILY & {*BOOK.neutral.entries[entry_id].situations})


# --- basics ------------------------------------------------------------------------------


def test_docstring_examples() -> None:
    """The examples in the module's docstrings are true."""
    assert doctest.testmod(conversation_module).failed == 0


def test_phrasebook_conversation_makes_a_fresh_contact() -> None:
    """Phrasebook.conversation starts at calm, on the topic, with no ladder and no safety."""
    conv = BOOK.conversation(situation="late-delivery")
    assert isinstance(conv, de.Conversation)
    assert conv.book is BOOK
    assert conv.topic == conv.situation == "late-delivery"
    assert conv.next_stage() is de.Stage.CALM
    assert (conv.ladder_step, conv.safety, conv.ended, conv.log) == (0, False, False, ())
    assert conv.ladder == LADDER
    assert "late-delivery" in repr(conv)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_whole_contact_runs_in_every_locale(locale: str) -> None:
    """Following next_stage gives one line per stage in order, then cool-down tips, then None."""
    conv = start(locale=locale, situation="late-delivery", channel="phone")
    stages: list[de.Stage] = []
    while (stage := conv.next_stage()) is not None:
        if stage is de.Stage.COOL_DOWN:
            assert conv.tips(stage)
        else:
            phrase = conv.say(stage)
            assert phrase.stage is stage
            assert phrase.text
            assert phrase.locale in LOCALES
        stages.append(stage)
    assert stages == list(de.Stage)


@pytest.mark.parametrize("locale", LOCALES)
def test_an_abusive_call_climbs_the_ladder_in_every_locale(locale: str) -> None:
    """Each insult gives the next ladder line; the last one ends the contact."""
    conv = start(locale=locale, situation="faulty-product")
    conv.say(conv.next_stage() or de.Stage.CALM)
    assert climb(conv, len(LADDER)) == list(LADDER)
    assert conv.ended
    assert conv.next_stage() is de.Stage.COOL_DOWN


@pytest.mark.parametrize("locale", LOCALES)
def test_a_safety_call_gives_only_safety_content_in_every_locale(locale: str) -> None:
    """After self-harm every line and tip of every stage is safety content."""
    conv = start(locale=locale, situation="billing-error")
    conv.note(de.Event.SELF_HARM)
    for stage in de.Stage:
        for tip in conv.tips(stage):
            assert tip.situation == SAFETY_SITUATION
        if stage is not de.Stage.COOL_DOWN:
            phrase = conv.say(stage)
            assert is_safety_entry(phrase.id)
            assert phrase.verbatim


# --- no repeats --------------------------------------------------------------------------


def variants_of(entry_id: str, **options: Any) -> set[int]:
    """Every variant of an entry that fits (English, no values)."""
    stage = BOOK.neutral.entries[entry_id].stage
    situation = BOOK.neutral.entries[entry_id].situations[0]
    return {v for _, v in BOOK.options(stage, situation=situation, entry=entry_id, **options)}


def test_no_variant_repeats_until_its_entry_is_used_up() -> None:
    """Saying calm many times uses every variant of every entry before any repeat."""
    conv = start()
    pool = set(BOOK.options(de.Stage.CALM))
    said = [(p.id, p.variant) for p in (conv.say("calm") for _ in range(len(pool)))]
    assert len(set(said)) == len(said) == len(pool)
    assert set(said) == pool


def test_after_using_everything_the_least_recently_used_comes_back() -> None:
    """Once every variant is used, the order of the first round repeats (LRU)."""
    conv = start()
    n = len(BOOK.options(de.Stage.CALM))
    first = [(p.id, p.variant) for p in (conv.say("calm") for _ in range(n))]
    second = [(p.id, p.variant) for p in (conv.say("calm") for _ in range(n))]
    assert second == first


def test_the_same_seed_gives_the_same_contact() -> None:
    """Two conversations with one seed and the same calls say the same lines."""
    runs = []
    for _ in range(2):
        conv = start(seed=42)
        runs.append([conv.say(stage).text for stage in SAY_STAGES * 3])
    assert runs[0] == runs[1]


def test_different_seeds_give_different_orders() -> None:
    """The seed changes which unused variant comes first."""
    firsts = {(p.id, p.variant) for p in (start(seed=seed).say("calm") for seed in range(20))}
    assert len(firsts) > 2


def test_without_a_seed_one_is_drawn_and_kept() -> None:
    """A conversation without a seed stores the one it drew, so a resume repeats it."""
    conv = BOOK.conversation()
    assert isinstance(conv.state.seed, int)


# --- the abuse ladder ----------------------------------------------------------------------


def test_an_insult_moves_the_topic_into_the_ladder_without_losing_it() -> None:
    """An insult makes the situation abusive-language; the topic stays late-delivery."""
    conv = start(situation="late-delivery")
    conv.note("insult")
    assert conv.situation == ABUSE_SITUATION
    assert conv.topic == "late-delivery"
    assert conv.ladder_step == 1
    assert conv.next_stage() is de.Stage.CALM
    assert conv.say("calm").id == LADDER[0]
    # Stages the ladder has nothing for still speak about the late delivery.
    assert conv.say("apologise").situation == "late-delivery"


def test_the_ladder_end_brings_the_policy_tip() -> None:
    """At the ending step the close line ends the contact and the tips say to document it."""
    conv = start()
    climb(conv, len(LADDER) - 1)
    conv.note("insult")
    assert conv.next_stage() is de.Stage.CLOSE
    assert conv.say("close").id == LADDER[-1]
    assert "close.abusive-language.document" in [t.id for t in conv.tips("close")]
    assert conv.ended


def test_insults_never_climb_past_the_end() -> None:
    """More insults than steps stop at the ending step."""
    conv = start()
    climb(conv, len(LADDER))
    for _ in range(5):
        conv.note("insult")
    assert conv.ladder_step == len(LADDER)


def test_insults_that_pile_up_never_skip_a_warning() -> None:
    """Insults before the agent answers climb one step only; each warning is still said."""
    conv = start()
    for _ in range(5):
        conv.note("insult")
    assert conv.ladder_step == 1
    said = []
    while not conv.ended:
        said.append(conv.say(conv.next_stage() or "calm").id)
        for _ in range(3):
            conv.note("insult")
    assert said == list(LADDER)


def test_calming_down_steps_the_ladder_back() -> None:
    """calmed-down lowers the step by one; at zero the topic is back."""
    conv = start(situation="long-wait")
    conv.note("insult")
    conv.say("calm")
    conv.note("insult")
    conv.note("calmed-down")
    assert conv.ladder_step == 1
    assert conv.next_stage() is de.Stage.LISTEN  # the boundary was said: nothing pending
    conv.note("calm")
    assert conv.ladder_step == 0
    assert conv.situation == "long-wait"
    conv.note("calm")
    assert conv.ladder_step == 0


def test_after_stepping_back_an_insult_repeats_the_step_with_a_new_variant() -> None:
    """Climbing to a step again says its line again, in a variant not used yet."""
    conv = start()
    conv.note("insult")
    first = conv.say("calm")
    conv.note("calmed-down")
    conv.note("insult")
    again = conv.say(conv.next_stage() or "calm")
    assert again.id == first.id
    assert again.variant != first.variant


@pytest.mark.parametrize("warnings", [0, 1, 2, 3, 4, 7])
def test_the_number_of_warnings_is_configurable(warnings: int) -> None:
    """With N warnings the contact ends on the (N+1)th insult, final warning just before."""
    conv = start(warnings=warnings)
    assert len(conv.ladder) == warnings + 1
    said = climb(conv, warnings + 1)
    assert said[-1] == LADDER[-1]
    assert conv.ended
    if warnings >= 1:
        assert said[-2] == LADDER[-2]
    if warnings >= 2:
        assert said[0] == LADDER[0]


def test_the_default_warnings_come_from_the_catalogue_ladder() -> None:
    """Without warnings= the ladder is the catalogue's, three warnings then the ending."""
    assert start().state.warnings == len(LADDER) - 1 == 3


@pytest.mark.parametrize("warnings", [-1, 11, "3", True, 2.0])
def test_invalid_warnings_are_refused(warnings: object) -> None:
    """warnings must be an int from 0 to 10."""
    with pytest.raises(de.InvalidOptionError, match="warnings"):
        start(warnings=warnings)


def test_a_contact_about_abuse_starts_on_the_ladder() -> None:
    """situation='abusive-language' starts at step 1: the boundary comes first."""
    conv = start(situation=ABUSE_SITUATION)
    assert conv.ladder_step == 1
    assert conv.say(conv.next_stage() or "calm").id == LADDER[0]


# --- safety mode ----------------------------------------------------------------------------


@pytest.mark.parametrize("event", [de.Event.SELF_HARM, de.Event.VIOLENCE])
def test_a_safety_event_switches_to_safety_for_good(event: de.Event) -> None:
    """self-harm or violence means its safety situation, whatever is noted afterwards."""
    conv = start(situation="wants-manager")
    conv.say("calm")
    conv.say("listen")
    conv.note("insult")
    conv.note(event)
    assert conv.safety
    assert conv.situation == SAFETY_FOR[event]
    assert conv.log[-1].situation == SAFETY_FOR[event]
    assert conv.next_stage() is de.Stage.CALM
    for later in de.Event:
        conv.note(later)
        assert conv.situation == SAFETY_FOR[event]
    for stage in SAY_STAGES * 2:
        phrase = conv.say(stage)
        assert is_safety_entry(phrase.id)
        assert phrase.id not in LADDER
    assert not conv.ended


def test_safety_mode_never_ends_the_contact_even_at_the_ladder_end() -> None:
    """Insults that reached the ending step before a threat never produce the ending line."""
    conv = start()
    climb(conv, len(LADDER) - 1)
    conv.note("insult")
    assert conv.ladder_step == len(LADDER)
    conv.note("violence")
    assert conv.say("close").id == "close.safety-threat.urgent"
    # A threat against others: everyone's safety first, not the caller's own.
    assert conv.say("calm").id == "calm.safety-violence.everyone-safe"
    assert not conv.ended


def test_a_contact_about_a_safety_threat_starts_in_safety_mode() -> None:
    """situation='safety-threat' is safety mode from the first line."""
    conv = start(situation=SAFETY_SITUATION)
    assert conv.safety
    assert is_safety_entry(conv.say("calm").id)


def test_the_crisis_line_is_offered_once_the_company_gives_it() -> None:
    """A crisis_line contact value lets the warm hand-over name the service."""
    conv = start(channel="phone", values={"crisis_line": "the Helpline, 0800 123 456"})
    conv.note("self-harm")
    said = {p.id: p.text for p in (conv.say("resolve") for _ in range(4))}
    assert set(said) == {
        "resolve.safety-threat.crisis-line",
        "resolve.safety-threat.bring-in-help",
        "resolve.safety-threat.emergency-help",
        "resolve.safety-threat.urgent-team",
    }
    assert "0800 123 456" in said["resolve.safety-threat.crisis-line"]


# --- other events -----------------------------------------------------------------------------


def test_asking_for_a_manager_brings_in_wants_manager() -> None:
    """asked-for-manager: restate again, resolve by connecting; the topic still apologises."""
    conv = start(situation="late-delivery")
    for stage in (de.Stage.CALM, de.Stage.LISTEN, de.Stage.RESTATE, de.Stage.APOLOGISE):
        conv.say(stage)
    conv.note("asked-for-manager", words="Get me your manager.")
    assert conv.situation == "wants-manager"
    assert conv.topic == "late-delivery"
    assert conv.next_stage() is de.Stage.RESTATE
    assert conv.say("restate").id == "restate.wants-manager.request"
    assert conv.say("resolve").situation == "wants-manager"
    assert conv.say("apologise").id == "apologise.late-delivery.delay"
    assert conv.log[4].words == "Get me your manager."


def test_tears_bring_in_distressed_from_calm() -> None:
    """cried: the contact goes back to calm with the distressed reassurance."""
    conv = start(situation="repeat-contact", channel="phone")
    for stage in SAY_STAGES[:4]:
        conv.say(stage)
    conv.note("cried")
    assert conv.next_stage() is de.Stage.CALM
    assert conv.say("calm").id == "calm.distressed.reassure"


def test_a_legal_threat_uses_the_reviewed_wording() -> None:
    """threatened-to-sue brings in legal-threat, whose lines are verbatim."""
    conv = start()
    conv.say("calm")
    conv.say("listen")
    conv.note("threatened-to-sue")
    assert conv.next_stage() is de.Stage.RESTATE
    assert conv.say("restate").verbatim


def test_tips_put_the_most_pressing_situation_first() -> None:
    """On the ladder the abuse tips come before the topic's and the general ones."""
    conv = start(situation="late-delivery")
    conv.note("insult")
    tips = conv.tips("calm")
    assert tips[0].situation == ABUSE_SITUATION
    assert {t.situation for t in tips} >= {ABUSE_SITUATION, "general"}
    assert len({t.id for t in tips}) == len(tips)


@pytest.mark.parametrize(
    ("text", "event"),
    [
        ("insult", de.Event.INSULT),
        ("Calmed Down", de.Event.CALMED_DOWN),
        ("calm", de.Event.CALMED_DOWN),
        ("asked_for_manager", de.Event.ASKED_FOR_MANAGER),
        ("manager", de.Event.ASKED_FOR_MANAGER),
        ("sue", de.Event.THREATENED_TO_SUE),
        ("crying", de.Event.CRIED),
        ("suicide", de.Event.SELF_HARM),
        (de.Event.VIOLENCE, de.Event.VIOLENCE),
    ],
)
def test_events_accept_values_and_aliases(text: str, event: de.Event) -> None:
    """Event.coerce takes a member, its value in any case, or a short alias."""
    assert de.Event.coerce(text) is event


@pytest.mark.parametrize("bad", ["shouted", "", 3, None])
def test_unknown_events_are_refused(bad: object) -> None:
    """An unknown event is an InvalidOptionError listing the events."""
    with pytest.raises(de.InvalidOptionError, match="asked-for-manager"):
        start().note(bad)  # type: ignore[arg-type]


# --- options and values ---------------------------------------------------------------------


def test_the_customer_name_is_used_where_a_line_takes_it() -> None:
    """customer_name fills {name}; lines without it stay in the rotation."""
    conv = start(customer_name="Ana")
    n = len(set(BOOK.options(de.Stage.CALM))) + len(
        set(BOOK.options(de.Stage.CALM, values={"name": "x"}))
    )
    texts = [conv.say("calm").text for _ in range(n)]
    assert any("Ana" in t for t in texts)
    assert any("Ana" not in t for t in texts)
    assert not any("{name}" in t for t in texts)


def test_a_blank_customer_name_counts_as_none() -> None:
    """A blank name is not used, so no line reads 'Thank you, .'."""
    assert start(customer_name="  ").state.values == {}


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"situation": "flood"}, de.UnknownSituationError, "flood"),
        ({"locale": "!!"}, de.InvalidLocaleError, "!!"),
        ({"gloss": "!!"}, de.InvalidLocaleError, "!!"),
        ({"register": "casual"}, de.InvalidOptionError, "register"),
        ({"channel": "fax"}, de.InvalidOptionError, "channel"),
        ({"seed": "7"}, de.InvalidOptionError, "seed"),
        ({"values": {"colour": "red"}}, de.UnexpectedValueError, "colour"),
        ({"values": {"name": 5}}, de.InvalidValueError, "{name}"),
        ({"customer_name": 5}, de.InvalidValueError, "{name}"),
        ({"customer_name": "A", "values": {"name": "B"}}, de.InvalidOptionError, "customer_name"),
    ],
)
def test_bad_options_raise_clear_errors(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    """Bad options are deescalate errors that name the problem."""
    with pytest.raises(error, match=message.replace("{", r"\{").replace("}", r"\}")):
        start(**options)


def test_values_for_one_line_choose_the_entry() -> None:
    """say(values=...) picks among entries as pick does: a summary means the summary line."""
    phrase = start().say("restate", values={"summary": "the parcel is late"})
    assert phrase.id == "restate.summary"
    assert "the parcel is late" in phrase.text


def test_a_failed_line_changes_nothing() -> None:
    """A bad value raises and leaves the state as it was."""
    conv = start()
    before = conv.state
    with pytest.raises(de.InvalidValueError):
        conv.say("restate", values={"summary": 42})
    with pytest.raises(de.UnknownStageError):
        conv.say("breathe")
    assert conv.state == before


def test_a_gloss_comes_with_every_line() -> None:
    """gloss= adds the agent's language to each line and tip."""
    conv = start(locale="da", gloss="en")
    phrase = conv.say("calm")
    assert phrase.gloss is not None and phrase.gloss.locale == "en"
    assert all(t.gloss is not None for t in conv.tips("calm"))


def test_skip_marks_a_stage_done() -> None:
    """skip() moves the contact on without a line, and the log says so."""
    conv = start()
    conv.skip("calm")
    assert conv.next_stage() is de.Stage.LISTEN
    assert conv.log[-1].kind is de.LogKind.SKIP


def test_jumping_ahead_is_not_undone() -> None:
    """After an agent jumps to close, only the cool-down is left."""
    conv = start()
    conv.say("close")
    assert conv.next_stage() is de.Stage.COOL_DOWN
    conv.tips("cool-down")
    assert conv.next_stage() is None


# --- the log ------------------------------------------------------------------------------------


def test_the_log_records_lines_events_and_tips() -> None:
    """Each record has kind, stage or event, entry id, locale and the clock's time."""
    conv = start(locale="ko", situation="late-delivery")
    phrase = conv.say("calm")
    conv.note("insult", words="exact words here")
    conv.tips("calm")
    said, noted, shown = conv.log
    assert (said.kind, said.stage, said.entry, said.variant) == (
        de.LogKind.PHRASE,
        de.Stage.CALM,
        phrase.id,
        phrase.variant,
    )
    assert said.locale == phrase.locale == "ko"
    assert said.text == phrase.text
    assert said.at == datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    assert (noted.kind, noted.event, noted.words) == (
        de.LogKind.EVENT,
        de.Event.INSULT,
        "exact words here",
    )
    assert (noted.situation, noted.ladder_step) == (ABUSE_SITUATION, 1)
    assert shown.kind is de.LogKind.TIPS and shown.tips
    assert noted.at > said.at


def test_the_log_exports_as_json() -> None:
    """log_json() is a JSON array with ISO timestamps and the entry ids."""
    conv = start()
    conv.say("calm")
    conv.note("cried")
    data = json.loads(conv.log_json())
    assert [r["kind"] for r in data] == ["phrase", "event"]
    assert data[0]["entry"].startswith("calm.")
    assert datetime.fromisoformat(data[0]["at"]).tzinfo is not None
    assert json.loads(conv.log_json(indent=None)) == data


# --- state ---------------------------------------------------------------------------------------


def test_state_is_frozen() -> None:
    """The state model cannot be changed in place."""
    state = start().state
    with pytest.raises(ValueError, match="frozen"):
        state.seed = 3  # type: ignore[misc]


@pytest.mark.parametrize("form", ["model", "json", "bytes", "dict"])
def test_state_round_trips_and_continues_identically(form: str) -> None:
    """A resumed conversation equals the original and goes on saying the same lines."""
    conv = start(situation="billing-error", locale="da", customer_name="Mette")
    conv.say("calm")
    conv.note("insult")
    conv.say("calm")
    state = conv.state
    saved: Any = {
        "model": state,
        "json": state.model_dump_json(),
        "bytes": state.model_dump_json().encode(),
        "dict": json.loads(state.model_dump_json()),
    }[form]
    again = BOOK.resume(saved, clock=fixed_clock())
    assert again.state == state
    conv._clock = fixed_clock()  # both go on with the same timestamps
    for stage in SAY_STAGES:
        assert again.say(stage) == conv.say(stage)
    assert again.state == conv.state


@pytest.mark.parametrize(
    ("saved", "message"),
    [
        ("{not json", "not valid"),
        ('{"version": 2}', "version"),
        (b'{"topic": "general"}', "locale"),
        ({"topic": "general", "locale": "en", "seed": 1, "warnings": 3, "x": 1}, "x"),
        (
            {"topic": "general", "locale": "en", "seed": 1, "warnings": 1, "ladder_step": 5},
            "ladder",
        ),
        (42, "not int"),
        ({"topic": "flood", "locale": "en", "seed": 1, "warnings": 3}, "flood"),
    ],
)
def test_bad_state_is_a_state_error(saved: object, message: str) -> None:
    """Anything that is not a fitting state raises StateError, never a crash."""
    with pytest.raises(de.StateError, match=message):
        BOOK.resume(saved)  # type: ignore[arg-type]


def stale_state() -> de.ConversationState:
    """A saved state whose log names an entry that these catalogues no longer have."""
    conv = start()
    conv.note("cried")
    conv.say("calm")
    conv.say("calm")
    log = list(conv.state.log)
    log[1] = log[1].model_copy(update={"entry": "calm.retired-line"})
    return conv.state.model_copy(
        update={"log": tuple(log), "implied": ("gone-situation", "distressed")}
    )


def test_a_state_with_a_vanished_entry_is_refused_clearly() -> None:
    """An entry id that no longer exists is a StateError naming it and the way out."""
    with pytest.raises(de.StateError, match=r"calm\.retired-line.*repair=True"):
        BOOK.resume(stale_state())


def test_repair_resumes_a_stale_state_and_says_so() -> None:
    """repair=True keeps the log, drops what no longer exists, and logs a repair record."""
    state = stale_state()
    conv = BOOK.resume(state, repair=True, clock=fixed_clock())
    assert conv.log[: len(state.log)] == state.log
    assert conv.log[-1].kind is de.LogKind.REPAIR
    assert "calm.retired-line" in (conv.log[-1].text or "")
    assert conv.state.implied == ("distressed",)
    conv.say("calm")  # the contact goes on


# --- properties ---------------------------------------------------------------------------------

ACTIONS = st.lists(
    st.one_of(
        st.sampled_from(SAY_STAGES).map(lambda s: ("say", s)),
        st.sampled_from(list(de.Event)).map(lambda e: ("note", e)),
        st.just(("next", None)),
    ),
    max_size=30,
)
SETUP = st.fixed_dictionaries(
    {
        "situation": st.sampled_from(TOPICS),
        "seed": st.integers(0, 2**32),
        "customer_name": st.sampled_from([None, "Sam"]),
        "warnings": st.integers(0, 5),
    }
)
PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def run(conv: de.Conversation, actions: list[tuple[str, Any]]) -> list[de.Phrase]:
    """Apply actions; return the lines said."""
    said: list[de.Phrase] = []
    for kind, arg in actions:
        if kind == "note":
            conv.note(arg)
            continue
        stage = arg if kind == "say" else conv.next_stage()
        if stage is None or stage is de.Stage.COOL_DOWN:
            conv.tips(de.Stage.COOL_DOWN)
        else:
            said.append(conv.say(stage))
    return said


@pytest.mark.parametrize("locale", LOCALES)
@PROPERTY_SETTINGS
@given(setup=SETUP, actions=ACTIONS)
def test_property_no_variant_repeats_before_its_entry_is_used_up(
    locale: str, setup: dict[str, Any], actions: list[tuple[str, Any]]
) -> None:
    """A variant comes back only after every fitting variant of its entry, and it is the LRU."""
    conv = start(locale=locale, **setup)
    said = run(conv, actions)
    last: dict[tuple[str, int], int] = {}
    for turn, phrase in enumerate(said):
        key = (phrase.id, phrase.variant)
        if key in last:
            entry = BOOK.neutral.entries[phrase.id]
            values = (
                {"name": "Sam"} if setup["customer_name"] and "name" in entry.placeholders else {}
            )
            available = {
                v
                for _, v in BOOK.options(
                    phrase.stage,
                    situation=phrase.situation,
                    locale=locale,
                    entry=phrase.id,
                    values=values or None,
                )
            }
            used = {v for (e, v) in last if e == phrase.id}
            assert available <= used, (phrase.id, available, used)
            assert last[key] == min(last[(phrase.id, v)] for v in available)
        last[key] = turn


@pytest.mark.parametrize("locale", LOCALES)
@PROPERTY_SETTINGS
@given(setup=SETUP, actions=ACTIONS)
def test_property_safety_mode_only_ever_gives_safety_content(
    locale: str, setup: dict[str, Any], actions: list[tuple[str, Any]]
) -> None:
    """After a safety event, no line or tip comes from outside safety-threat, ever."""
    conv = start(locale=locale, **setup)
    safe_from: int | None = 0 if setup["situation"] in SAFETY_FAMILY else None
    for index, (kind, arg) in enumerate(actions):
        run(conv, [(kind, arg)])
        if kind == "note" and arg in (de.Event.SELF_HARM, de.Event.VIOLENCE) and safe_from is None:
            safe_from = len(conv.log)
        assert conv.safety == (safe_from is not None), index
    if safe_from is None:
        return
    for record in conv.log[safe_from:]:
        if record.entry is not None:
            assert is_safety_entry(record.entry)
            assert record.entry not in LADDER
        for tip in record.tips:
            assert is_safety_entry(tip)
        assert record.situation in SAFETY_FAMILY
    assert not conv.ended or any(r.entry == LADDER[-1] for r in conv.log[:safe_from])


@pytest.mark.parametrize("locale", LOCALES)
@PROPERTY_SETTINGS
@given(setup=SETUP, actions=ACTIONS)
def test_property_the_ladder_never_skips_a_step_upward(
    locale: str, setup: dict[str, Any], actions: list[tuple[str, Any]]
) -> None:
    """The step moves by at most one per event and a ladder line matches the step reached."""
    conv = start(locale=locale, **setup)
    run(conv, actions)
    ladder = conv.ladder
    step = 1 if setup["situation"] == ABUSE_SITUATION else 0
    for record in conv.log:
        assert record.ladder_step - step <= 1
        assert record.ladder_step <= len(ladder)
        if record.kind is not de.LogKind.EVENT:
            assert record.ladder_step == step
        step = record.ladder_step
        if record.entry == ladder[-1]:
            assert record.ladder_step == len(ladder)
            # Every warning was said before the ending, the final one last.
            before = [r.entry for r in conv.log[: conv.log.index(record)]]
            assert all(step_entry in before for step_entry in ladder[:-1])
        elif record.entry in ladder and record.situation != SAFETY_SITUATION:
            positions = [i + 1 for i, e in enumerate(ladder) if e == record.entry]
            assert min(positions) <= record.ladder_step


@pytest.mark.parametrize("locale", LOCALES)
@PROPERTY_SETTINGS
@given(setup=SETUP, actions=ACTIONS, split=st.integers(0, 30))
def test_property_a_resumed_state_continues_identically(
    locale: str, setup: dict[str, Any], actions: list[tuple[str, Any]], split: int
) -> None:
    """State saved as JSON at any point resumes into a conversation that goes on the same."""
    original = start(locale=locale, clock=fixed_clock(), **setup)
    run(original, actions[:split])
    resumed = BOOK.resume(original.state.model_dump_json(), clock=fixed_clock())
    assert resumed.state == original.state
    original._clock = fixed_clock()
    rest = actions[split:]
    assert run(resumed, rest) == run(original, rest)
    assert resumed.state == original.state
    assert resumed.next_stage() == original.next_stage()


# --- threads --------------------------------------------------------------------------------------


def script(number: int) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """A varied but fixed contact for the thread test."""
    events = list(de.Event)
    actions: list[tuple[str, Any]] = []
    for i in range(12):
        actions.append(("next", None))
        if (number + i) % 3 == 0:
            actions.append(("note", events[(number * 7 + i) % len(events)]))
    setup = {
        "locale": LOCALES[number % len(LOCALES)],
        "situation": TOPICS[number % len(TOPICS)],
        "seed": number,
        "customer_name": "Lee" if number % 2 else None,
    }
    return setup, actions


def play(book: de.Phrasebook, number: int) -> tuple[list[dict[str, Any]], str]:
    """Run one scripted contact on ``book``; return its lines and final state."""
    setup, actions = script(number)
    conv = book.conversation(clock=fixed_clock(), **setup)
    said = run(conv, actions)
    return [p.model_dump() for p in said], conv.state.model_dump_json()


def test_many_conversations_on_one_book_in_threads_match_one_by_one() -> None:
    """Conversations sharing a fresh Phrasebook across threads say what they say alone."""
    count = 48
    sequential = de.Phrasebook.from_directory(shipped_catalogue())
    alone = [play(sequential, n) for n in range(count)]
    shared = de.Phrasebook.from_directory(shipped_catalogue())
    results: dict[int, tuple[list[dict[str, Any]], str]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            results[n] = play(shared, n)
        except BaseException as err:  # pragma: no cover - reported by the assert below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [results[n] for n in range(count)] == alone


# --- state_json and the states this process remembers ------------------------------------------

STATE_ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("say"), st.sampled_from([s.value for s in SAY_STAGES])),
        st.tuples(st.just("note"), st.sampled_from([e.value for e in de.Event])),
        st.tuples(st.just("skip"), st.sampled_from([s.value for s in de.Stage])),
        st.tuples(st.just("tips"), st.sampled_from([s.value for s in de.Stage])),
        st.tuples(st.just("resume"), st.just("")),
    ),
    max_size=14,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(topic=st.sampled_from(TOPICS), actions=STATE_ACTIONS)
def test_state_json_is_the_models_json_and_resumes_as_a_full_check_does(
    topic: str, actions: list[tuple[str, str]]
) -> None:
    """After any turns (failed ones and resumes included), state_json() is exactly
    model_dump_json(), and resuming it without a check gives what the full check gives."""
    conv = start(situation=topic, channel="chat")
    for kind, arg in actions:
        if kind == "resume":
            conv = BOOK.resume(conv.state_json(), clock=fixed_clock())
            continue
        # A stage with nothing to say here is an error; the contact goes on.
        with contextlib.suppress(de.DeescalateError):
            getattr(conv, kind)(arg)
        text = conv.state_json()
        assert text == conv.state.model_dump_json()
    remembered = BOOK.resume(conv.state_json())
    de.cache_clear()
    checked = BOOK.resume(conv.state_json())
    assert remembered.state == checked.state == conv.state
    assert remembered.state_json() == checked.state_json()


def test_a_failed_turn_leaves_state_json_right() -> None:
    """A turn that fails puts the log back; state_json() follows the log that is there."""
    conv = start(situation="billing-error")
    conv.say("calm")
    with pytest.raises(de.DeescalateError):
        conv.say("resolve", values={"no_such_value": "1"})
    assert conv.state_json() == conv.state.model_dump_json()
    conv.say("listen")
    assert conv.state_json() == conv.state.model_dump_json()


def test_an_edited_remembered_state_is_still_checked() -> None:
    """Only the exact text is remembered: safety switched off in it is refused as always."""
    conv = start(situation="late-delivery")
    conv.note("violence")
    conv.say(conv.next_stage() or "calm")
    text = conv.state_json()
    assert BOOK.resume(text).safety
    edited = text.replace('"safety":true', '"safety":false')
    assert edited != text
    with pytest.raises(de.StateError, match="contradicts its own log"):
        BOOK.resume(edited)


def test_a_remembered_state_is_checked_against_another_phrasebook(
    tmp_path: Any,
) -> None:
    """A text remembered for one phrasebook is checked in full by another it does not fit."""
    overlay = tmp_path / "acme"
    overlay.mkdir()
    (overlay / "entries.toml").write_text(
        '[situations.warranty-claim]\nparent = "faulty-product"\n'
        'description = "The customer claims under the warranty."\n',
        encoding="utf-8",
    )
    (overlay / "en.toml").write_text(
        '[situations]\nwarranty-claim = "Warranty claim"\n', encoding="utf-8"
    )
    company = de.Phrasebook.load(overlay)
    conv = company.conversation(situation="warranty-claim", seed=2)
    conv.say("calm")
    text = conv.state_json()
    assert company.resume(text).situation == "warranty-claim"
    with pytest.raises(de.StateError, match="warranty-claim"):
        BOOK.resume(text)


def test_remembered_states_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """At most TRUSTED_STATES texts and TRUSTED_STATE_BYTES characters are remembered,
    the least recently used forgotten first; cache_clear() forgets them all."""
    trusted = conversation_module._TRUSTED
    monkeypatch.setattr(conversation_module, "TRUSTED_STATES", 3)
    texts = []
    for seed in range(5):
        conv = start(seed=seed)
        conv.say("calm")
        texts.append(conv.state_json())
    assert [trusted.get(BOOK, t) is not None for t in texts] == [False, False, True, True, True]
    monkeypatch.setattr(conversation_module, "TRUSTED_STATE_BYTES", len(texts[4]) + 1)
    conv = start(seed=9)
    conv.say("calm")
    kept = conv.state_json()
    assert [trusted.get(BOOK, t) is not None for t in [*texts, kept]] == [False] * 5 + [True]
    de.cache_clear()
    assert trusted.get(BOOK, kept) is None


# --- turns that cost the same however long the contact --------------------------------------


def test_a_copy_goes_on_where_the_conversation_was_and_separately() -> None:
    """copy.copy gives a conversation at the same state; the two then change separately."""
    conv = start(situation="late-delivery")
    for stage in ("calm", "listen", "restate"):
        conv.say(stage)
    conv.note("insult")
    twin = copy.copy(conv)
    assert twin.state == conv.state and twin.ladder == conv.ladder
    resumed = BOOK.resume(conv.state_json(), clock=fixed_clock())
    lines = [twin.say(stage).id for stage in ("calm", "apologise", "resolve")]
    assert lines == [resumed.say(stage).id for stage in ("calm", "apologise", "resolve")]
    assert len(conv.log) == 4 and len(twin.log) == 7
    # The original goes on from where it was when copied, as if the copy had not spoken.
    assert conv.say("calm").id == lines[0]


@pytest.mark.parametrize("topic", ["late-delivery", "general", "billing-error"])
def test_a_long_conversation_chooses_as_one_resumed_at_every_turn(topic: str) -> None:
    """What a conversation keeps of its log between turns never differs from a fresh count.

    Each turn of one long-lived conversation (lines, events, a failed turn, safety
    mode) is compared with the same turn of a conversation resumed from its saved
    state, which counts its log afresh.
    """
    conv = start(situation=topic, channel="chat")
    for turn in range(80):
        if turn == 25:
            conv.note("insult")
        if turn == 40:
            with pytest.raises(de.DeescalateError):
                conv.say("resolve", values={"no-such-value": "x"})
        if turn == 55:
            conv.note("self-harm", words="I can't go on")
        stage = conv.next_stage() or de.Stage.CALM
        if stage is de.Stage.COOL_DOWN:
            stage = de.Stage.CALM
        fresh = BOOK.resume(conv.state.model_dump_json(), clock=fixed_clock())
        mine, theirs = conv.say(stage), fresh.say(stage)
        assert (mine.id, mine.variant, conv.situation) == (
            theirs.id,
            theirs.variant,
            fresh.situation,
        )
    assert conv.safety
    assert conv.state_json() == conv.state.model_dump_json()


def _head(conv: de.Conversation) -> str:
    """The state's JSON without its log, as catch_up takes it."""
    return conv.state.model_dump_json(exclude={"log"})


def _added(conv: de.Conversation, start: int) -> str:
    """The JSON array of the log records from ``start`` on."""
    return "[" + ",".join(r.model_dump_json() for r in conv.log[start:]) + "]"


def test_catch_up_reaches_the_state_a_resume_reaches() -> None:
    """Caught up with what another copy of the contact said and noted, a conversation is
    exactly where the other is, and goes on as it does."""
    here = start(situation="late-delivery", channel="chat")
    here.say("calm")
    there = BOOK.resume(here.state_json(), clock=fixed_clock())
    for step in ("listen", "insult", "calm", "restate", "violence", "calm", "listen"):
        if step in ("insult", "violence"):
            there.note(step, words="words")
        else:
            there.say(step)
    here.catch_up(_head(there), _added(there, 1))
    assert here.state == there.state and here.safety
    assert here.state_json() == there.state.model_dump_json()
    assert here.say("restate").id == there.say("restate").id
    # Nothing new: nothing changes.
    here.catch_up(_head(there).encode(), b"[]")


def _caught_up_refusal(change: Callable[[de.Conversation, str, str], tuple[str, str]]) -> None:
    here = start(situation="late-delivery", channel="chat")
    here.say("calm")
    there = BOOK.resume(here.state_json(), clock=fixed_clock())
    there.note("self-harm", words="I can't go on")
    there.say("calm")
    before = here.state
    head, added = change(there, _head(there), _added(there, 1))
    with pytest.raises(de.StateError):
        here.catch_up(head, added)
    assert here.state is before


@pytest.mark.parametrize(
    "change",
    [
        # Safety mode switched off in the state.
        lambda c, head, added: (head.replace('"safety":true', '"safety":false'), added),
        # The event that switched it on taken out of the records.
        lambda c, head, added: (head, "[" + c.log[-1].model_dump_json() + "]"),
        # Another contact's state.
        lambda c, head, added: (head.replace('"seed":11', '"seed":12'), added),
        lambda c, head, added: (
            head.replace('"topic":"late-delivery"', '"topic":"general"'),
            added,
        ),
        # A record that says another situation than the log leads to.
        lambda c, head, added: (
            head,
            added.replace('"situation":"safety-self-harm"', '"situation":"general"'),
        ),
        # An entry these catalogues do not have.
        lambda c, head, added: (head, added.replace('"entry":"calm.', '"entry":"nope.')),
        # A state with its log, a record that is not one, a repair.
        lambda c, head, added: (c.state.model_dump_json(), added),
        lambda c, head, added: (head, '[{"kind": "phrase"}]'),
        lambda c, head, added: (head, "not json"),
        lambda c, head, added: (
            head,
            added[:-1] + ',{"at":"2025-03-01T09:30:00Z","kind":"repair","text":"x",'
            '"situation":"safety-self-harm","ladder_step":0}]',
        ),
    ],
)
def test_catch_up_refuses_what_does_not_follow(
    change: Callable[[de.Conversation, str, str], tuple[str, str]],
) -> None:
    """A state or records that do not follow from where the conversation is are a
    StateError, and the conversation stays as it was."""
    _caught_up_refusal(change)


def test_catch_up_bounds_its_input() -> None:
    """Text over the state size limit is refused before it is parsed; so is a non-text."""
    conv = start()
    with pytest.raises(de.StateTooLargeError):
        conv.catch_up(_head(conv), "[" + " " * (4 * 1024 * 1024) + "]")
    with pytest.raises(de.StateError):
        conv.catch_up({"topic": "general"}, "[]")  # type: ignore[arg-type]
