"""One selection model: stage rules as data, and every question answered by the same sets.

The table-driven tests here run over every shipped locale × situation × stage ×
channel (and no channel) × register.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import deescalate as de
from deescalate.checks import Report
from deescalate.cli import main

BOOK = de.Phrasebook.default()
CHANNELS: list[de.Channel | None] = [None, *de.Channel]
SAY_STAGES = [s for s in de.Stage if s is not de.Stage.COOL_DOWN]
NOTHING = (de.NoContentError, de.MissingValueError)


def _registers(locale: str) -> list[de.Register]:
    return list(BOOK.locale_data(locale).registers)


def _offered(
    stage: de.Stage,
    situation: str,
    locale: str,
    register: de.Register,
    channel: de.Channel | None,
    defaults: dict[str, str] | None = None,
) -> tuple[tuple[str, int], ...]:
    try:
        return BOOK.options(
            stage,
            situation=situation,
            locale=locale,
            register=register,
            channel=channel,
            defaults=defaults,
        )
    except NOTHING:
        return ()


def _ladder_steps(stage: de.Stage, situation: str, channel: de.Channel | None) -> list[str]:
    """The ladder's later steps at ``stage`` that suit ``channel``, in order."""
    entries = BOOK.neutral.entries
    steps = [
        e
        for e in BOOK.lines(stage, situation=situation)
        if entries[e].ladder_step > 1
        and (
            channel in entries[e].channels
            if channel is not None
            else entries[e].channels == frozenset(de.Channel)
        )
    ]
    return sorted(steps, key=lambda e: entries[e].ladder_step)


# --- coherence ------------------------------------------------------------------------


@pytest.mark.parametrize("locale", BOOK.locales)
def test_a_playbook_shows_exactly_the_lines_options_offers(locale: str) -> None:
    """For every situation, stage, channel (and none) and register, the playbook's lines are
    one per entry that options() offers, in its order, then the ladder's later steps."""
    checked = 0
    for situation in BOOK.neutral.situations:
        for channel in CHANNELS:
            for register in _registers(locale):
                pb = BOOK.playbook(situation, locale=locale, register=register, channel=channel)
                for stage, shown in zip(de.Stage, pb.stages, strict=True):
                    offered = _offered(stage, situation, locale, register, channel)
                    entries = list(dict.fromkeys(e for e, _ in offered))
                    expected = entries + _ladder_steps(stage, situation, channel)
                    assert [p.id for p in shown.phrases] == expected, (situation, stage, channel)
                    for phrase in shown.phrases:
                        assert "…" not in phrase.text and "{" not in phrase.text
                        if phrase.id in entries:
                            assert (phrase.id, phrase.variant) in offered
                    tips = BOOK.tips(stage, situation=situation, locale=locale, channel=channel)
                    assert shown.tips == tips
                    checked += 1
    assert checked == len(BOOK.neutral.situations) * len(CHANNELS) * len(_registers(locale)) * len(
        de.Stage
    )


def _walk(conv: de.Conversation, turns: int = 12) -> None:
    for _ in range(turns):
        stage = conv.next_stage()
        if stage is None:
            return
        if stage is de.Stage.COOL_DOWN:
            conv.tips(stage)
            continue
        try:
            conv.say(stage)
        except NOTHING:
            conv.skip(stage)


@pytest.mark.parametrize("locale", BOOK.locales)
def test_a_conversation_says_only_lines_its_situation_offers(locale: str) -> None:
    """Without events, every line a conversation says is one options() offers for its topic
    at that stage (with the contact's values as defaults), or a step of the abuse ladder."""
    ladder = set(BOOK.neutral.situations["abusive-language"].ladder)
    said = 0
    for situation in BOOK.neutral.situations:
        for channel in CHANNELS:
            for register in _registers(locale):
                for seed in (1, 2):
                    values = {"name": "Sam"} if seed == 2 else {}
                    conv = BOOK.conversation(
                        situation=situation,
                        locale=locale,
                        register=register,
                        channel=channel,
                        seed=seed,
                        values=values,
                    )
                    _walk(conv)
                    for record in conv.log:
                        if record.kind is not de.LogKind.PHRASE or record.entry in ladder:
                            continue
                        assert record.stage is not None and record.entry is not None
                        offered = _offered(
                            record.stage, situation, locale, register, channel, values or None
                        )
                        assert (record.entry, record.variant) in offered, (
                            situation,
                            channel,
                            record.entry,
                        )
                        said += 1
    assert said


@pytest.mark.parametrize(
    ("event", "brought_in"), [("cried", "distressed"), ("sue", "legal-threat")]
)
def test_after_an_event_a_conversation_speaks_from_the_situation_it_brought_in(
    event: str, brought_in: str
) -> None:
    """After an event, each line comes from the options of the situation brought in or of
    the topic, in every locale."""
    for locale in BOOK.locales:
        conv = BOOK.conversation(situation="late-delivery", locale=locale, seed=4)
        conv.say(conv.next_stage() or "calm")
        conv.note(event)
        _walk(conv)
        for record in conv.log:
            if record.kind is not de.LogKind.PHRASE or record.stage is None:
                continue
            allowed = {
                *BOOK.options(record.stage, situation="late-delivery", locale=locale),
                *_offered(
                    record.stage,
                    brought_in,
                    locale,
                    BOOK.locale_data(locale).default_register,
                    None,
                ),
            }
            assert (record.entry, record.variant) in allowed


# --- the no-channel rule --------------------------------------------------------------


@pytest.mark.parametrize("locale", BOOK.locales)
def test_without_a_channel_nothing_channel_bound_is_offered_anywhere(locale: str) -> None:
    """pick, tips, playbook and conversation all leave out lines bound to some channels."""
    entries = BOOK.neutral.entries
    for situation in BOOK.neutral.situations:
        pb = BOOK.playbook(situation, locale=locale)
        for stage in pb.stages:
            for item in (*stage.phrases, *stage.tips):
                assert entries[item.id].channels == frozenset(de.Channel), item.id


# --- the stage rules, as shipped --------------------------------------------------------


def _ids(situation: str, stage: str, locale: str, channel: str | None = None) -> set[str]:
    pb = BOOK.playbook(situation, locale=locale, channel=channel)
    shown = next(s for s in pb.stages if s.stage == stage)
    return {p.id for p in shown.phrases} | {t.id for t in shown.tips}


@pytest.mark.parametrize("locale", BOOK.locales)
def test_no_cheerful_close_after_tears_or_abuse(locale: str) -> None:
    """distressed and abusive-language close without the general cheerful lines and tips."""
    cheerful = {
        "close.thank-you",
        "close.goodbye",
        "close.thank",
        "close.anything-else",
        "close.warm-ending",
    }
    for situation in ("distressed", "abusive-language"):
        for channel in CHANNELS:
            assert not _ids(situation, "close", locale, channel) & cheerful


@pytest.mark.parametrize("locale", BOOK.locales)
def test_no_apology_tip_where_no_fault_is_admitted(locale: str) -> None:
    """legal-threat and customer-at-fault never show the general 'apologise for it' tip."""
    for situation in ("legal-threat", "customer-at-fault"):
        assert "apologise.for-the-problem" not in _ids(situation, "apologise", locale)
    assert "apologise.only-real-faults" not in _ids("legal-threat", "apologise", locale)


@pytest.mark.parametrize("locale", BOOK.locales)
def test_safety_threat_takes_nothing_from_general(locale: str) -> None:
    """Every phrase and tip of a safety playbook is a safety line, on every channel."""
    for channel in CHANNELS:
        for stage in de.Stage:
            for item in _ids("safety-threat", stage, locale, channel):
                assert ".safety-" in item, item


def test_situations_json_shows_the_stage_rules() -> None:
    """`deescalate situations --json` lists each situation's stage rules."""
    out = io.StringIO()
    assert main(["situations", "--json"], out=out) == 0
    rows = {row["id"]: row for row in json.loads(out.getvalue())}
    close = next(r for r in rows["distressed"]["stages"] if r["stage"] == "close")
    assert "close.goodbye" in close["exclude"]
    apologise = next(r for r in rows["legal-threat"]["stages"] if r["stage"] == "apologise")
    assert apologise["phrases"] == "replace"
    assert rows["general"]["stages"] == []
    safety = next(r for r in rows["safety-threat"]["stages"] if r["stage"] == "apologise")
    assert safety["label"] == "acknowledge" and safety["exclude"] == []
    assert apologise["label"] is None


@pytest.mark.parametrize("locale", BOOK.locales)
def test_a_safety_playbook_heads_its_apologise_stage_acknowledge(locale: str) -> None:
    """A safety contact's apologise stage thanks the caller, so it is headed "Acknowledge".

    The situation's label reaches the situations below it; every other stage and
    situation keeps the stage's own name.
    """
    labels = BOOK.locale_data(locale).labels
    assert labels["acknowledge"] != labels["apologise"]
    for situation in ("safety-threat", "safety-self-harm", "safety-violence"):
        for channel in CHANNELS:
            shown = {
                s.stage: s.label
                for s in BOOK.playbook(situation, locale=locale, channel=channel).stages
            }
            assert shown[de.Stage.APOLOGISE] == labels["acknowledge"]
            assert all(shown[s] == labels[s.value] for s in de.Stage if s is not de.Stage.APOLOGISE)
    for situation in ("general", "distressed", "legal-threat"):
        apologise = BOOK.playbook(situation, locale=locale).stages[3]
        assert apologise.stage is de.Stage.APOLOGISE and apologise.label == labels["apologise"]


# --- the stage rules, validated ---------------------------------------------------------


def _with_rule(catalogue_dir: Path, rule: str) -> Path:
    entries = catalogue_dir / "entries.toml"
    text = entries.read_text(encoding="utf-8")
    anchor = (
        '[situations.wants-manager]\nparent = "general"\n'
        'description = "The customer demands a manager or supervisor."\n'
    )
    assert anchor in text
    entries.write_text(text.replace(anchor, anchor + rule, 1), encoding="utf-8")
    return catalogue_dir


@pytest.mark.parametrize(
    ("rule", "problem", "field"),
    [
        (
            '\n[situations.wants-manager.stages.closing]\nphrases = "replace"\n',
            "unknown stage 'closing'",
            "situations.wants-manager.stages.closing",
        ),
        (
            '\n[situations.wants-manager.stages.close]\nexclude = ["close.nope"]\n',
            "excludes 'close.nope', which is not an entry",
            "situations.wants-manager.stages.close.exclude",
        ),
        (
            '\n[situations.wants-manager.stages.close]\nexclude = ["calm.even-tone"]\n',
            "not a tip that 'general' gives at this stage",
            "situations.wants-manager.stages.close.exclude",
        ),
        (
            '\n[situations.wants-manager.stages.calm]\nphrases = "replace"\n',
            "the situation has no phrases of its own here: nothing would be left",
            "situations.wants-manager.stages.calm.phrases",
        ),
        (
            '\n[situations.wants-manager.stages.apologise]\nphrases = "replace"\n'
            'exclude = ["apologise.sorry"]\n',
            "its phrases replace the parent's anyway",
            "situations.wants-manager.stages.apologise.exclude",
        ),
        (
            "\n[situations.wants-manager.stages.cool-down]\n"
            'exclude = ["cool-down.take-a-break", "cool-down.small-comfort", '
            '"cool-down.talk-it-over", "cool-down.doodle", "cool-down.debrief", '
            '"cool-down.team-review"]\n',
            "its exclusions leave no tips here",
            "situations.wants-manager.stages.cool-down.tips",
        ),
        (
            '\n[situations.wants-manager.stages.close]\nlabel = "farewell"\n',
            "unknown label 'farewell'; labels: acknowledge, apologise",
            "situations.wants-manager.stages.close.label",
        ),
        (
            '\n[situations.wants-manager.stages.close]\nphrases = "swap"\n',
            "Input should be 'extend' or 'replace'",
            "situations.wants-manager.stages.close.phrases",
        ),
    ],
)
def test_a_bad_stage_rule_names_the_file_line_and_situation(
    catalogue_dir: Path, rule: str, problem: str, field: str
) -> None:
    """Every mistake in a stage rule is a CatalogueError with the file, line and situation."""
    directory = _with_rule(catalogue_dir, rule)
    with pytest.raises(de.CatalogueError) as info:
        de.Phrasebook.from_directory(directory)
    err = info.value
    assert problem in str(err)
    assert err.path is not None and str(err.path).endswith("entries.toml")
    assert err.field == field
    lines = (directory / "entries.toml").read_text(encoding="utf-8").splitlines()
    assert err.line is not None
    header = next(
        i for i, line in enumerate(lines, 1) if line.startswith("[situations.wants-manager.stages.")
    )
    assert header <= err.line <= header + 3
    if "stage" in problem or "exclude" in field or "phrases" in field:
        assert "wants-manager" in str(err)


def test_a_rule_on_a_situation_that_inherits_nothing_is_refused(catalogue_dir: Path) -> None:
    """safety-threat takes nothing from its parent, so a rule of inheritance on it is an error.

    A label alone is no such rule: the shipped catalogue gives safety-threat one.
    """
    assert BOOK.neutral.situations["safety-threat"].rule(de.Stage.APOLOGISE).label
    entries = catalogue_dir / "entries.toml"
    text = entries.read_text(encoding="utf-8") + (
        '\n[situations.safety-threat.stages.close]\nexclude = ["close.thank"]\n'
    )
    entries.write_text(text, encoding="utf-8")
    with pytest.raises(de.CatalogueError, match="'safety-threat' inherits nothing"):
        de.Phrasebook.from_directory(catalogue_dir)


def test_extend_replace_and_exclude_shape_every_question(catalogue_dir: Path) -> None:
    """A rule changes pick, options, tips and playbook alike, and the default is extend."""
    base = de.Phrasebook.from_directory(catalogue_dir)
    extended = [e for e, _ in base.options("restate", situation="wants-manager")]
    # The default: the situation's own line first, then the parent's.
    assert extended[0] == "restate.wants-manager.request" and "restate.check" in extended
    directory = _with_rule(
        catalogue_dir,
        '\n[situations.wants-manager.stages.restate]\nphrases = "replace"\n'
        'exclude = ["restate.invite-correction"]\n',
    )
    book = de.Phrasebook.from_directory(directory)
    options = book.options("restate", situation="wants-manager")
    assert {e for e, _ in options} == {"restate.wants-manager.request"}
    assert book.pick("restate", situation="wants-manager", seed=3).id == (
        "restate.wants-manager.request"
    )
    tips = {t.id for t in book.tips("restate", situation="wants-manager")}
    assert "restate.invite-correction" not in tips and "restate.own-words" in tips
    pb = book.playbook("wants-manager")
    assert [p.id for p in pb.stages[2].phrases] == ["restate.wants-manager.request"]
    assert {t.id for t in pb.stages[2].tips} == tips
    assert book.lines("restate", situation="wants-manager") == ("restate.wants-manager.request",)


# --- the audit: what each situation says, by channel --------------------------------------


@pytest.mark.parametrize("locale", BOOK.locales)
def test_every_stage_of_every_situation_has_a_line_that_needs_no_value(locale: str) -> None:
    """Each situation × stage × channel (and none) offers at least one line without values."""
    for situation in BOOK.neutral.situations:
        for channel in CHANNELS:
            for stage in SAY_STAGES:
                register = BOOK.locale_data(locale).default_register
                assert _offered(stage, situation, locale, register, channel), (
                    situation,
                    stage,
                    channel,
                )


PRESENCE = {
    "calm.safety-threat.here",
    "listen.safety-threat.immediate-danger",
    "listen.safety-threat.where",
    "restate.safety-threat.understand",
    "resolve.safety-threat.crisis-line",
    "resolve.safety-threat.bring-in-help",
    "close.safety-threat.staying",
    "calm.safety-threat.stay-on-line",  # phone and chat only
}


@pytest.mark.parametrize("locale", BOOK.locales)
def test_safety_by_email_signposts_help_first_and_promises_no_presence(locale: str) -> None:
    """By email: emergency help first, no 'I'm here with you', no live questions, and tips
    that say to escalate at once and keep the ticket open."""
    for situation in ("safety-threat", "safety-self-harm", "safety-violence"):
        pb = BOOK.playbook(situation, locale=locale, channel="email")
        shown = {item.id for stage in pb.stages for item in (*stage.phrases, *stage.tips)}
        assert not shown & PRESENCE
        # A threat against others is not thanked: its own signpost says the message is
        # read and taken seriously.
        first = "calm.safety-%s.email-signpost" % (
            "violence" if situation == "safety-violence" else "threat"
        )
        assert pb.stages[0].phrases[0].id == first
        assert {
            "calm.safety-threat.escalate-email",
            "close.safety-threat.keep-ticket-open",
        } <= shown
    chat = {
        t.id for t in BOOK.tips("calm", situation="safety-threat", locale=locale, channel="chat")
    }
    assert "calm.safety-threat.keep-chat-open" in chat


SELF_HARM_ONLY = {
    "apologise.safety-threat.thank-you",
    "close.safety-threat.staying",
    "resolve.safety-threat.crisis-line",
    "resolve.safety-threat.email-crisis-line",
    "resolve.safety-threat.warm-handover",
    "listen.safety-threat.immediate-danger",
    "listen.safety-self-harm.ask-directly",
}


@pytest.mark.parametrize("locale", BOOK.locales)
def test_a_threat_of_violence_gets_no_self_harm_lines(locale: str) -> None:
    """safety-violence has none of the self-harm lines; safety-self-harm asks directly and
    not about other people; both keep every other safety line and take nothing general."""
    for channel in CHANNELS:
        violence = {
            item.id
            for stage in BOOK.playbook("safety-violence", locale=locale, channel=channel).stages
            for item in (*stage.phrases, *stage.tips)
        }
        self_harm = {
            item.id
            for stage in BOOK.playbook("safety-self-harm", locale=locale, channel=channel).stages
            for item in (*stage.phrases, *stage.tips)
        }
        assert not violence & SELF_HARM_ONLY
        # Nothing thanks the person for the threat or puts their own safety first.
        assert not violence & {
            "calm.safety-threat.email-signpost",
            "calm.safety-threat.safety-first",
        }
        assert "listen.safety-threat.anyone-in-danger" not in self_harm
        assert all(".safety-" in i for i in violence | self_harm)
    phone = {e for e, _ in BOOK.options("listen", situation="safety-self-harm", channel="phone")}
    assert "listen.safety-self-harm.ask-directly" in phone


@pytest.mark.parametrize("channel", ["phone", "chat"])
def test_there_is_a_line_for_someone_in_danger_right_now(channel: str) -> None:
    """When the answer to 'are you in danger?' is yes, the live channels have a line for it."""
    expected = {
        "phone": "resolve.safety-threat.emergency-help",
        "chat": "resolve.safety-threat.emergency-help-chat",
    }[channel]
    for situation in ("safety-threat", "safety-self-harm", "safety-violence"):
        for locale in BOOK.locales:
            offered = BOOK.options("resolve", situation=situation, locale=locale, channel=channel)
            assert expected in {e for e, _ in offered}
            assert BOOK.pick(
                "resolve", situation=situation, locale=locale, channel=channel, entry=expected
            ).verbatim


@pytest.mark.parametrize("locale", BOOK.locales)
def test_closes_fit_the_situation(locale: str) -> None:
    """distressed closes gently with its own line; legal-threat with the reviewed one alone;
    after abuse the tips are documentation and follow-through only."""
    for channel in CHANNELS:
        distressed = _ids("distressed", "close", locale, channel)
        assert {"close.distressed.gentle-close", "close.distressed.end-gently"} <= distressed
        legal = BOOK.options("close", situation="legal-threat", locale=locale, channel=channel)
        assert {e for e, _ in legal} == {"close.legal-threat.neutral"}
        tips = BOOK.tips("close", situation="abusive-language", locale=locale, channel=channel)
        assert {t.id for t in tips} == {"close.abusive-language.document", "close.follow-through"}


def test_by_email_abuse_gets_one_written_limit_not_the_ladder() -> None:
    """An insult by email brings in abusive-language's written limit; no warning ladder,
    and the contact is never 'ended'."""
    for locale in BOOK.locales:
        conv = BOOK.conversation(situation="late-delivery", locale=locale, channel="email", seed=2)
        conv.say(conv.next_stage() or "calm")
        for _ in range(5):
            conv.note("insult")
        assert conv.ladder == () and conv.ladder_step == 0
        assert conv.next_stage() is de.Stage.CALM
        assert conv.say("calm").id == "calm.abusive-language.email-boundary"
        tips = {t.id for t in conv.tips("calm")}
        assert "calm.abusive-language.written-policy" in tips
        assert not conv.ended


def _checked_with(catalogue_dir: Path, entry: str, meta: str, english: str) -> Report:
    """``check``'s report on the catalogue plus one entry (its metadata lines, one English
    text): the channel-wording checks, tried on an entry of our own."""
    from deescalate.checks import check

    with (catalogue_dir / "entries.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[entries."{entry}"]\n{meta}notes = "x"\n')
    with (catalogue_dir / "en.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[entries."{entry}"]\ntext = ["{english}"]\n')
    return check(de.Phrasebook.from_directory(catalogue_dir), ("en",))


def test_check_flags_a_text_that_speaks_of_a_channel_its_entry_leaves_out(
    catalogue_dir: Path,
) -> None:
    """An entry for chat and email whose English says 'stay on the line' is a check error."""
    from deescalate.checks import check

    report = _checked_with(
        catalogue_dir,
        "close.acme.hold",
        'kind = "phrase"\nstage = "close"\nchannels = ["chat", "email"]\n',
        "Please stay on the line.",
    )
    found = [p for p in report.problems if p.code == "channels"]
    assert [p.entry_id for p in found] == ["close.acme.hold"]
    assert "on the line" in found[0].message and not report.ok
    assert check(BOOK, ("en",)).ok


def test_check_flags_live_contact_wording_in_an_entry_that_reaches_email(
    catalogue_dir: Path,
) -> None:
    """An entry for every channel whose English says 'keep the person talking' is a check
    error: an email cannot keep anyone talking."""
    report = _checked_with(
        catalogue_dir,
        "listen.acme.talk",
        'kind = "tip"\nstage = "listen"\n',
        "Keep the caller talking.",
    )
    found = [p for p in report.problems if p.code == "channels"]
    assert [p.entry_id for p in found] == ["listen.acme.talk"]
    assert "live contact" in found[0].message and not report.ok


@pytest.mark.parametrize("locale", BOOK.locales)
def test_safety_playbooks_by_email_ask_for_no_live_contact(locale: str) -> None:
    """By email, no safety playbook tells the agent to keep the person talking."""
    for situation in ("safety-threat", "safety-self-harm", "safety-violence"):
        ids = {
            t.id
            for stage in BOOK.playbook(situation, locale=locale, channel="email").stages
            for t in stage.tips
        }
        assert "listen.safety-violence.threat-to-others" not in ids
        assert "resolve.safety-threat.emergency-procedure" not in ids
    chat = BOOK.playbook("safety-violence", locale=locale, channel="chat")
    assert "listen.safety-violence.threat-to-others" in {t.id for s in chat.stages for t in s.tips}


@pytest.mark.parametrize("channels", ['["chat"]', '["phone", "email"]', None])
def test_check_flags_hearing_in_an_entry_that_reaches_chat_or_email(
    catalogue_dir: Path, channels: str | None
) -> None:
    """'I can hear how upset you are' is for the phone: an entry that also reaches chat or
    email (or every channel) with it is a check error; a phone-only one is not."""
    line = "" if channels is None else f"channels = {channels}\n"
    report = _checked_with(
        catalogue_dir,
        "calm.acme.hear",
        f'kind = "phrase"\nstage = "calm"\n{line}',
        "I can hear how upset you are.",
    )
    found = [p for p in report.problems if p.code == "channels"]
    assert [p.entry_id for p in found] == ["calm.acme.hear"]
    assert "'can hear'" in found[0].message


def test_check_allows_hearing_in_a_phone_only_entry(catalogue_dir: Path) -> None:
    """The same words in a phone-only entry are what the phone is for: no problem."""
    report = _checked_with(
        catalogue_dir,
        "calm.acme.hear",
        'kind = "phrase"\nstage = "calm"\nchannels = ["phone"]\n',
        "I can hear how upset you are.",
    )
    assert [p for p in report.problems if p.code == "channels"] == []


@pytest.mark.parametrize("locale", BOOK.locales)
def test_repeat_contact_owns_the_case_instead_of_passing_it_on(locale: str) -> None:
    """A customer passed around before is never told to expect another hand-over."""
    passing_on = {
        "resolve.right-person",
        "resolve.avoid-transfers",
        "resolve.connect-right-person",
        "resolve.email-colleague",
    }
    for channel in (None, "phone", "chat", "email"):
        playbook = BOOK.playbook("repeat-contact", locale=locale, channel=channel)
        shown = {line.id for stage in playbook.stages for line in (*stage.phrases, *stage.tips)}
        assert not shown & passing_on, channel
    assert "resolve.connect-right-person" in {
        p.id
        for s in BOOK.playbook("general", locale=locale, channel="phone").stages
        for p in s.phrases
    }


# --- lines that follow another in a conversation ('after') ------------------------------

HAND_OVER = {
    de.Channel.PHONE: "close.wants-manager.handing-over",
    de.Channel.CHAT: "close.wants-manager.handing-over-chat",
}


@pytest.mark.parametrize("locale", BOOK.locales)
def test_a_conversation_hands_over_to_the_manager_only_after_connecting(locale: str) -> None:
    """The hand-over close follows "I'll connect you with my manager", and only that.

    After the manager was busy, or the agent turned out to be the manager, the
    close is an ordinary one; after connecting, the hand-over is the whole close.
    Both ways are reached over the seeds, by phone and by chat, whether the
    manager came in as the topic or through an event.
    """
    seen: dict[bool, int] = {True: 0, False: 0}
    for channel, hand_over in HAND_OVER.items():
        for topic, event in (("wants-manager", None), ("late-delivery", "asked-for-manager")):
            for seed in range(12):
                c = de.Conversation(
                    BOOK, locale=locale, situation=topic, channel=channel, seed=seed
                )
                if event is not None:
                    c.note(event, words="I want your manager")
                for stage in ("calm", "listen", "restate", "apologise"):
                    c.say(stage)
                connected = c.say("resolve").id == "resolve.wants-manager.connect"
                close = c.say("close").id
                assert (close == hand_over) is connected, (channel, topic, seed, close)
                seen[connected] += 1
    assert seen[True] and seen[False]
    # Pick and playbook have no history: they offer the hand-over like any close line.
    shown = BOOK.playbook("wants-manager", locale=locale, channel="phone").stages[5]
    assert HAND_OVER[de.Channel.PHONE] in {p.id for p in shown.phrases}


@pytest.mark.parametrize(
    ("after", "entry", "problem"),
    [
        ('["resolve.nope"]', "close.wants-manager.handing-over", "'resolve.nope', which is not"),
        ('["resolve.avoid-hold"]', "close.wants-manager.handing-over", "a tip: only phrases"),
        ('["close.wants-manager.handing-over"]', "close.wants-manager.handing-over", "itself"),
        ('["resolve.wants-manager.connect"]', "resolve.avoid-hold", "a tip is never said"),
    ],
)
def test_a_bad_after_names_the_file_entry_and_line(
    catalogue_dir: Path, after: str, entry: str, problem: str
) -> None:
    """'after' must name phrases other than the entry itself, and tips take none."""
    path = catalogue_dir / "entries.toml"
    text = path.read_text(encoding="utf-8")
    header = f'[entries."{entry}"]\n'
    assert header in text
    before, rest = text.split(header, 1)
    block, rest = rest.split("\n\n", 1)  # the entry's own lines: any 'after' of its own goes
    block = "\n".join(ln for ln in block.splitlines() if not ln.startswith("after ="))
    path.write_text(
        before + header + f"after = {after}\n" + block + "\n\n" + rest, encoding="utf-8"
    )
    with pytest.raises(de.CatalogueError) as info:
        de.Phrasebook.from_directory(catalogue_dir)
    err = info.value
    assert problem in str(err)
    assert err.entry_id == entry and err.field == "after"
    assert err.path is not None and str(err.path).endswith("entries.toml")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert err.line is not None and lines[err.line - 1] == f"after = {after}"
