"""The simulate and coach commands: a whole contact on the command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pexpect
import pytest

import deescalate as de
from deescalate.cli import main

BOOK = de.Phrasebook.default()
LOCALES = BOOK.locales
LADDER = BOOK.neutral.situations["abusive-language"].ladder
COMMAND = [sys.executable, "-m", "deescalate"]


def run(*argv: str) -> tuple[int, str]:
    """Run the CLI in-process; return the exit code and stdout."""
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def coach(*argv: str, lines: str) -> subprocess.CompletedProcess[str]:
    """Run ``deescalate coach`` in a subprocess with ``lines`` piped to stdin."""
    return subprocess.run(
        [*COMMAND, "coach", *argv],
        input=lines,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


# --- simulate --------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_simulate_prints_the_contact_turn_by_turn_in_every_locale(locale: str) -> None:
    """simulate shows each line with its stage and entry id, the events, and the cool-down."""
    code, out = run(
        "simulate",
        "late-delivery",
        "--locale",
        locale,
        "--events",
        "insult,insult,calm",
        "--seed",
        "7",
    )
    assert code == 0
    assert out.splitlines()[0].startswith(f"late-delivery · locale {locale} · seed 7")
    assert LADDER[0] in out and LADDER[1] in out
    assert LADDER[-1] not in out
    assert out.count("(event) insult") == 2
    assert "(event) calmed-down" in out
    assert "[cool-down]" in out
    for stage in ("listen", "restate", "apologise", "resolve", "close"):
        assert f"] {stage} · " in out


def test_simulate_is_deterministic_with_a_seed() -> None:
    """The same command with the same seed prints the same contact."""
    argv = (
        "simulate",
        "billing-error",
        "--locale",
        "ro",
        "--events",
        "cried,insult",
        "--seed",
        "3",
    )
    assert run(*argv) == run(*argv)


def test_simulate_json_is_a_resumable_state() -> None:
    """simulate --json prints the final state, which resumes to the same conversation."""
    code, out = run(
        "simulate", "late-delivery", "--locale", "da", "--events", "insult,insult,calm", "--json"
    )
    assert code == 0
    state = de.ConversationState.model_validate_json(out)
    assert state.topic == "late-delivery"
    assert state.ladder_step == 1
    said = [r.entry for r in state.log if r.kind is de.LogKind.PHRASE]
    assert LADDER[0] in said and LADDER[1] in said
    assert BOOK.resume(out).state == state


def test_simulate_ends_an_abusive_contact_with_the_policy_tip() -> None:
    """Enough insults end the contact, with the tip to document the exact words."""
    code, out = run("simulate", "general", "--events", "insult,insult,insult,insult", "--seed", "1")
    assert code == 0
    assert LADDER[-1] in out
    document = BOOK.tips("close", situation="abusive-language")[0].text
    assert document in out
    assert "] close · " in out
    assert "] listen · " not in out  # an ended contact goes straight to the cool-down


def test_simulate_a_safety_call_never_ends_it() -> None:
    """After self-harm every line is safety wording, and no ladder line comes."""
    code, out = run(
        "simulate",
        "wants-manager",
        "--events",
        "insult,self-harm,insult,insult,insult",
        "--value",
        "crisis_line=the crisis line on 0800 000 000",
        "--channel",
        "phone",
        "--seed",
        "5",
    )
    assert code == 0
    after = out.split("(event) self-harm", 1)[1]
    ids = [line.split(" · ")[1].split(" ")[0] for line in after.splitlines() if " · " in line]
    assert ids
    assert all(".safety-threat." in i for i in ids)
    assert not any(i in LADDER for i in ids)


def test_simulate_with_fewer_warnings_ends_sooner() -> None:
    """--warnings 1 ends the contact on the second insult."""
    code, out = run("simulate", "general", "--events", "insult,insult", "--warnings", "1")
    assert code == 0
    assert LADDER[-1] in out
    assert LADDER[0] not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("simulate", "general", "--events", "insult,shouted"), "invalid event 'shouted'"),
        (("simulate", "flood"), "unknown situation 'flood'"),
        (("simulate", "general", "--warnings", "12"), "invalid warnings"),
        (("simulate", "general", "--value", "colour=red"), "colour"),
        (("simulate", "general", "--value", "name=a", "--value", "name=b"), "twice"),
    ],
)
def test_simulate_usage_errors_are_one_line(
    argv: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad input gives exit code 2 and one clear line on stderr."""
    code, _ = run(*argv)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1


# --- coach -------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("locale", LOCALES)
def test_coach_answers_stages_and_events_through_a_pipe(locale: str) -> None:
    """Piped lines (next, a stage, events with words) each get the next line."""
    done = coach(
        "--locale",
        locale,
        "--seed",
        "2",
        lines="next\nlisten\ninsult: you are useless\ninsult\ncalmed-down\nnext\nquit\n",
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith(f"Coaching a general contact in {locale}.")
    assert "[1] calm · " in out and "[2] listen · " in out
    assert '(event) insult — "you are useless" → abusive-language, ladder step 1 of 4' in out
    assert LADDER[0] in out and LADDER[1] in out
    assert "(event) calmed-down" in out


@pytest.mark.slow
def test_coach_json_lines_are_each_json() -> None:
    """coach --json answers every line with one JSON object that says what it is."""
    done = coach(
        "--locale",
        "zh-CN",
        "--json",
        "--seed",
        "4",
        lines="next\nviolence\nflood\ntips\nclose\n",
    )
    assert done.returncode == 0, done.stderr
    objects = [json.loads(line) for line in done.stdout.splitlines()]
    kinds = [o["type"] for o in objects]
    assert kinds[:2] == ["phrase", "event"]
    assert "error" in kinds and "tips" in kinds
    assert objects[1]["safety"] is True
    phrases = [o for o in objects if o["type"] == "phrase"]
    assert phrases[0]["locale"] == "zh_Hans"
    assert all(".safety-threat." in p["id"] or ".safety-violence." in p["id"] for p in phrases[1:])


def test_coach_lists_the_choices_and_says_the_one_typed() -> None:
    """choices lists one line per entry with its id; typing an id says that entry's line
    (an unknown one is an error line); after "busy" the close is not the hand-over."""
    done = coach(
        "--situation",
        "wants-manager",
        "--channel",
        "phone",
        "--json",
        "--seed",
        "3",
        lines="choices resolve\nresolve.wants-manager.busy\nresolve.nope\nchoices\nclose\n",
    )
    assert done.returncode == 0, done.stderr
    objects = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["type"] for o in objects] == ["choices", "phrase", "error", "choices", "phrase"]
    ids = [p["id"] for p in objects[0]["phrases"]]
    assert "resolve.wants-manager.busy" in ids and len(ids) == len(set(ids))
    assert objects[1]["id"] == "resolve.wants-manager.busy"
    assert "no such entry" in objects[2]["message"]
    assert objects[3]["stage"] == "close"
    closes = {p["id"] for p in objects[3]["phrases"]}
    assert objects[4]["id"] in closes
    assert not {i for i in closes if "handing-over" in i}


@pytest.mark.slow
def test_coach_keeps_going_after_a_bad_line_and_stops_at_end_of_input() -> None:
    """An unknown word is an error line, not an exit; end of input ends the session."""
    done = coach(lines="help\nbreathe\nnext\nstate\n")
    assert done.returncode == 0
    assert "error: invalid event 'breathe'" in done.stdout
    assert "a stage" in done.stdout  # the help text
    state = done.stdout[done.stdout.index("{") :]
    assert de.ConversationState.model_validate_json(state).log


@pytest.mark.slow
def test_coach_says_when_the_contact_is_over() -> None:
    """After the close and the cool-down, next says there is nothing more."""
    done = coach(lines="close\nnext\nnext\n")
    assert "[cool-down]" in done.stdout
    assert "(the contact is over: nothing more to say)" in done.stdout


@pytest.mark.slow
def test_coach_in_a_terminal_prompts_with_the_next_stage() -> None:
    """In a terminal (pexpect), the prompt shows the recommended stage and answers typing."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "deescalate", "coach", "--locale", "ro", "--seed", "1"],
        encoding="utf-8",
        timeout=30,
    )
    try:
        child.expect_exact("(next: calm) > ")
        child.sendline("next")
        child.expect(r"\[1\] calm · calm\.")
        child.expect_exact("(next: listen) > ")
        child.sendline("self-harm")
        child.expect_exact("(event) self-harm → safety-self-harm (safety mode)")
        child.expect(r"\[2\] calm · calm\.safety-threat\.safety-first")
        child.expect_exact("(next: listen) > ")
        child.sendline("quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
