"""Conversations held server-side: create, resume, change, store, with optimistic concurrency.

A request never carries state: it names a conversation, the service reads the
stored state, resumes it with :meth:`Phrasebook.resume` (which checks it
against its own log), applies one change and writes it back only if nobody
wrote in between (compare-and-set on the version). When somebody did, the
change is made again on the newer state, so two simultaneous ``say`` calls
never say the same line and never lose a turn; a caller that sent
``If-Match`` with an older version gets ``412`` instead.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import deescalate as de

from .problems import ProblemError
from .schemas import ConversationView
from .stores import Record, Store

__all__ = ["Conversations", "Loaded", "new_id", "over", "stale", "view"]

T = TypeVar("T")

# 32 random bytes: 256 bits, far past the 128 that make ids unguessable.
_ID_BYTES = 32
MAX_ID = 64
# Attempts at a compare-and-set before the service gives up (503).
_ATTEMPTS = 200
# In-process locks, so workers' threads queue instead of racing; the
# compare-and-set still guards against other processes and machines.
_STRIPES = 64
RECENT_RECORDS = 1024
"""The most conversations a process remembers as the ones it stored last (see ``_Recent``)."""
RECENT_CHARS = 16 * 1024 * 1024
"""The most JSON, in characters, those remembered conversations may hold between them (they
are kept as live conversations, which take a few times their JSON's size in memory)."""


def new_id() -> str:
    """A fresh conversation id: 43 URL-safe characters."""
    return secrets.token_urlsafe(_ID_BYTES)


def not_found(key: str) -> ProblemError:
    """The problem for a conversation that does not exist (or is not the caller's)."""
    return ProblemError(
        404,
        "conversation-not-found",
        "No such conversation",
        "no conversation with this id (it may have expired)",
    )


@dataclass(frozen=True, slots=True)
class Loaded:
    """A conversation as read from the store."""

    key: str
    version: int
    conversation: de.Conversation
    meta: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Written:
    """A conversation as this process stored it last."""

    version: int
    head: str
    owner: str
    meta: dict[str, Any]
    conversation: de.Conversation
    """Never changed again (callers only read it): each turn goes on with a copy of it."""
    size: int
    """About how many characters the stored conversation holds."""
    parts: int
    """How many parts the store holds at this version."""
    last: str
    """The last of them ("" when there is none)."""


def _stored(
    record: Record, meta: dict[str, Any], conversation: de.Conversation, size: int
) -> _Written:
    """What this process knows of ``record`` once it holds it as ``conversation``."""
    return _Written(
        version=record.version,
        head=record.head,
        owner=record.owner,
        meta=meta,
        conversation=conversation,
        size=size,
        parts=len(record.parts),
        last=record.parts[-1] if record.parts else "",
    )


class _Recent:
    """The conversations this process stored last, by key, the least recently used
    forgotten first.

    The next turn of a conversation goes on from the conversation this process
    stored, and the store checks, in the same step as it appends the turn, that the
    head is still exactly the one stored; when another worker wrote in between (or
    the conversation was deleted, or expired) the check fails and the turn is made
    again on the conversation read from the store. So a turn reads the store only
    when it must, and the store stays the only source of truth.
    """

    def __init__(self, entries: int, chars: int) -> None:
        self._items: OrderedDict[str, _Written] = OrderedDict()
        self._entries = entries
        self._limit = chars
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> _Written | None:
        """The conversation stored last under ``key``, if remembered."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, written: _Written) -> None:
        """Remember ``written`` as the conversation under ``key``."""
        with self._lock:
            self._drop(key)
            if written.size > self._limit:
                return
            self._items[key] = written
            self._chars += written.size
            while len(self._items) > self._entries or self._chars > self._limit:
                self._drop(next(iter(self._items)))

    def forget(self, key: str) -> None:
        """Forget the conversation under ``key``."""
        with self._lock:
            self._drop(key)

    def _drop(self, key: str) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._chars -= old.size


class Conversations:
    """The conversation logic, over any :class:`Store`."""

    def __init__(self, book: de.Phrasebook, store: Store, *, ttl: float) -> None:
        self.book = book
        self.store = store
        self.ttl = ttl
        self._locks = tuple(threading.Lock() for _ in range(_STRIPES))
        self._recent = _Recent(RECENT_RECORDS, RECENT_CHARS)

    def _lock(self, key: str) -> threading.Lock:
        return self._locks[zlib.crc32(key.encode()) % _STRIPES]

    # A conversation is stored as a head and parts. The head is one line of JSON for
    # the service's own notes, then the state's JSON without its log; each write
    # appends the JSON of the log records it added, as one part. Read back, head and
    # parts make the state's JSON again (the log is its last field), which goes to
    # Conversation.resume as text and is checked there in full: the store stays the
    # only source of truth. A conversation this process stored itself goes on from
    # the conversation it kept, with nothing to read or check; one it stored at an
    # earlier version, and that others carried on since, is caught up with the parts
    # they appended (Conversation.catch_up checks those as resume checks a log).

    @staticmethod
    def _head(conversation: de.Conversation, meta: dict[str, Any]) -> str:
        return json.dumps(meta) + "\n" + conversation.state.model_dump_json(exclude={"log"})

    @staticmethod
    def _part(conversation: de.Conversation, start: int) -> str:
        """The JSON of the log records from ``start`` on, joined as the log joins them."""
        return ",".join(record.model_dump_json() for record in conversation.log[start:])

    def _decoded(self, record: Record) -> _Written:
        """The stored conversation, checked in full."""
        notes, _, head = record.head.partition("\n")
        if not head.endswith("}"):
            raise de.StateError("stored conversation state is not valid: no state in its head")
        text = head[:-1] + ',"log":[' + ",".join(record.parts) + "]}"
        conversation = de.Conversation.resume(self.book, text)
        return _stored(record, json.loads(notes), conversation, len(text))

    def _caught_up(self, known: _Written, record: Record) -> _Written | None:
        """``known`` carried on to ``record``, a later version of the same conversation
        (the parts it stored still there, unchanged, and more after them); ``None`` when
        ``record`` is not that, or its new parts do not check."""
        new = record.parts[known.parts :]
        if (
            record.version <= known.version
            or len(record.parts) < known.parts
            or (known.parts and record.parts[known.parts - 1] != known.last)
        ):
            return None
        notes, _, head = record.head.partition("\n")
        try:
            meta = json.loads(notes)
        except ValueError:
            return None
        if not isinstance(meta, dict) or meta.get("created") != known.meta.get("created"):
            return None  # deleted and started again under the same id
        conversation = copy.copy(known.conversation)
        try:
            conversation.catch_up(head, "[" + ",".join(new) + "]")
        except de.DeescalateError:
            return None  # checked in full instead, which says what is wrong
        return _stored(record, meta, conversation, known.size + sum(len(p) + 1 for p in new))

    # --- the operations ----------------------------------------------------------------

    def create(self, owner: str, options: dict[str, Any], *, key: str | None = None) -> Loaded:
        """Start a conversation owned by ``owner``; ``key`` for a chosen id (Rasa's)."""
        conversation = self.book.conversation(**options)
        meta: dict[str, Any] = {"created": time.time()}
        chosen = key or new_id()
        head = self._head(conversation, meta)
        if not self.store.create(chosen, owner, head, self.ttl):
            raise ProblemError(409, "conversation-exists", "Conversation exists", "id taken")
        written = _Written(
            version=1,
            head=head,
            owner=owner,
            meta=meta,
            conversation=conversation,
            size=len(head),
            parts=0,
            last="",
        )
        self._recent.put(chosen, written)
        return Loaded(chosen, 1, conversation, meta)

    def load(self, key: str, owner: str) -> Loaded:
        """Read a conversation the caller owns; 404 otherwise."""
        known = self._read(key, owner)
        return Loaded(key, known.version, known.conversation, known.meta)

    def _read(self, key: str, owner: str) -> _Written:
        """The conversation as stored now, remembered as what this process knows of it."""
        if not 0 < len(key) <= MAX_ID:
            raise not_found(key)
        record = self.store.get(key)
        # Another key's conversation is reported exactly like a missing one.
        if record is None or not secrets.compare_digest(record.owner, owner):
            if record is None:
                self._recent.forget(key)
            raise not_found(key)
        recent = self._recent.get(key)
        if recent is not None and (recent.version, recent.head) == (record.version, record.head):
            return recent  # what this process stored, still the current conversation
        known = None if recent is None else self._caught_up(recent, record)
        if known is None:
            known = self._decoded(record)
        self._recent.put(key, known)
        return known

    def change(
        self,
        key: str,
        owner: str,
        action: Callable[[de.Conversation, dict[str, Any]], T],
        *,
        if_match: int | None = None,
    ) -> tuple[T, Loaded]:
        """Apply ``action`` to the newest state and store what it added (compare-and-set).

        ``action`` may also change the record's ``meta`` dict in place. When it
        raises, nothing is stored.
        """
        with self._lock(key):
            recent = self._recent.get(key)
            for _ in range(_ATTEMPTS):
                expected: str | None = None
                if (
                    recent is not None
                    and secrets.compare_digest(recent.owner, owner)
                    and if_match in (None, recent.version)
                ):
                    # Stored here last: carried on without reading, and stored only if
                    # the store still holds exactly that head.
                    base = recent
                    expected = recent.head
                else:
                    base = self._read(key, owner)
                    if if_match is not None and base.version != if_match:
                        raise stale(base.version)
                conversation = copy.copy(base.conversation)
                start = len(conversation.log)
                meta = dict(base.meta)
                result = action(conversation, meta)
                head = self._head(conversation, meta)
                part = self._part(conversation, start)
                version = base.version
                if self.store.append(key, version, head, part, self.ttl, expected=expected):
                    written = _Written(
                        version=version + 1,
                        head=head,
                        owner=owner,
                        meta=meta,
                        conversation=conversation,
                        size=base.size + len(part) + 1,
                        parts=base.parts + 1 if part else base.parts,
                        last=part or base.last,
                    )
                    self._recent.put(key, written)
                    return result, Loaded(key, version + 1, conversation, meta)
                if recent is not None:
                    recent = None  # not the current conversation after all: read it
                    continue
                if if_match is not None:
                    raise stale(None)
                time.sleep(0.001 * secrets.randbelow(5))
        raise ProblemError(
            503, "busy", "Conversation busy", "too many simultaneous changes; try again"
        )

    def delete(self, key: str, owner: str) -> None:
        """Forget a conversation the caller owns."""
        self.load(key, owner)
        self._recent.forget(key)
        self.store.delete(key)


def over() -> ProblemError:
    """The 409 for a line asked of a contact that is over."""
    return ProblemError(
        409,
        "conversation-over",
        "Conversation over",
        "the contact and its cool-down are over: no next stage",
    )


def stale(current: int | None) -> ProblemError:
    """The 412 for a write based on an older version."""
    return ProblemError(
        412,
        "stale-version",
        "Version is stale",
        "the conversation changed since the version in If-Match; read it again",
        current_version=current,
    )


def view(loaded: Loaded) -> ConversationView:
    """What a client sees of a conversation."""
    conversation = loaded.conversation
    state = conversation.state
    return ConversationView(
        id=loaded.key,
        version=loaded.version,
        topic=conversation.topic,
        situation=conversation.situation,
        locale=state.locale,
        register_=state.register,
        channel=state.channel,
        safety=conversation.safety,
        ended=conversation.ended,
        ladder_step=conversation.ladder_step,
        ladder=conversation.ladder,
        next_stage=conversation.next_stage(),
        turns=len(conversation.log),
    )
