"""Conversations: one contact, turn by turn, with a memory.

A :class:`~deescalate.Phrasebook` is stateless; a :class:`Conversation` is the
state of one contact on top of it:

* **no repeats** — no variant is said twice until every variant of its entry
  that fits has been said; then the least recently used one comes back. The
  choice is deterministic for a given ``seed``.
* **the abuse ladder** — each ``insult`` climbs one step of the
  ``abusive-language`` ladder (boundary → warning → final warning → ending the
  contact); ``calmed-down`` steps back down one.
* **safety mode** — ``self-harm`` or ``violence`` switches the contact to
  ``safety-threat`` for good: only safety lines and tips, never a cheerful close
  and never the ladder's "I'll end this conversation".
* **resumable state** — :attr:`Conversation.state` is a frozen model that
  round-trips through JSON; :meth:`Conversation.resume` (or
  :meth:`Phrasebook.resume`) carries on exactly where it stopped.
* **a log** — what was suggested and noted, when, in which locale, for
  documenting the contact.

>>> import deescalate as de
>>> conv = de.Phrasebook.default().conversation(situation="late-delivery", seed=3)
>>> conv.next_stage()
<Stage.CALM: 'calm'>
>>> conv.note("insult")
>>> conv.situation, conv.ladder_step
('abusive-language', 1)
>>> conv.say(conv.next_stage()).id
'calm.abusive-language.boundary'
>>> conv.topic
'late-delivery'

A conversation is not meant to be shared between threads (it holds one
contact), but its methods take a lock, so a stray concurrent call cannot
corrupt it. Any number of conversations may share one phrasebook.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from ._arguments import entry_point
from .choice import choose
from .errors import (
    DeescalateError,
    InvalidOptionError,
    MissingValueError,
    NoContentError,
    NoteTooLongError,
    StateError,
    StateTooLargeError,
    UnexpectedValueError,
    UnknownEntryError,
    UnknownSituationError,
)
from .i18n import parse_preferences
from .limits import MAX_NOTE_LENGTH, MAX_SEED, MAX_STATE_BYTES, MAX_VALUE_LENGTH, MIN_SEED
from .models import Channel, Event, Kind, Phrase, Register, Stage, Tip, coerce_option
from .render import check_text

if TYPE_CHECKING:  # type names only: at run time, conversation never imports the picker
    from .listening import Hearing
    from .picker import Phrasebook

__all__ = [
    "ABUSE_SITUATION",
    "MAX_WARNINGS",
    "SAFETY_SITUATION",
    "STATE_VERSION",
    "TRUSTED_STATES",
    "TRUSTED_STATE_BYTES",
    "Conversation",
    "ConversationState",
    "Event",
    "LogKind",
    "LogRecord",
    "cache_clear",
]

ABUSE_SITUATION = "abusive-language"
"""The situation whose ladder an ``insult`` climbs."""

SAFETY_SITUATION = "safety-threat"
"""The situation a ``self-harm`` or ``violence`` event switches to, for good."""

STATE_VERSION = 1
"""The version of :class:`ConversationState`'s shape; a saved state of another is refused."""

MAX_WARNINGS = 10
"""The most warnings a ladder can be configured with before the contact ends."""

Clock = Callable[[], datetime]

MAX_VARIANT_INDEX = 2**31 - 1
"""The largest variant number a log record may hold (an overlay numbers added ones on)."""

_STATE_HEADROOM = 4096
"""Bytes kept free below ``MAX_STATE_BYTES`` for what a turn adds besides its log record."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


# --- events -----------------------------------------------------------------------------


_SAFETY_EVENTS = frozenset({Event.SELF_HARM, Event.VIOLENCE})

# The safety situation each safety event leads to, where the catalogues define it
# (else safety-threat itself): a threat to others gets no self-harm lines.
_SAFETY_FOR: Mapping[Event | None, str] = {
    Event.SELF_HARM: "safety-self-harm",
    Event.VIOLENCE: "safety-violence",
}

# Events that bring a situation into play, and the stage the contact goes back to,
# so the agent restates (or, for tears, reassures) before resolving again.
_IMPLIES: Mapping[Event, tuple[str, Stage]] = {
    Event.INSULT: ("abusive-language", Stage.CALM),
    Event.ASKED_FOR_MANAGER: ("wants-manager", Stage.RESTATE),
    Event.THREATENED_TO_SUE: ("legal-threat", Stage.RESTATE),
    Event.CRIED: ("distressed", Stage.CALM),
}

_STAGE_ORDER = {stage: index for index, stage in enumerate(Stage)}


# --- the state ---------------------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LogKind(StrEnum):
    """What a :class:`LogRecord` records."""

    PHRASE = "phrase"
    """A line suggested to the agent for the customer."""
    TIPS = "tips"
    """Advice shown to the agent."""
    EVENT = "event"
    """Something that happened, noted by the agent."""
    SKIP = "skip"
    """A stage the agent handled without a suggested line."""
    REPAIR = "repair"
    """Saved state resumed with catalogues that no longer had all of it."""


class LogRecord(_Frozen):
    """One line of a conversation's log."""

    at: datetime = Field(description="When it happened (UTC unless a clock says otherwise).")
    kind: LogKind = Field(description="What this record is about.")
    stage: Stage | None = Field(default=None, description="The stage of a phrase, tips or skip.")
    event: Event | None = Field(default=None, description="The event noted, for kind 'event'.")
    entry: str | None = Field(default=None, description="The entry id of a phrase.")
    variant: int | None = Field(
        default=None, ge=0, le=MAX_VARIANT_INDEX, description="The variant of a phrase, from 0."
    )
    tips: tuple[str, ...] = Field(default=(), description="The entry ids of the tips shown.")
    locale: str | None = Field(default=None, description="The catalogue locale of the text.")
    text: str | None = Field(
        default=None, description="The phrase as suggested; for a repair, what was repaired."
    )
    words: str | None = Field(
        default=None, description="The customer's exact words, when the agent noted them."
    )
    situation: str = Field(description="The conversation's situation after this record.")
    ladder_step: int = Field(
        ge=0, le=MAX_WARNINGS + 1, description="The abuse ladder step after this record."
    )


class ConversationState(_Frozen):
    """Everything a :class:`Conversation` remembers, as a frozen, JSON-ready model.

    Store ``state.model_dump_json()`` between requests and give it back to
    :meth:`Phrasebook.resume`.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, serialize_by_alias=True
    )

    version: Literal[1] = Field(default=1, description="The shape of this model.")
    topic: str = Field(description="The situation the contact is about (it never changes).")
    locale: str | tuple[str, ...] = Field(description="The locale requested, as given.")
    register_: Register | None = Field(
        default=None, alias="register", description="The register requested, if any."
    )
    channel: Channel | None = Field(default=None, description="The channel, if given.")
    gloss: str | None = Field(
        default=None, description="The locale of a gloss on every line and tip, if any."
    )
    values: dict[str, str] = Field(
        default_factory=dict,
        description="Values for the whole contact (name, company, crisis_line, ...).",
    )
    seed: int = Field(
        ge=MIN_SEED, le=MAX_SEED, description="The seed of every choice in this contact."
    )
    warnings: int = Field(
        ge=0, le=MAX_WARNINGS, description="Warnings on the abuse ladder before the contact ends."
    )
    ladder_step: int = Field(
        default=0, ge=0, description="The abuse ladder step reached (0 = none)."
    )
    ladder_said: int = Field(
        default=0, ge=0, description="The highest ladder step whose line has been said."
    )
    safety: bool = Field(default=False, description="Whether safety mode is on (for good).")
    implied: tuple[str, ...] = Field(
        default=(), description="Situations events brought in, oldest first."
    )
    done: tuple[Stage, ...] = Field(default=(), description="Stages done, in order.")
    ended: bool = Field(default=False, description="Whether the ladder's ending line was said.")
    log: tuple[LogRecord, ...] = Field(default=(), description="What happened, in order.")

    @model_validator(mode="after")
    def _consistent(self) -> ConversationState:
        top = self.warnings + 1
        if self.ladder_step > top or self.ladder_said > top:
            raise ValueError(f"ladder steps go up to {top} with {self.warnings} warnings")
        return self

    @property
    def register(self) -> Register | None:
        """The register requested (the field is stored as ``register_``)."""
        return self.register_


_LOG_JSON: TypeAdapter[tuple[LogRecord, ...]] = TypeAdapter(tuple[LogRecord, ...])

_LOG_KEY = ',"log":'
"""What comes between the other fields of a state's JSON and its log, the last field."""

TRUSTED_STATES = 1024
"""The most saved states :meth:`Conversation.resume` remembers as already checked."""

TRUSTED_STATE_BYTES = 16 * 1024 * 1024
"""The most JSON, in characters, those remembered states may hold between them."""


@dataclass(frozen=True, slots=True)
class _Remembered:
    """A state remembered as checked, with what resuming it needs besides."""

    book: Phrasebook
    state: ConversationState
    log_at: int
    """Where the log's JSON starts in the text."""
    ladder: tuple[str, ...]


class _Trusted:
    """States of this process by their exact JSON text, each with the phrasebook it fits.

    A text is remembered when this process wrote it (:meth:`Conversation.state_json`)
    or checked it in full (:meth:`Conversation.resume`) against that phrasebook, which
    never changes: resuming the same text with the same phrasebook again would pass
    the same checks and give the same state, so it is not checked again. Any other
    text, or the same text with another phrasebook, is checked as always. The least
    recently used are forgotten first, past ``TRUSTED_STATES`` or ``TRUSTED_STATE_BYTES``.
    """

    def __init__(self) -> None:
        self._items: OrderedDict[str, _Remembered] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, book: Phrasebook, text: str) -> _Remembered | None:
        """What ``text`` is, if it is remembered for ``book``."""
        with self._lock:
            item = self._items.get(text)
            if item is None or item.book is not book:
                return None
            self._items.move_to_end(text)
            return item

    def put(self, text: str, item: _Remembered) -> None:
        """Remember what ``text`` is."""
        if len(text) > TRUSTED_STATE_BYTES:
            return
        with self._lock:
            old = self._items.pop(text, None)
            if old is not None:
                self._chars -= len(text)
            self._items[text] = item
            self._chars += len(text)
            while len(self._items) > TRUSTED_STATES or self._chars > TRUSTED_STATE_BYTES:
                forgotten, _ = self._items.popitem(last=False)
                self._chars -= len(forgotten)

    def clear(self) -> None:
        """Forget every state."""
        with self._lock:
            self._items.clear()
            self._chars = 0


_TRUSTED = _Trusted()


def cache_clear() -> None:
    """Forget the states remembered as checked (see :meth:`Conversation.state_json`)."""
    _TRUSTED.clear()


@dataclass(frozen=True, slots=True)
class _Pool:
    """The variants one turn may choose from, and where they come from."""

    situation: str
    """The situation to pass to the picker (the layer that supplied the pool)."""
    pairs: tuple[tuple[str, int], ...]
    ladder_position: int = 0
    """The ladder step this line is, or 0 for an ordinary line."""


class _Rotation:
    """What the rotation needs to know of a log, kept up to date as the log grows.

    For each variant said, when it was last said (counting lines only), and how
    many lines were said: so a turn chooses without reading the log again. It
    describes exactly the log ``log`` (by identity); any other log is counted
    afresh.
    """

    __slots__ = ("last", "log", "said")

    def __init__(self, log: tuple[LogRecord, ...]) -> None:
        self.log = log
        self.last: dict[tuple[str, int], int] = {}
        self.said = 0
        for record in log:
            self._count(record)

    def _count(self, record: LogRecord) -> None:
        if record.kind is LogKind.PHRASE and record.entry is not None:
            self.last[(record.entry, record.variant or 0)] = self.said
            self.said += 1

    def add(self, record: LogRecord, log: tuple[LogRecord, ...]) -> None:
        """Count ``record``, the last of ``log``."""
        self._count(record)
        self.log = log

    def copy(self) -> _Rotation:
        """The same counts, to be kept up to date separately."""
        other = _Rotation(())
        other.last = dict(self.last)
        other.said = self.said
        other.log = self.log
        return other


# --- the conversation ----------------------------------------------------------------------


class Conversation:
    """One contact: say the next line, note what happens, keep the state.

    Make one with :meth:`Phrasebook.conversation` (or this constructor) and
    carry on a stored one with :meth:`Phrasebook.resume`.

    ``situation`` is what the contact is about (its :attr:`topic`); events may
    add situations on top without losing it. ``locale``, ``register`` and
    ``channel`` are as for :meth:`Phrasebook.pick`, and so is ``gloss`` (the same
    line in the agent's language, on every line and tip). ``customer_name`` and
    ``values`` are text values for the whole contact (``name``, ``company``,
    ``crisis_line``, ...): each entry that declares one gets it, and they never
    rule an entry out. ``warnings`` is how many warnings the abuse ladder gives
    before the contact is ended (default: the ladder's own, 3). ``seed`` makes
    every choice deterministic (a random one is drawn and kept in the state
    otherwise). ``clock`` stamps the log (default: now, in UTC).
    """

    @entry_point
    def __init__(
        self,
        book: Phrasebook,
        *,
        situation: str = "general",
        locale: str | Sequence[str] = "en",
        register: Register | str | None = None,
        channel: Channel | str | None = None,
        gloss: str | None = None,
        customer_name: str | None = None,
        values: Mapping[str, str] | None = None,
        warnings: int | None = None,
        seed: int | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Start a contact; see the class docstring for the options."""
        if situation not in book.neutral.situations:
            raise UnknownSituationError(situation, book.neutral.situations)
        if isinstance(locale, str):
            parse_preferences(locale)
            locale_arg: str | tuple[str, ...] = locale
        else:
            locale_arg = tuple(locale)
            parse_preferences(locale_arg)
        if gloss is not None:
            parse_preferences(gloss)
        if seed is None:
            seed = secrets.randbits(32)
        default_warnings = max(len(_base_ladder(book)) - 1, 0)
        if warnings is None:
            warnings = default_warnings
        elif (
            not isinstance(warnings, int)
            or isinstance(warnings, bool)
            or not 0 <= warnings <= MAX_WARNINGS
        ):
            raise InvalidOptionError("warnings", warnings, [f"an int from 0 to {MAX_WARNINGS}"])
        state = ConversationState(
            topic=situation,
            locale=locale_arg,
            register_=coerce_option(Register, "register", register),
            channel=coerce_option(Channel, "channel", channel),
            gloss=gloss,
            values=_contact_values(book, customer_name, values),
            seed=seed,
            warnings=warnings,
            **_opening(book, situation, channel),
        )
        self._setup(book, state, clock)

    def _setup(
        self,
        book: Phrasebook,
        state: ConversationState,
        clock: Clock | None,
        size: int | None = None,
        ladder: tuple[str, ...] | None = None,
    ) -> None:
        self._book = book
        self._state = state
        self._clock: Clock = clock or _utc_now
        self._lock = threading.Lock()
        self._ladder = (
            _effective_ladder(_live_ladder(book, state.channel), state.warnings)
            if ladder is None
            else ladder
        )
        self._size = len(state.model_dump_json()) if size is None else size
        """The size of the state as JSON, kept up to date as the log grows."""
        self._log_text: tuple[tuple[LogRecord, ...], list[str]] | None = None
        """A log and the JSON of its records (a piece may hold several), kept up to date
        as the log grows; stale once the state's log is another tuple (a turn that
        failed puts the log before it back)."""
        self._rotation: _Rotation | None = None
        """The rotation's counts of the state's log (see :class:`_Rotation`)."""
        self._first_safety: tuple[tuple[LogRecord, ...], Event | None] | None = None
        """A log and the first safety event noted in it, kept up to date likewise."""

    @classmethod
    @entry_point
    def resume(
        cls,
        book: Phrasebook,
        state: ConversationState | str | bytes | Mapping[str, Any],
        *,
        repair: bool = False,
        clock: Clock | None = None,
    ) -> Conversation:
        """Carry on a contact from its saved state (a model, its JSON, or that JSON parsed).

        The state is checked against ``book``: a situation that no longer
        exists is a :class:`~deescalate.StateError`. Entry ids in the log or
        contact values that these catalogues no longer have are a
        :class:`~deescalate.StateError` too, unless ``repair=True``: then the
        log is kept as it was (it is history), the rotation simply ignores the
        missing entries, values no entry declares any more are dropped,
        situations that no longer exist are dropped from the situations events
        brought in, and a ``repair`` record in the log says what was done.
        """
        if isinstance(state, str):
            known = _TRUSTED.get(book, state)
            if known is not None:
                trusted = known.state
                conversation = cls.__new__(cls)
                conversation._setup(book, trusted, clock, len(state), known.ladder)
                inner = state[known.log_at + 1 : -2]
                conversation._log_text = (trusted.log, [inner] if inner else [])
                return conversation
        parsed, size = _parse_state(state)
        fixed, problems = _check_state(book, parsed)
        if problems and not repair:
            raise StateError(
                "saved conversation state does not fit these catalogues: "
                + _summary(problems)
                + ". Resume with repair=True to continue without them (the log is kept)."
            )
        derived, contradictions = _replay(book, fixed)
        if contradictions and not repair:
            raise StateError(
                "saved conversation state contradicts its own log: "
                + _summary(contradictions)
                + ". The log decides: resume with repair=True to carry on from where it leads."
            )
        if contradictions:
            fixed = fixed.model_copy(update=derived)
            problems.append("the state was set to where its log leads: " + _summary(contradictions))
        conversation = cls.__new__(cls)
        conversation._setup(book, fixed, clock, size if not problems else None)
        if not problems and isinstance(state, str):
            # Checked in full: the same text need not be checked again (if it is exactly
            # the JSON the state writes; any other spelling of it simply is not remembered).
            conversation.state_json(expected=state)
        if problems:
            with conversation._turn():
                conversation._append(
                    LogRecord(
                        at=conversation._now(),
                        kind=LogKind.REPAIR,
                        text="; ".join(problems),
                        situation=conversation._layers(fixed)[0],
                        ladder_step=fixed.ladder_step,
                    )
                )
        return conversation

    # --- what it knows -----------------------------------------------------------------

    @property
    def book(self) -> Phrasebook:
        """The phrasebook the conversation picks from."""
        return self._book

    @property
    def state(self) -> ConversationState:
        """The whole state, frozen: store ``state.model_dump_json()`` to resume later."""
        return self._state

    @property
    def log(self) -> tuple[LogRecord, ...]:
        """What was suggested and noted, in order, with stage, entry id, locale and time."""
        return self._state.log

    def log_json(self, *, indent: int | None = 2) -> str:
        """The log as a JSON array, for the contact's documentation."""
        return _LOG_JSON.dump_json(self._state.log, indent=indent).decode()

    def state_json(self, *, expected: str | None = None) -> str:
        """The state as JSON, exactly as ``state.model_dump_json()`` writes it, to store.

        The log is not encoded again on every turn, only the record the turn
        added. This process remembers the text as a state it wrote (a bounded
        number of them, the least recently used forgotten first): resuming from
        exactly this text with the same phrasebook skips the checks that
        :meth:`resume` makes of a state that comes from elsewhere. ``expected``
        is for :meth:`resume`: the text is remembered only if it is that one.

        >>> import deescalate as de
        >>> book = de.Phrasebook.default()
        >>> conv = book.conversation(situation="late-delivery", seed=3)
        >>> _ = conv.say("calm")
        >>> conv.state_json() == conv.state.model_dump_json()
        True
        >>> book.resume(conv.state_json()).state == conv.state
        True
        """
        with self._lock:
            state = self._state
            known = self._log_text
            if known is not None and known[0] is state.log:
                log = "[" + ",".join(known[1]) + "]"
            else:
                log = _LOG_JSON.dump_json(state.log).decode()
                self._log_text = (state.log, [log[1:-1]] if state.log else [])
            head = state.model_dump_json(exclude={"log"})
            text = head[:-1] + _LOG_KEY + log + "}"
            if expected is None or text == expected:
                at = len(head) - 1 + len(_LOG_KEY)
                _TRUSTED.put(text, _Remembered(self._book, state, at, self._ladder))
            return text

    @entry_point
    def catch_up(self, state: str | bytes, records: str | bytes) -> None:
        """Carry this conversation on to a later point of the same contact, saved elsewhere.

        ``records`` are the log records added after this conversation's log, as a
        JSON array, and ``state`` is the state they lead to without its log (as
        ``state.model_dump_json(exclude={"log"})`` writes it). The records are
        checked from where this conversation is, as :meth:`resume` checks a whole
        log from the opening, and ``state`` must be exactly where they lead: else a
        :class:`~deescalate.StateError` (a repair record among them is one too), and
        the conversation stays as it was. It takes a time that grows with the
        records added, not with the log: for workers that share a store, a worker
        that kept a conversation carries it on to what another one stored since.

        >>> import deescalate as de
        >>> book = de.Phrasebook.default()
        >>> here = book.conversation(situation="late-delivery", seed=3)
        >>> there = book.resume(here.state_json())
        >>> _ = there.say("calm")
        >>> added = there.log_json(indent=None)
        >>> here.catch_up(there.state.model_dump_json(exclude={"log"}), added)
        >>> here.state == there.state
        True
        """
        for name, text in (("state", state), ("records", records)):
            if not isinstance(text, str | bytes):
                raise StateError(
                    f"catch_up takes the {name} as JSON text, not {type(text).__name__}"
                )
            if len(text) > MAX_STATE_BYTES:
                raise StateTooLargeError(f"the {name} to catch up with", len(text), MAX_STATE_BYTES)
        target = _validate_state(state)
        if target.log:
            raise StateError("catch_up takes the state without its log; the log comes as records")
        try:
            added = _LOG_JSON.validate_json(records)
        except ValidationError as err:
            first = err.errors(include_url=False)[0]
            raise StateError(
                f"log records to catch up with are not valid: {first['msg']}"
            ) from None
        with self._turn() as mine:
            other = {
                name
                for name in ConversationState.model_fields
                if name not in _DERIVED
                and name != "log"
                and getattr(target, name) != getattr(mine, name)
            }
            if other:
                differ = ", ".join(sorted(other))
                raise StateError(
                    f"the state to catch up with is another contact's: {differ} differ"
                )
            size = self._size + len(records) + 1
            if size > MAX_STATE_BYTES:
                raise StateTooLargeError("the state caught up with", size, MAX_STATE_BYTES)
            log = (*mine.log, *added)
            entries = self._book.neutral.entries
            problems: list[str] = []
            current = mine
            for number in range(len(mine.log) + 1, len(log) + 1):
                record = log[number - 1]
                if record.kind is LogKind.REPAIR:
                    problems.append(f"log record {number} is a repair, which only resume makes")
                elif (
                    record.kind is LogKind.PHRASE
                    and record.entry is not None
                    and record.entry not in entries
                ):
                    problems.append(f"entry {record.entry!r} (log record {number}) does not exist")
                else:
                    current = _replay_record(self, current, log, number, problems)
            if not current.safety and any(_is_safety(self._book, r.situation) for r in added):
                current = current.model_copy(update={"safety": True, "done": ()})
            problems.extend(
                f"{name} is {getattr(target, name)!r}, but the log leads to {led!r}"
                for name in _DERIVED
                if getattr(target, name) != (led := getattr(current, name))
            )
            if problems:
                raise StateError(
                    "the state to catch up with contradicts its log: " + _summary(problems)
                )
            for record in added:
                self._append_checked(record)
            self._state = self._state.model_copy(
                update={name: getattr(current, name) for name in _DERIVED}
            )

    @property
    def topic(self) -> str:
        """The situation the contact is about; events never change it."""
        return self._state.topic

    @property
    def situation(self) -> str:
        """The situation now: ``safety-threat`` in safety mode, ``abusive-language`` on the
        ladder, else the situation the last event brought in, else :attr:`topic`."""
        return self._layers(self._state)[0]

    @property
    def ladder_step(self) -> int:
        """The abuse ladder step reached: 0 for none, :attr:`ladder_length` for the ending."""
        return self._state.ladder_step

    @property
    def ladder(self) -> tuple[str, ...]:
        """The entry ids of this contact's ladder, one per step, the ending last."""
        return self._ladder

    @property
    def safety(self) -> bool:
        """Whether safety mode is on; once on, nothing turns it off."""
        return self._state.safety

    @property
    def ended(self) -> bool:
        """Whether the ladder's ending line has been said (the contact was ended)."""
        return self._state.ended

    def __repr__(self) -> str:
        s = self._state
        return (
            f"<Conversation topic={s.topic!r} situation={self.situation!r} "
            f"ladder_step={s.ladder_step} safety={s.safety} turns={len(s.log)}>"
        )

    def __copy__(self) -> Conversation:
        """``copy.copy(conversation)``: a conversation exactly where this one is, to go on
        separately (the state is frozen, so the two share it until either changes).

        It takes no time that grows with the log: a service that keeps the
        conversation it stored last can make each turn on a copy, and keep or drop
        the copy once it knows whether the turn was stored.

        >>> import copy
        >>> import deescalate as de
        >>> conv = de.Phrasebook.default().conversation(situation="late-delivery", seed=3)
        >>> _ = conv.say("calm")
        >>> other = copy.copy(conv)
        >>> other.say("listen").id == conv.say("listen").id
        True
        """
        with self._lock:
            other = Conversation.__new__(Conversation)
            other._setup(self._book, self._state, self._clock, self._size, self._ladder)
            rotation = self._rotation
            if rotation is not None and rotation.log is self._state.log:
                other._rotation = rotation.copy()
            other._first_safety = self._first_safety
            return other

    # --- what the agent does ---------------------------------------------------------------

    @entry_point
    def say(
        self,
        stage: Stage | str,
        *,
        values: Mapping[str, object] | None = None,
        entry: str | None = None,
    ) -> Phrase:
        """The next line for ``stage``, never one already said while others remain.

        On the abuse ladder, the calm stage gives the current step's line and
        the close stage, at the last step, the line that ends the contact. In
        safety mode only safety lines are given. ``values`` are as for
        :meth:`Phrasebook.pick` (they choose among entries); the contact's own
        values are added to each entry that declares them.

        ``entry`` says a line of that entry (the variant not said yet, or the
        least recently said): the line the agent chose where the lines of a
        stage are alternatives that only the agent can tell apart (the manager
        is free, is busy, or is the agent). It must be one of the entries this
        conversation would choose from at ``stage`` now (see :meth:`choices`),
        else :class:`UnknownEntryError` says why; a ladder step or safety mode
        still decides what may be said.
        """
        stage_ = Stage.coerce(stage)
        with self._turn() as state:
            pool = self._pool_for(stage_, state, values)
            pairs = pool.pairs if entry is None else self._named(entry, stage_, pool.pairs)
            phrase = self._phrase(stage_, pool, state, values, self._choose(pairs, state))
            # A line changes the stages done and the ladder lines said, never the
            # situation or the ladder step: the record reads them from the state before.
            self._append(
                LogRecord(
                    at=self._now(),
                    kind=LogKind.PHRASE,
                    stage=stage_,
                    entry=phrase.id,
                    variant=phrase.variant,
                    locale=phrase.locale,
                    text=phrase.text,
                    situation=self._layers(state)[0],
                    ladder_step=state.ladder_step,
                ),
                self._phrase_update(state, stage_, pool.ladder_position),
            )
            return phrase

    @entry_point
    def choices(
        self, stage: Stage | str, *, values: Mapping[str, object] | None = None
    ) -> tuple[Phrase, ...]:
        """The lines :meth:`say` chooses from at ``stage`` now, one for each entry.

        Each is the variant ``say(stage, entry=phrase.id)`` would say now, so an
        agent can be shown the alternatives and say the one that fits (the
        manager is free, is busy, or is the agent). Nothing is logged and
        nothing changes; on a ladder step the one line is that step's, in safety
        mode only safety lines are offered.
        """
        stage_ = Stage.coerce(stage)
        with self._lock:
            state = self._state
            pool = self._pool_for(stage_, state, values)
            entries = dict.fromkeys(e for e, _ in pool.pairs)
            return tuple(
                self._phrase(
                    stage_,
                    pool,
                    state,
                    values,
                    self._choose(self._named(e, stage_, pool.pairs), state),
                )
                for e in entries
            )

    @entry_point
    def tips(self, stage: Stage | str) -> tuple[Tip, ...]:
        """Advice for the agent at ``stage`` in the situations in play, the most pressing first.

        In safety mode only the safety tips. Showing the cool-down tips marks
        the cool-down as done.
        """
        stage_ = Stage.coerce(stage)
        with self._turn() as state:
            layers = self._layers(state)
            found: dict[str, Tip] = {}
            for layer in layers:
                for tip in self._book.tips(
                    stage_,
                    situation=layer,
                    locale=state.locale,
                    channel=state.channel,
                    gloss=state.gloss,
                ):
                    found.setdefault(tip.id, tip)
            rank = {situation: index for index, situation in enumerate(layers)}
            # The situations in play first (ladder, then events, then topic), then
            # what they inherit; sorted() is stable, so each keeps the picker's order.
            tips = tuple(sorted(found.values(), key=lambda t: rank.get(t.situation, len(rank))))
            self._state = state.model_copy(update=self._tips_update(state, stage_))
            self._append(
                LogRecord(
                    at=self._now(),
                    kind=LogKind.TIPS,
                    stage=stage_,
                    tips=tuple(t.id for t in tips),
                    locale=tips[0].locale if tips else None,
                    situation=layers[0],
                    ladder_step=state.ladder_step,
                )
            )
            return tips

    @entry_point
    def skip(self, stage: Stage | str) -> None:
        """Mark ``stage`` as done without a suggested line (the agent used their own words)."""
        stage_ = Stage.coerce(stage)
        with self._turn() as state:
            self._state = state.model_copy(update={"done": _add_stage(state.done, stage_)})
            self._append(
                LogRecord(
                    at=self._now(),
                    kind=LogKind.SKIP,
                    stage=stage_,
                    situation=self._layers(state)[0],
                    ladder_step=state.ladder_step,
                )
            )

    @entry_point
    def note(self, event: Event | str, *, words: str | None = None) -> None:
        """Record what happened; the situation, the ladder and the next stage follow from it.

        ``insult`` climbs the abuse ladder one step, but never more than one
        above the last ladder line said (so every warning is given before the
        contact is ended) and never past its end; ``calmed-down`` steps it
        back one. ``asked-for-manager``,
        ``threatened-to-sue`` and ``cried`` bring their situation in on top
        of the topic and send the contact back to restating (or, for tears,
        to calming). ``self-harm`` and ``violence`` switch on safety mode for
        good; after that, other events are recorded but change nothing.
        ``words`` keeps the customer's exact words in the log.
        """
        event_ = Event.coerce(event)
        if words is not None:
            if isinstance(words, str) and len(words) > MAX_NOTE_LENGTH:
                raise NoteTooLongError(len(words), MAX_NOTE_LENGTH)
            words = check_text("words", words, MAX_NOTE_LENGTH)
        with self._turn() as state:
            self._state = state.model_copy(update=self._event_update(state, event_))
            self._append(
                LogRecord(
                    at=self._now(),
                    kind=LogKind.EVENT,
                    event=event_,
                    words=words,
                    situation=self._layers(self._state, event_)[0],
                    ladder_step=self._state.ladder_step,
                )
            )

    def hear(self, text: str) -> Hearing:
        """Listen to what the customer said and note the events it implies.

        The utterance is heard with :meth:`Phrasebook.listen` in the
        conversation's locale. Each direct (high-confidence) signal is noted
        once, with ``text`` as the customer's exact words: a self-harm or
        violence signal turns safety mode on at once; abuse climbs the ladder
        exactly one step however many insults the utterance holds; a calming
        signal steps it back as ``note("calmed-down")`` does (not when the same
        utterance is abusive); a manager request, a legal threat or distress
        brings its situation in. Low-confidence cues are returned for the agent
        to judge and change nothing. Nothing heard, nothing noted.

        >>> import deescalate as de
        >>> conv = de.Phrasebook.default().conversation(situation="late-delivery", seed=1)
        >>> conv.hear("This is useless, you idiot!").noted
        (<Event.INSULT: 'insult'>,)
        >>> conv.ladder_step
        1
        """
        from .listening import Hearing

        heard = self._book.listen(text, locale=self._state.locale)
        events = heard.events()
        for event in events:
            self.note(event, words=heard.text)
        return Hearing(heard=heard, noted=events)

    def next_stage(self) -> Stage | None:
        """The stage to go to now, or ``None`` when the contact and its cool-down are over.

        A pending ladder step comes first; then the first stage after the
        furthest one done that has lines (from calm again when safety mode
        began; from restate, or calm for tears, after an event that brings in a
        situation); after the close, or once the contact was ended, the
        cool-down (tips only).
        """
        with self._lock:
            state = self._state
            if state.ended:
                return None if Stage.COOL_DOWN in state.done else Stage.COOL_DOWN
            if not state.safety and state.ladder_said < state.ladder_step:
                step_entry = self._ladder[state.ladder_step - 1]
                return self._book.neutral.entries[step_entry].stage
            # Carry on after the furthest stage reached: an agent who jumped ahead is
            # not sent back (events that need an earlier stage reopen it themselves).
            furthest = max((_STAGE_ORDER[d] for d in state.done), default=-1)
            for stage in Stage:
                if stage in state.done or _STAGE_ORDER[stage] < furthest:
                    continue
                if stage is Stage.COOL_DOWN:
                    return stage
                try:
                    self._pool_for(stage, state, None)
                except NoContentError:
                    continue  # nothing to say at this stage here (a channel filter, say)
                except DeescalateError:
                    pass  # lines exist but need values the caller has to give
                return stage
            return None

    # --- internals ---------------------------------------------------------------------------

    @contextmanager
    def _turn(self) -> Iterator[ConversationState]:
        """One turn, all or nothing: the state as it was, restored if anything fails."""
        with self._lock:
            before = self._state
            try:
                yield before
            except BaseException:
                self._state = before
                raise

    def _now(self) -> datetime:
        at = self._clock()
        if not isinstance(at, datetime):
            raise InvalidOptionError("clock", self._clock, ["a function returning a datetime"])
        return at

    def _append(self, record: LogRecord, update: dict[str, Any] | None = None) -> None:
        """Add ``record`` to the log (and make ``update``), unless the state would grow
        past ``MAX_STATE_BYTES``."""
        encoded = record.model_dump_json()
        size = self._size + len(encoded) + 1
        # Room for what else a turn may add (stages done, situations brought in).
        if size > MAX_STATE_BYTES - _STATE_HEADROOM:
            raise StateTooLargeError(
                "the conversation's log is full: with this record the state", size, MAX_STATE_BYTES
            )
        self._append_checked(record, update, encoded)

    def _append_checked(
        self, record: LogRecord, update: dict[str, Any] | None = None, encoded: str | None = None
    ) -> None:
        """Add ``record`` to the log (and make ``update``), its size already checked."""
        if encoded is None:
            encoded = record.model_dump_json()
        self._size += len(encoded) + 1
        before = self._state.log
        log = (*before, record)
        known = self._log_text
        if known is not None and known[0] is before:
            known[1].append(encoded)
            self._log_text = (log, known[1])
        rotation = self._rotation
        if rotation is not None and rotation.log is before:
            rotation.add(record, log)
        first = self._first_safety
        if first is not None and first[0] is before:
            event = first[1]
            if event is None and record.kind is LogKind.EVENT and record.event in _SAFETY_EVENTS:
                event = record.event
            self._first_safety = (log, event)
        self._state = self._state.model_copy(update={**(update or {}), "log": log})

    # The state changes each kind of record makes: note(), say() and tips() use these,
    # and resuming replays them over the log to derive the state it leads to.

    def _event_update(self, state: ConversationState, event_: Event) -> dict[str, Any]:
        if event_ in _SAFETY_EVENTS:
            # The safety procedure starts from the beginning: calm, then listen, ...
            return {} if state.safety else {"safety": True, "done": ()}
        if state.safety:
            return {}  # nothing switches safety mode off, and the ladder is suspended in it
        if event_ is Event.INSULT and self._ladder:
            # One step above the last line said, at most: insults that pile up
            # before the agent answers never skip a warning on the way to the end.
            step = min(state.ladder_step + 1, state.ladder_said + 1, len(self._ladder))
            return {"ladder_step": max(step, state.ladder_step)}
        if event_ is Event.CALMED_DOWN:
            step = max(state.ladder_step - 1, 0)
            return {"ladder_step": step, "ladder_said": min(state.ladder_said, step)}
        if event_ not in _IMPLIES:
            return {}
        # (An insult where the ladder does not apply, by email, brings in
        # abusive-language like any other situation: its written limit and tips.)
        situation, back_to = _IMPLIES[event_]
        if situation not in self._book.neutral.situations:
            return {}
        return {
            "implied": (*(s for s in state.implied if s != situation), situation),
            "done": tuple(d for d in state.done if _STAGE_ORDER[d] < _STAGE_ORDER[back_to]),
        }

    def _phrase_update(
        self, state: ConversationState, stage: Stage, ladder_position: int
    ) -> dict[str, Any]:
        update: dict[str, Any] = {"done": _add_stage(state.done, stage)}
        if ladder_position:
            update["ladder_said"] = max(state.ladder_said, ladder_position)
            if ladder_position == len(self._ladder):
                update["ended"] = True
        return update

    @staticmethod
    def _tips_update(state: ConversationState, stage: Stage) -> dict[str, Any]:
        return {"done": _add_stage(state.done, stage)} if stage is Stage.COOL_DOWN else {}

    def _layers(self, state: ConversationState, pending: Event | None = None) -> tuple[str, ...]:
        """The situations in play, the most pressing first, the topic last.

        In safety mode, the safety situation the contact is in: the topic if it is
        one, else the one for the event that switched safety mode on (read from
        the log, ``pending`` being an event about to be logged), where the
        catalogues define it.
        """
        if state.safety:
            return (self._safety_situation(state, pending),)
        layers: list[str] = []
        if state.ladder_step > 0 and ABUSE_SITUATION in self._book.neutral.situations:
            layers.append(ABUSE_SITUATION)
        layers.extend(reversed(state.implied))
        layers.append(state.topic)
        return tuple(dict.fromkeys(layers))

    def _safety_situation(self, state: ConversationState, pending: Event | None) -> str:
        situations = self._book.neutral.situations
        if SAFETY_SITUATION in self._book.situation_chain(state.topic):
            return state.topic
        first = self._first_safety_event(state.log)
        if first is None and pending in _SAFETY_EVENTS:
            first = pending
        specific = _SAFETY_FOR.get(first, SAFETY_SITUATION)
        return specific if specific in situations else SAFETY_SITUATION

    def _first_safety_event(self, log: tuple[LogRecord, ...]) -> Event | None:
        """The first self-harm or violence event noted in ``log``."""
        known = self._first_safety
        if known is not None and known[0] is log:
            return known[1]
        first = next(
            (r.event for r in log if r.kind is LogKind.EVENT and r.event in _SAFETY_EVENTS), None
        )
        if log is self._state.log:
            self._first_safety = (log, first)
        return first

    def _ladder_target(self, stage: Stage, state: ConversationState) -> tuple[int, str] | None:
        """The ladder line for ``stage`` at the current step: the latest step of that stage."""
        if state.safety or state.ladder_step == 0:
            return None
        entries = self._book.neutral.entries
        for position in range(min(state.ladder_step, len(self._ladder)), 0, -1):
            entry_id = self._ladder[position - 1]
            if entries[entry_id].stage is stage:
                return position, entry_id
        return None

    def _pool_for(
        self, stage: Stage, state: ConversationState, values: Mapping[str, object] | None
    ) -> _Pool:
        target = self._ladder_target(stage, state)
        if target is not None:
            position, entry_id = target
            pairs = self._options(stage, ABUSE_SITUATION, state, values, entry_id)
            return _Pool(ABUSE_SITUATION, pairs, position)
        # Ladder lines are said only as ladder steps, never as ordinary content (a
        # contact about abuse that calmed down, or a ladder with no boundary step).
        ladder_ids = frozenset(_base_ladder(self._book))
        entries = self._book.neutral.entries
        layers = self._layers(state)
        for layer in layers[:-1]:
            # A situation brought in by an event speaks only where it has lines of its
            # own; elsewhere the topic does (a late delivery stays a late delivery).
            try:
                pairs = self._following(self._options(stage, layer, state, values), state)
            except (NoContentError, MissingValueError, UnexpectedValueError):
                continue
            # Its own lines, then: the step back it asked for is about what it brings.
            own = tuple(
                p for p in pairs if p[0] not in ladder_ids and layer in entries[p[0]].situations
            )
            if own:
                return _Pool(layer, own)
        topic = layers[-1]
        pairs = tuple(
            p
            for p in self._following(self._options(stage, topic, state, values), state)
            if p[0] not in ladder_ids
        )
        if pairs:
            return _Pool(topic, pairs)
        raise NoContentError(
            f"stage {stage.value!r} of situation {topic!r} has no lines outside the abuse ladder"
        )

    def _options(
        self,
        stage: Stage,
        situation: str,
        state: ConversationState,
        values: Mapping[str, object] | None,
        entry: str | None = None,
    ) -> tuple[tuple[str, int], ...]:
        """The variants to choose from: the picker's options, with the contact's values
        as defaults (they fill the entries that declare them and rule nothing out)."""
        return self._book.options(
            stage,
            situation=situation,
            locale=state.locale,
            register=state.register_,
            channel=state.channel,
            values=values or None,
            defaults=state.values or None,
            entry=entry,
        )

    def _following(
        self, pairs: tuple[tuple[str, int], ...], state: ConversationState
    ) -> tuple[tuple[str, int], ...]:
        """Lines that follow another (``after``) only once it is the latest line said at
        its stage, and then alone.

        The hand-over to a manager is the close only when the last resolve line said
        connected the customer to the manager; after "the manager is busy" it is never
        said, even when the connecting line was suggested first.
        """
        entries = self._book.neutral.entries
        if not any(entries[e].after for e, _ in pairs):
            return pairs
        latest: dict[Stage, tuple[int, str]] = {}  # stage -> (when, entry) of its latest line
        for (entry_id, _), when in self._rotation_for(state).last.items():
            stage = entries[entry_id].stage
            if stage not in latest or when > latest[stage][0]:
                latest[stage] = (when, entry_id)
        said = {entry_id for _, entry_id in latest.values()}
        ready = tuple(p for p in pairs if entries[p[0]].after & said)
        return ready or tuple(p for p in pairs if not entries[p[0]].after)

    def _rotation_for(self, state: ConversationState) -> _Rotation:
        """The counts of ``state``'s log (those of this conversation's own log are kept)."""
        rotation = self._rotation
        if rotation is None or rotation.log is not state.log:
            rotation = _Rotation(state.log)
            if state.log is self._state.log:
                self._rotation = rotation
        return rotation

    def _phrase(
        self,
        stage: Stage,
        pool: _Pool,
        state: ConversationState,
        values: Mapping[str, object] | None,
        chosen: tuple[str, int],
    ) -> Phrase:
        """The chosen variant of ``pool``, as the picker renders it for this contact."""
        entry_id, variant = chosen
        return self._book.pick(
            stage,
            situation=pool.situation,
            locale=state.locale,
            register=state.register_,
            channel=state.channel,
            gloss=state.gloss,
            values=values or None,
            defaults=state.values or None,
            entry=entry_id,
            variant=variant,
        )

    def _named(
        self, entry: str, stage: Stage, pairs: tuple[tuple[str, int], ...]
    ) -> tuple[tuple[str, int], ...]:
        """The variants of ``entry`` among ``pairs``, or why it cannot be said now."""
        mine = tuple(p for p in pairs if p[0] == entry)
        if mine:
            return mine
        known = self._book.neutral.entries.get(entry)
        if known is None:
            raise UnknownEntryError(entry)
        if known.kind is not Kind.PHRASE or known.stage is not stage:
            raise UnknownEntryError(entry, f"it is not a phrase of stage {stage.value!r}")
        offered = ", ".join(dict.fromkeys(e for e, _ in pairs))
        raise UnknownEntryError(
            entry,
            f"it is not a line this conversation says at stage {stage.value!r} now "
            f"(it offers {offered})",
        )

    def _choose(
        self, pairs: tuple[tuple[str, int], ...], state: ConversationState
    ) -> tuple[str, int]:
        """A variant not said yet if there is one (seeded), else the least recently said."""
        rotation = self._rotation_for(state)
        last_said, said = rotation.last, rotation.said
        fresh = [p for p in pairs if p not in last_said]
        if fresh:
            return fresh[choose(state.seed, len(fresh), said)]
        return min(pairs, key=lambda p: last_said[p])


# --- helpers -------------------------------------------------------------------------------


def _add_stage(done: tuple[Stage, ...], stage: Stage) -> tuple[Stage, ...]:
    return done if stage in done else (*done, stage)


def _live_ladder(book: Phrasebook, channel: Channel | str | None) -> tuple[str, ...]:
    """The abuse ladder where it applies: on a live channel (or none given), not by email.

    Warning three times in one thread and "ending the conversation" are for live
    contacts; the ladder's steps say which channels they suit.
    """
    ladder = _base_ladder(book)
    if channel is None:
        return ladder
    channel_ = coerce_option(Channel, "channel", channel)
    entries = book.neutral.entries
    return ladder if all(channel_ in entries[e].channels for e in ladder) else ()


def _base_ladder(book: Phrasebook) -> tuple[str, ...]:
    situation = book.neutral.situations.get(ABUSE_SITUATION)
    return situation.ladder if situation is not None else ()


def _effective_ladder(base: tuple[str, ...], warnings: int) -> tuple[str, ...]:
    """The ladder with ``warnings`` warning steps before the ending.

    The first warning is the catalogue's first step (the boundary) and the last is
    its last warning (the final one); the steps between repeat the middle ones.
    One warning is the final warning alone; none ends the contact at once.
    """
    if not base:
        return ()
    *warning_steps, ending = base
    if warnings == 0 or not warning_steps:
        return (ending,)
    if warnings == 1:
        return (warning_steps[-1], ending)
    middle = warning_steps[1:-1] or warning_steps[-1:]
    filler = tuple(middle[i % len(middle)] for i in range(warnings - 2))
    return (warning_steps[0], *filler, warning_steps[-1], ending)


def _contact_values(
    book: Phrasebook, customer_name: str | None, values: Mapping[str, str] | None
) -> dict[str, str]:
    """Validate the whole-contact values; blank ones count as not given (no holes)."""
    merged: dict[str, str] = {}
    for name, value in (values or {}).items():
        if check_text(name, value, MAX_VALUE_LENGTH).strip():
            merged[name] = value
    if customer_name is not None:
        check_text("name", customer_name, MAX_VALUE_LENGTH)
        if "name" in merged:
            raise InvalidOptionError(
                "customer_name", customer_name, ["either customer_name= or values['name']"]
            )
        if customer_name.strip():
            merged["name"] = customer_name
    declared = {
        name
        for e in book.neutral.entries.values()
        if e.kind is Kind.PHRASE
        for name in e.placeholders
    }
    extra = merged.keys() - declared
    if extra:
        raise UnexpectedValueError("conversation values", extra, declared)
    return merged


def _parse_state(state: object) -> tuple[ConversationState, int]:
    """The state as a model, and its size as JSON; refused if too large or not serialisable."""
    if isinstance(state, str | bytes | bytearray):
        # Refuse before parsing: a huge state would cost its size in time and memory.
        size = _encoded_size(state)
        if size > MAX_STATE_BYTES:
            raise StateTooLargeError("the saved conversation state", size, MAX_STATE_BYTES)
    parsed = _validate_state(state)
    try:
        dumped = parsed.model_dump_json()
    except (ValueError, UnicodeError):
        # A lone surrogate in a str: the state could never be saved again.
        raise StateError(
            "saved conversation state is not valid: it holds text that is not valid Unicode"
        ) from None
    if len(dumped) > MAX_STATE_BYTES:
        raise StateTooLargeError("the saved conversation state", len(dumped), MAX_STATE_BYTES)
    if state is parsed:
        # A model given as it is may have been built without validation
        # (model_construct): it is checked like its JSON would be.
        parsed = _validate_state(dumped)
    return parsed, len(dumped)


def _encoded_size(state: str | bytes | bytearray) -> int:
    if not isinstance(state, str):
        return len(state)
    if len(state) > MAX_STATE_BYTES or len(state) * 4 <= MAX_STATE_BYTES:
        return len(state)  # over the limit already, or under it whatever the characters
    return len(state.encode("utf-8", "surrogatepass"))


def _validate_state(state: object) -> ConversationState:
    if isinstance(state, ConversationState):
        return state
    try:
        if isinstance(state, str | bytes | bytearray):
            return ConversationState.model_validate_json(state)
        if isinstance(state, Mapping):
            return ConversationState.model_validate(state)
    except RecursionError:
        raise StateError("saved conversation state is not valid: it is nested too deeply") from None
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "the state"
        more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
        raise StateError(
            f"saved conversation state is not valid: {where}: {first['msg']}{more}"
        ) from None
    raise StateError(
        f"saved conversation state must be a ConversationState, its JSON or a dict, "
        f"not {type(state).__name__}"
    )


def _check_state(book: Phrasebook, state: ConversationState) -> tuple[ConversationState, list[str]]:
    """The state as it can be resumed with ``book``, and what had to be left out of it."""
    neutral = book.neutral
    if state.topic not in neutral.situations:
        raise StateError(
            f"saved conversation is about situation {state.topic!r}, which these catalogues "
            f"do not define; defined: {', '.join(sorted(neutral.situations))}"
        )
    for option, value in (("locale", state.locale), ("gloss", state.gloss)):
        if value is None:
            continue
        try:
            parse_preferences(value)
        except DeescalateError as err:
            raise StateError(f"saved conversation state has an invalid {option}: {err}") from None
    for name, value in state.values.items():
        try:
            check_text(name, value, MAX_VALUE_LENGTH)
        except DeescalateError as err:
            raise StateError(f"saved conversation state has an invalid value: {err}") from None
    problems: list[str] = []
    implied = tuple(s for s in state.implied if s in neutral.situations)
    problems.extend(f"situation {s!r} no longer exists" for s in state.implied if s not in implied)
    missing: dict[str, int] = {}
    for number, record in enumerate(state.log, start=1):
        if (
            record.kind is LogKind.PHRASE
            and record.entry is not None
            and record.entry not in neutral.entries
        ):
            missing.setdefault(record.entry, number)
    problems.extend(
        f"entry {entry!r} (log record {number}) no longer exists"
        for entry, number in missing.items()
    )
    declared = {name for e in neutral.entries.values() for name in e.placeholders}
    values = {k: v for k, v in state.values.items() if k in declared}
    problems.extend(
        f"no entry uses the value {name!r} any more" for name in state.values if name not in values
    )
    update: dict[str, Any] = {"implied": implied, "values": values}
    if state.ladder_step and not _base_ladder(book):
        problems.append(f"situation {ABUSE_SITUATION!r} no longer has a ladder")
        update |= {"ladder_step": 0, "ladder_said": 0}
    return state.model_copy(update=update), problems


def _opening(book: Phrasebook, topic: str, channel: Channel | str | None) -> dict[str, Any]:
    """The state a contact about ``topic`` starts in, before anything is logged.

    A contact that starts out abusive starts on the ladder's first step (where
    the ladder applies), and one that starts as a safety threat is in safety
    mode from the outset.
    """
    return {
        "ladder_step": 1 if topic == ABUSE_SITUATION and _live_ladder(book, channel) else 0,
        "safety": _is_safety(book, topic),
    }


def _is_safety(book: Phrasebook, situation: str) -> bool:
    """Whether ``situation`` is the safety situation or one of its own."""
    if situation not in book.neutral.situations:
        return situation == SAFETY_SITUATION
    return SAFETY_SITUATION in book.situation_chain(situation)


_DERIVED = ("safety", "ladder_step", "ladder_said", "ended", "implied", "done")
"""The fields of a state that its log determines."""


def _replay(book: Phrasebook, state: ConversationState) -> tuple[dict[str, Any], list[str]]:
    """Where ``state``'s log leads with ``book``, and every way the state contradicts it.

    The log is replayed from the contact's opening through the same state
    changes that :meth:`Conversation.note`, :meth:`~Conversation.say`,
    :meth:`~Conversation.tips` and :meth:`~Conversation.skip` make, so safety
    mode, the ladder, the ending, the situations brought in and the stages done
    are what the log says, whatever the flags say. Each record's own situation
    and ladder step are checked against the replay too. Safety mode is on if
    anything in the log was said or noted in it.

    A repair record (written by ``resume(..., repair=True)``) acknowledges the
    problems of the records before it: they are listed in its text and not
    reported again, while the state it set is still checked against the replay.
    """
    opening = state.model_copy(
        update={
            **_opening(book, state.topic, state.channel),
            "ladder_said": 0,
            "ended": False,
            "implied": (),
            "done": (),
            "log": (),
        }
    )
    scratch = Conversation.__new__(Conversation)
    scratch._setup(book, opening, None, size=0)
    current = opening
    problems: list[str] = []
    for number, record in enumerate(state.log, start=1):
        if record.kind is LogKind.REPAIR:
            problems.clear()
            continue
        current = _replay_record(scratch, current, state.log, number, problems)
    if not current.safety and any(_is_safety(book, r.situation) for r in state.log):
        current = current.model_copy(update={"safety": True, "done": ()})
    derived = {name: getattr(current, name) for name in _DERIVED}
    problems.extend(
        f"{name} is {getattr(state, name)!r}, but the log leads to {value!r}"
        for name, value in derived.items()
        if getattr(state, name) != value
    )
    return derived, problems


def _replay_record(
    scratch: Conversation,
    current: ConversationState,
    log: tuple[LogRecord, ...],
    number: int,
    problems: list[str],
) -> ConversationState:
    """The state ``current`` leads to with record ``number`` (from 1) of ``log``, the
    record checked against it; each way it does not fit is added to ``problems``.

    ``scratch`` is a conversation of the same contact (its ladder is the one used).
    """
    record = log[number - 1]
    update: dict[str, Any] = {}
    if record.kind is LogKind.EVENT and record.event is not None:
        update = scratch._event_update(current, record.event)
    elif record.kind is LogKind.PHRASE and record.stage is not None:
        position = 0
        if record.entry in scratch.ladder:
            target = scratch._ladder_target(record.stage, current)
            if target is None or target[1] != record.entry:
                problems.append(
                    f"log record {number} is the ladder line {record.entry!r}, "
                    "which the ladder had not reached"
                )
            else:
                position = target[0]
        update = scratch._phrase_update(current, record.stage, position)
    elif record.kind is LogKind.TIPS and record.stage is not None:
        update = scratch._tips_update(current, record.stage)
    elif record.kind is LogKind.SKIP and record.stage is not None:
        update = {"done": _add_stage(current.done, record.stage)}
    else:
        problems.append(f"log record {number} ({record.kind.value}) lacks its stage or event")
    if update:
        current = current.model_copy(update=update)
    # Which safety situation a record is in depends on the log before it.
    view = current.model_copy(update={"log": log[: number - 1]}) if current.safety else current
    pending = record.event if record.kind is LogKind.EVENT else None
    situation = scratch._layers(view, pending)[0]
    if record.situation != situation or record.ladder_step != current.ladder_step:
        problems.append(
            f"log record {number} says situation {record.situation!r} at ladder step "
            f"{record.ladder_step}, but the log before it leads to {situation!r} at "
            f"step {current.ladder_step}"
        )
    return current


def _summary(problems: Sequence[str], shown: int = 3) -> str:
    more = len(problems) - shown
    return "; ".join(problems[:shown]) + (f" (and {more} more)" if more > 0 else "")
