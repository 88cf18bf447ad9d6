"""Odd argument types at every public entry point are specific errors, never bare ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import deescalate as de
from deescalate.checks import check
from deescalate.po import export_po, import_po, stamp

BOOK = de.Phrasebook.default()

Call = Callable[[], object]

# Case 9, every argument listed in the issue, plus their neighbours.
BAD_CALLS: list[tuple[str, Call, type[de.DeescalateError]]] = [
    ("tips(locale=None)", lambda: de.tips("calm", locale=None), de.InvalidLocaleError),
    ("tips(locale=5)", lambda: de.tips("calm", locale=5), de.InvalidLocaleError),
    ("tips(gloss=[...])", lambda: de.tips("calm", gloss=["da"]), de.InvalidLocaleError),
    ("tips(['calm'])", lambda: de.tips(["calm"]), de.UnknownStageError),
    ("tips(channel=[...])", lambda: de.tips("calm", channel=["chat"]), de.InvalidOptionError),
    ("tips(situation=[...])", lambda: de.tips("calm", situation=["x"]), de.InvalidOptionError),
    ("pick(channel=[...])", lambda: de.pick("calm", channel=["chat"]), de.InvalidOptionError),
    ("pick(situation=[...])", lambda: de.pick("calm", situation=["x"]), de.InvalidOptionError),
    ("pick(values={1: 'x'})", lambda: de.pick("calm", values={1: "x"}), de.InvalidValueError),
    ("pick(values=5)", lambda: de.pick("calm", values=5), de.InvalidOptionError),
    (
        "pick(values=['summary'])",
        lambda: de.pick("restate", values=["summary"]),
        de.InvalidOptionError,
    ),
    ("text(values=5)", lambda: de.text("calm", values=5), de.InvalidOptionError),
    ("pick(entry={...})", lambda: de.pick("calm", entry={}), de.InvalidOptionError),
    ("pick(register=5)", lambda: de.pick("calm", register=5), de.InvalidOptionError),
    ("pick(gloss=5)", lambda: de.pick("calm", gloss=5), de.InvalidLocaleError),
    ("pick(strict='yes')", lambda: de.pick("calm", strict="yes"), de.InvalidOptionError),
    ("pick(seed=1.5)", lambda: de.pick("calm", seed=1.5), de.InvalidOptionError),
    ("pick(seed=10**30)", lambda: de.pick("calm", seed=10**30), de.InvalidOptionError),
    ("pick(stage=None)", lambda: de.pick(None), de.UnknownStageError),
    (
        "playbook(values=['abc'])",
        lambda: de.playbook("general", values=["abc"]),
        de.InvalidOptionError,
    ),
    ("playbook(situation=5)", lambda: de.playbook(5), de.InvalidOptionError),
    ("playbook(seed='1')", lambda: de.playbook("general", seed="1"), de.InvalidOptionError),
    ("conversation(locale=None)", lambda: BOOK.conversation(locale=None), de.InvalidLocaleError),
    (
        "conversation(gloss=[...])",
        lambda: BOOK.conversation(gloss=["da", "en"]),
        de.InvalidLocaleError,
    ),
    ("conversation(values=[...])", lambda: BOOK.conversation(values=["x"]), de.InvalidOptionError),
    ("conversation(clock=5)", lambda: BOOK.conversation(clock=5), de.InvalidOptionError),
    (
        "conversation(customer_name=5)",
        lambda: BOOK.conversation(customer_name=5),
        de.InvalidValueError,
    ),
    ("resume(repair='yes')", lambda: BOOK.resume("{}", repair="yes"), de.InvalidOptionError),
    ("note(5)", lambda: BOOK.conversation().note(5), de.InvalidOptionError),
    ("note(words=5)", lambda: BOOK.conversation().note("insult", words=5), de.InvalidValueError),
    ("say(values=5)", lambda: BOOK.conversation().say("calm", values=5), de.InvalidOptionError),
    ("say(None)", lambda: BOOK.conversation().say(None), de.UnknownStageError),
    ("from_directory(5)", lambda: de.Phrasebook.from_directory(5), de.InvalidOptionError),
    ("load(5)", lambda: de.Phrasebook.load(5), de.InvalidOptionError),
    (
        "load(include_default='no')",
        lambda: de.Phrasebook.load(include_default="no"),
        de.InvalidOptionError,
    ),
    ("export_po(5, 'da')", lambda: export_po(5, "da"), de.InvalidOptionError),
    ("export_po(locale_id=5)", lambda: export_po(BOOK, 5), de.InvalidOptionError),
    (
        "export_po(previous_source=5)",
        lambda: export_po(BOOK, "da", previous_source=5),
        de.InvalidOptionError,
    ),
    ("import_po(5, ...)", lambda: import_po(5, "."), de.InvalidOptionError),
    ("import_po(dry_run='y')", lambda: import_po("a.po", ".", dry_run="y"), de.InvalidOptionError),
    ("stamp(locale_id=5)", lambda: stamp(".", 5), de.InvalidOptionError),
    ("check(5)", lambda: check(5), de.InvalidOptionError),
    ("check(locales=5)", lambda: check(BOOK, 5), de.InvalidOptionError),
    ("check(locales='da')", lambda: check(BOOK, "da"), de.InvalidOptionError),
]


@pytest.mark.parametrize(
    ("call", "expected"), [(c, e) for _, c, e in BAD_CALLS], ids=[n for n, _, _ in BAD_CALLS]
)
def test_odd_argument_types_are_specific_errors(call: Call, expected: type[Exception]) -> None:
    """Case 9: each odd argument is the DeescalateError subclass for it, from every entry point."""
    with pytest.raises(expected):
        call()


@pytest.mark.parametrize("variant", [True, False, 1.0, "1", -1])
def test_variant_must_be_a_plain_int(variant: object) -> None:
    """Case 20: variant=True or 1.0 is refused, not read as variant 1."""
    with pytest.raises(de.InvalidOptionError, match="variant"):
        BOOK.pick("close", entry="close.goodbye", variant=variant)  # type: ignore[arg-type]


def test_variant_one_still_works() -> None:
    """variant=1 (a plain int) is variant 1."""
    assert BOOK.pick("close", entry="close.goodbye", variant=1).variant == 1


def test_a_cached_call_does_not_let_an_odd_type_through() -> None:
    """After a valid call is cached, the same call with values=list is still refused."""
    BOOK.pick("restate", values={"summary": "x"}, seed=1)
    with pytest.raises(de.InvalidOptionError):
        BOOK.pick("restate", values=["summary"], seed=1)  # type: ignore[arg-type]


def test_playbook_refuses_a_value_no_line_takes() -> None:
    """Case 16: playbook(values={'summry': ...}) is an UnexpectedValueError, as for pick."""
    with pytest.raises(de.UnexpectedValueError, match="summry"):
        BOOK.playbook("general", values={"summry": "late"})
    with pytest.raises(de.UnexpectedValueError, match="summry"):
        BOOK.pick("restate", values={"summry": "late"})


def test_playbook_accepts_values_its_lines_take() -> None:
    """A value some line of the playbook declares (and currency with money) is accepted."""
    values = {"summary": "late", "amount": 5, "currency": "EUR"}
    assert BOOK.playbook("billing-error", values=values).stages


def test_unexpected_keyword_to_an_entry_point_is_an_option_error() -> None:
    """An unknown keyword to a checked entry point is an InvalidOptionError naming it."""
    options: dict[str, Any] = {"colour": "red"}
    with pytest.raises(de.InvalidOptionError, match="colour"):
        BOOK.playbook("general", **options)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        # Two odd arguments: the first in the signature's order is reported, as given.
        (lambda: de.Conversation(BOOK, seed="x", situation=5), "situation"),
        (lambda: de.Conversation(BOOK, situation=5, seed="x"), "situation"),
        (lambda: de.Conversation.resume(BOOK, "{}", clock=5, repair=True), "clock"),
        # A required argument missing, and one given twice.
        (lambda: de.Conversation.resume(BOOK), "state"),
        (lambda: de.Conversation.resume(BOOK, "{}", state="{}"), "state"),
    ],
)
def test_entry_points_bind_every_call_alike(call: Call, match: str) -> None:
    """Calls bound the quick way and the inspect way give the same errors in the same order."""
    with pytest.raises(de.InvalidOptionError, match=match):
        call()


def test_messages_about_odd_values_stay_short() -> None:
    """A thousand unknown value names, or one of a million characters: a short message."""
    with pytest.raises(de.UnexpectedValueError) as many:
        BOOK.pick("restate", values={f"name{i}": "x" for i in range(1000)})
    with pytest.raises(de.UnexpectedValueError) as huge:
        BOOK.pick("restate", values={"n" * 1_000_000: "x"})
    assert len(str(many.value)) < 2000 and "(and 990 more)" in str(many.value)
    assert len(str(huge.value)) < 2000
