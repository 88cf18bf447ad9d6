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


# --- the stage rules, validated ---------------------------------------------------------


def _with_rule(catalogue_dir: Path, rule: str) -> Path:
    entries = catalogue_dir / "entries.toml"
    text = entries.read_text(encoding="utf-8")
    anchor = (
        '[situations.faulty-product]\nparent = "general"\n'
        'description = "The item is broken or has a technical problem."\n'
    )
    assert anchor in text
    entries.write_text(text.replace(anchor, anchor + rule, 1), encoding="utf-8")
    return catalogue_dir


@pytest.mark.parametrize(
    ("rule", "problem", "field"),
    [
        (
            '\n[situations.faulty-product.stages.closing]\nphrases = "replace"\n',
            "unknown stage 'closing'",
            "situations.faulty-product.stages.closing",
        ),
        (
            '\n[situations.faulty-product.stages.close]\nexclude = ["close.nope"]\n',
            "excludes 'close.nope', which is not an entry",
            "situations.faulty-product.stages.close.exclude",
        ),
        (
            '\n[situations.faulty-product.stages.close]\nexclude = ["calm.even-tone"]\n',
            "not a tip that 'general' gives at this stage",
            "situations.faulty-product.stages.close.exclude",
        ),
        (
            '\n[situations.faulty-product.stages.close]\nphrases = "replace"\n',
            "the situation has no phrases of its own here: nothing would be left",
            "situations.faulty-product.stages.close.phrases",
        ),
        (
            '\n[situations.faulty-product.stages.apologise]\nphrases = "replace"\n'
            'exclude = ["apologise.sorry"]\n',
            "its phrases replace the parent's anyway",
            "situations.faulty-product.stages.apologise.exclude",
        ),
        (
            "\n[situations.faulty-product.stages.cool-down]\n"
            'exclude = ["cool-down.take-a-break", "cool-down.small-comfort", '
            '"cool-down.talk-it-over", "cool-down.doodle", "cool-down.debrief", '
            '"cool-down.team-review"]\n',
            "its exclusions leave no tips here",
            "situations.faulty-product.stages.cool-down.tips",
        ),
        (
            '\n[situations.faulty-product.stages.close]\nphrases = "swap"\n',
            "Input should be 'extend' or 'replace'",
            "situations.faulty-product.stages.close.phrases",
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
        i
        for i, line in enumerate(lines, 1)
        if line.startswith("[situations.faulty-product.stages.")
    )
    assert header <= err.line <= header + 3
    if "stage" in problem or "exclude" in field or "phrases" in field:
        assert "faulty-product" in str(err)


def test_a_rule_on_a_situation_that_inherits_nothing_is_refused(catalogue_dir: Path) -> None:
    """safety-threat takes nothing from its parent, so a stage rule on it is an error."""
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
    extended = {
        e for e, _ in base.options("apologise", situation="faulty-product", defaults={"days": 3})
    }
    assert "apologise.sorry" in extended  # the default: the parent's lines after its own
    directory = _with_rule(
        catalogue_dir,
        '\n[situations.faulty-product.stages.apologise]\nphrases = "replace"\n'
        'exclude = ["apologise.no-judgement"]\n',
    )
    book = de.Phrasebook.from_directory(directory)
    options = book.options("apologise", situation="faulty-product", values={"days": 3})
    assert {e for e, _ in options} == {"apologise.faulty-product.replacement"}
    tips = {t.id for t in book.tips("apologise", situation="faulty-product")}
    assert "apologise.no-judgement" not in tips and "apologise.for-the-problem" in tips
    pb = book.playbook("faulty-product", values={"days": 3})
    assert [p.id for p in pb.stages[3].phrases] == ["apologise.faulty-product.replacement"]
    assert {t.id for t in pb.stages[3].tips} == tips
    assert book.lines("apologise", situation="faulty-product") == (
        "apologise.faulty-product.replacement",
    )
