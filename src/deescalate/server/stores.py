"""Where the service keeps conversations: one small interface, three stores.

A store holds, under a key, a conversation's **head** (a short text the service
rewrites on every write), the **parts** appended to it (each write appends one,
and never touches the ones before), a version number and the owner that created
it. A write costs what it adds, whatever the length of the conversation. Every
write is a compare-and-set against the version that was read, so two workers
that change one conversation at the same moment cannot both win: the loser
reads again and retries (or, when its caller sent ``If-Match``, answers
``412``). A write may also name the head it expects to replace, so that a worker
that kept the conversation it wrote last can write the next part without reading
it first: the store still decides, in one step, whether that head is the current
one. Conversations expire after ``ttl`` seconds without a write, in every store.

The conversation logic only ever sees :class:`Store`; ``open_store(url)``
chooses one: ``sqlite:///path`` (the default), ``redis://...`` or ``memory://``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

__all__ = [
    "MemoryStore",
    "Record",
    "RedisStore",
    "SQLiteStore",
    "Store",
    "StoreFormatError",
    "StoreURLError",
    "open_store",
    "split_whole",
]


class StoreURLError(ValueError):
    """A ``--store`` URL that names no store this service has."""


class StoreFormatError(ValueError):
    """A store file or key in a format this service cannot read (and does not change)."""


@dataclass(frozen=True, slots=True)
class Record:
    """One stored conversation: its head, the parts appended to it, version and owner."""

    head: str
    parts: tuple[str, ...]
    """What the writes appended, oldest first (writes that appended nothing left none)."""
    version: int
    owner: str


class Store(Protocol):
    """The interface every store implements; all methods are safe from any thread."""

    def create(self, key: str, owner: str, head: str, ttl: float) -> bool:
        """Store a new conversation at version 1, without parts; ``False`` if the key is taken."""

    def get(self, key: str) -> Record | None:
        """The conversation, or ``None`` when there is none (or it expired)."""

    def append(
        self,
        key: str,
        version: int,
        head: str,
        part: str,
        ttl: float,
        *,
        expected: str | None = None,
    ) -> bool:
        """Make version ``version + 1``: ``head`` for the head and ``part`` (unless empty)
        after the parts, if the conversation is still at ``version`` (and, when
        ``expected`` is given, its head is exactly that)."""

    def delete(self, key: str) -> bool:
        """Remove the conversation; ``False`` if there was none."""

    def ping(self) -> bool:
        """Whether the store answers."""

    def close(self) -> None:
        """Release connections."""


def split_whole(data: str) -> tuple[str, str]:
    """A conversation as the service stored it whole before parts: (head, one part).

    That record was the service's notes (one line of JSON), a newline, then the
    state's JSON with its log; the head is the notes and the state without the
    log, the part the log's records. Anything else is a :class:`StoreFormatError`.
    """
    notes, newline, state = data.partition("\n")
    try:
        if not newline:
            raise ValueError("no newline after the notes")
        json.loads(notes)
        fields = json.loads(state)
        if not isinstance(fields, dict) or not isinstance(fields.get("log", []), list):
            raise ValueError("the state is not an object with a log")
        log = fields.pop("log", [])
    except (ValueError, RecursionError) as err:
        raise StoreFormatError(f"a conversation stored whole cannot be read: {err}") from None
    head = notes + "\n" + _compact(fields)
    return head, ",".join(_compact(record) for record in log)


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- memory ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Held:
    owner: str
    version: int
    head: str
    parts: list[str]
    expires: float


class MemoryStore:
    """A dict in this process: for tests and single-process experiments."""

    def __init__(self) -> None:
        self._items: dict[str, _Held] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> _Held | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item.expires <= now:
            del self._items[key]
            return None
        return item

    def create(self, key: str, owner: str, head: str, ttl: float) -> bool:
        """Store a new conversation at version 1; ``False`` if the key is taken."""
        now = time.monotonic()
        with self._lock:
            if self._live(key, now) is not None:
                return False
            self._items[key] = _Held(owner, 1, head, [], now + ttl)
            return True

    def get(self, key: str) -> Record | None:
        """The conversation, or ``None``."""
        with self._lock:
            item = self._live(key, time.monotonic())
            if item is None:
                return None
            return Record(item.head, tuple(item.parts), item.version, item.owner)

    def append(
        self,
        key: str,
        version: int,
        head: str,
        part: str,
        ttl: float,
        *,
        expected: str | None = None,
    ) -> bool:
        """Compare-and-set on the version (and the head), then append."""
        now = time.monotonic()
        with self._lock:
            item = self._live(key, now)
            if item is None or item.version != version:
                return False
            if expected is not None and item.head != expected:
                return False
            if part:
                item.parts.append(part)
            item.head, item.version, item.expires = head, version + 1, now + ttl
            return True

    def delete(self, key: str) -> bool:
        """Remove the conversation."""
        with self._lock:
            return self._live(key, time.monotonic()) is not None and bool(
                self._items.pop(key, None)
            )

    def ping(self) -> bool:
        """Always answers."""
        return True

    def close(self) -> None:
        """Nothing to release."""


# --- SQLite ---------------------------------------------------------------------------

FORMAT = 2
"""The SQLite file format (``PRAGMA user_version``): 2 keeps each write's part in a row
of its own. Format 1 (``user_version`` 0 with a ``conversations`` table) kept each
conversation whole in one row; opening such a file converts it, in one transaction."""

_SCHEMA = (
    # `part` is the part the last write appended, the trigger's input (see below).
    "CREATE TABLE IF NOT EXISTS conversation_heads ("
    " key TEXT PRIMARY KEY, owner TEXT NOT NULL, version INTEGER NOT NULL,"
    " expires REAL NOT NULL, head TEXT NOT NULL, part TEXT NOT NULL DEFAULT '')",
    # A part is keyed by the version its write made: a second writer of that version
    # could never add its part, even if it got past the version check.
    "CREATE TABLE IF NOT EXISTS conversation_parts ("
    " key TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL,"
    " PRIMARY KEY (key, version)) WITHOUT ROWID",
    # A write is one UPDATE of the head row, compare-and-set in its WHERE clause; this
    # trigger adds its part in the same statement, so the two are one atomic change
    # (and a part that cannot be added undoes the update).
    "CREATE TRIGGER IF NOT EXISTS conversation_appended"
    " AFTER UPDATE OF version ON conversation_heads WHEN NEW.part != ''"
    " BEGIN INSERT INTO conversation_parts (key, version, data)"
    " VALUES (NEW.key, NEW.version, NEW.part); END",
)
# Expired conversations are swept now and then on create, not on every request.
_SWEEP_EVERY = 256
_PAGE_SIZE = 4096


class SQLiteStore:
    """An embedded SQLite file in WAL mode: survives restarts, shared by local workers.

    Each thread has its own connection; writers wait up to ``timeout`` seconds
    for the file lock, which WAL keeps short. A write is one transaction, committed
    before it returns. Expiry uses wall-clock time, so a restart does not reset it.
    """

    def __init__(self, path: str | Path, *, timeout: float = 10.0) -> None:
        self._path = str(path)
        self._timeout = timeout
        self._local = threading.local()
        self._creates = 0
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        connection = self._connection()
        # A new file gets small pages: a turn changes two rows of a few hundred
        # bytes, and every page it changes is written to the log whole.
        connection.execute(f"PRAGMA page_size={_PAGE_SIZE}")
        connection.execute("PRAGMA journal_mode=WAL")
        self._prepare(connection)

    def _prepare(self, connection: sqlite3.Connection) -> None:
        """Make the tables of a new file, or convert a format 1 file; refuse a newer one."""
        if connection.execute("PRAGMA user_version").fetchone()[0] == FORMAT:
            return
        with _transaction(connection):
            found = connection.execute("PRAGMA user_version").fetchone()[0]
            if found == FORMAT:
                return
            if found != 0:
                raise StoreFormatError(
                    f"{self._path} is a conversation store of format {found}; this version "
                    f"of the service reads format {FORMAT} (and converts format 1): use the "
                    "version that wrote it, or another file"
                )
            for statement in _SCHEMA:
                connection.execute(statement)
            old = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'conversations'"
            ).fetchone()
            if old is not None:
                self._convert(connection)
            connection.execute(f"PRAGMA user_version={FORMAT}")

    def _convert(self, connection: sqlite3.Connection) -> None:
        """Format 1 to 2: each whole conversation becomes a head and one part."""
        rows = connection.execute("SELECT key, owner, version, expires, data FROM conversations")
        for key, owner, version, expires, data in rows.fetchall():
            try:
                head, part = split_whole(data)
            except StoreFormatError as err:
                raise StoreFormatError(
                    f"{self._path}: conversation {key!r} cannot be converted to format "
                    f"{FORMAT} ({err}); the file was not changed"
                ) from None
            connection.execute(
                "INSERT INTO conversation_heads (key, owner, version, expires, head) "
                "VALUES (?, ?, ?, ?, ?)",
                (key, owner, version, expires, head),
            )
            if part:
                connection.execute(
                    "INSERT INTO conversation_parts (key, version, data) VALUES (?, ?, ?)",
                    (key, version, part),
                )
        connection.execute("DROP TABLE conversations")

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self._path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
            with self._lock:
                self._all.append(connection)
        return connection

    def create(self, key: str, owner: str, head: str, ttl: float) -> bool:
        """Store a new conversation at version 1; ``False`` if the key is taken."""
        now = time.time()
        connection = self._connection()
        self._creates += 1
        with _transaction(connection):
            if self._creates % _SWEEP_EVERY == 1:
                connection.execute(
                    "DELETE FROM conversation_parts WHERE key IN "
                    "(SELECT key FROM conversation_heads WHERE expires <= ?)",
                    (now,),
                )
                connection.execute("DELETE FROM conversation_heads WHERE expires <= ?", (now,))
            # A conversation that has expired but was not swept yet may be taken over.
            cursor = connection.execute(
                "INSERT INTO conversation_heads (key, owner, version, expires, head) "
                "VALUES (?, ?, 1, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, version = 1, "
                "expires = excluded.expires, head = excluded.head, part = '' "
                "WHERE conversation_heads.expires <= ?",
                (key, owner, now + ttl, head, now),
            )
            taken = cursor.rowcount == 1
            if taken:
                connection.execute("DELETE FROM conversation_parts WHERE key = ?", (key,))
        return taken

    def get(self, key: str) -> Record | None:
        """The conversation, or ``None``: one statement, so one consistent snapshot."""
        rows = (
            self._connection()
            .execute(
                "SELECT h.head, h.version, h.owner, p.data FROM conversation_heads AS h "
                "LEFT JOIN conversation_parts AS p ON p.key = h.key AND p.version <= h.version "
                "WHERE h.key = ? AND h.expires > ? ORDER BY p.version",
                (key, time.time()),
            )
            .fetchall()
        )
        if not rows:
            return None
        head, version, owner, _ = rows[0]
        return Record(head, tuple(row[3] for row in rows if row[3] is not None), version, owner)

    def append(
        self,
        key: str,
        version: int,
        head: str,
        part: str,
        ttl: float,
        *,
        expected: str | None = None,
    ) -> bool:
        """Compare-and-set on the version (and the head) and the new part: one statement."""
        now = time.time()
        try:
            if expected is None:
                cursor = self._connection().execute(
                    "UPDATE conversation_heads SET head = ?, part = ?, version = version + 1, "
                    "expires = ? WHERE key = ? AND version = ? AND expires > ?",
                    (head, part, now + ttl, key, version, now),
                )
            else:
                cursor = self._connection().execute(
                    "UPDATE conversation_heads SET head = ?, part = ?, version = version + 1, "
                    "expires = ? WHERE key = ? AND version = ? AND expires > ? AND head = ?",
                    (head, part, now + ttl, key, version, now, expected),
                )
        except sqlite3.IntegrityError:
            return False
        return cursor.rowcount == 1

    def delete(self, key: str) -> bool:
        """Remove the conversation."""
        connection = self._connection()
        with _transaction(connection):
            cursor = connection.execute(
                "DELETE FROM conversation_heads WHERE key = ? AND expires > ?", (key, time.time())
            )
            gone = cursor.rowcount == 1
            if gone:
                connection.execute("DELETE FROM conversation_parts WHERE key = ?", (key,))
        return gone

    def ping(self) -> bool:
        """Whether the file can be read."""
        try:
            self._connection().execute("SELECT 1 FROM conversation_heads LIMIT 1").fetchall()
        except sqlite3.Error:
            return False
        return True

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for connection in self._all:
                connection.close()
            self._all.clear()
        self._local = threading.local()


@contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` when anything fails."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


# --- Redis ----------------------------------------------------------------------------

# Each conversation is a hash {head, version, owner} and a list of its parts, both keys
# expiring after the TTL. Every call is a script, so each check and write happens as
# one step on the server; a read gets the hash and the list as one snapshot.
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'head', ARGV[1], 'version', 1, 'owner', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""
_GET = """
local found = redis.call('HMGET', KEYS[1], 'head', 'version', 'owner', 'data')
if not found[2] then return false end
return {found[1], found[2], found[3], found[4], redis.call('LRANGE', KEYS[2], 0, -1)}
"""
_APPEND = """
local found = redis.call('HMGET', KEYS[1], 'version', 'head')
if found[1] ~= ARGV[1] or not found[2] then return 0 end
if ARGV[5] == '1' and found[2] ~= ARGV[6] then return 0 end
if ARGV[4] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[4]) end
redis.call('HSET', KEYS[1], 'head', ARGV[2], 'version', tonumber(ARGV[1]) + 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
"""
# A conversation stored whole (by an earlier version of the service: a 'data' field,
# no head) becomes a head and one part, keeping its version and its time to live.
_CONVERT = """
local found = redis.call('HMGET', KEYS[1], 'version', 'data')
if found[1] ~= ARGV[1] or found[2] ~= ARGV[2] then return 0 end
local left = redis.call('PTTL', KEYS[1])
redis.call('DEL', KEYS[2])
if ARGV[4] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[4]) end
redis.call('HSET', KEYS[1], 'head', ARGV[3])
redis.call('HDEL', KEYS[1], 'data')
if left > 0 then redis.call('PEXPIRE', KEYS[2], left) end
return 1
"""


class RedisStore:
    """Redis through redis-py: one store for many workers on many machines.

    The scripts run on clients that each hold one connection of the pool, taken
    from a free list: a call from the pool itself would first check, with a system
    call of its own, that the connection it hands out has nothing left to read.
    """

    def __init__(self, url: str, *, prefix: str = "deescalate:conversation:") -> None:
        import redis

        self._redis: Any = redis.Redis.from_url(
            url, socket_timeout=5.0, socket_connect_timeout=5.0, health_check_interval=30
        )
        self._client = redis.Redis
        self._free: list[Any] = []
        self._made: list[Any] = []
        self._prefix = prefix
        self._create = self._redis.register_script(_CREATE)
        self._get = self._redis.register_script(_GET)
        self._append = self._redis.register_script(_APPEND)
        self._convert = self._redis.register_script(_CONVERT)

    def _run(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        """Run ``script`` on a client of its own (list.pop and append are atomic)."""
        try:
            client = self._free.pop()
        except IndexError:
            client = self._client(
                connection_pool=self._redis.connection_pool, single_connection_client=True
            )
            self._made.append(client)
        try:
            return script(keys=keys, args=args, client=client)
        finally:
            self._free.append(client)

    def _keys(self, key: str) -> list[str]:
        name = self._prefix + key
        return [name, name + ":parts"]

    def create(self, key: str, owner: str, head: str, ttl: float) -> bool:
        """Store a new conversation at version 1; ``False`` if the key is taken."""
        done = self._run(self._create, self._keys(key), [head, owner, _ms(ttl)])
        return bool(done)

    def get(self, key: str) -> Record | None:
        """The conversation, or ``None`` (Redis drops expired keys itself)."""
        keys = self._keys(key)
        for _ in range(8):
            found = self._run(self._get, keys, [])
            if found is None:
                return None
            head, version, owner, whole, parts = found
            if head is not None:
                return Record(
                    head.decode(), tuple(p.decode() for p in parts), int(version), owner.decode()
                )
            if whole is None:
                return None
            # Stored whole by an earlier version of the service: converted where it lies.
            new_head, part = split_whole(whole.decode())
            self._run(self._convert, keys, [version, whole, new_head, part])
        raise StoreFormatError(f"conversation {key!r} kept changing while it was converted")

    def append(
        self,
        key: str,
        version: int,
        head: str,
        part: str,
        ttl: float,
        *,
        expected: str | None = None,
    ) -> bool:
        """Compare-and-set on the version (and the head), then append."""
        check = ("0", "") if expected is None else ("1", expected)
        done = self._run(
            self._append, self._keys(key), [str(version), head, _ms(ttl), part, *check]
        )
        return bool(done)

    def delete(self, key: str) -> bool:
        """Remove the conversation."""
        name, parts = self._keys(key)
        deleted = bool(self._redis.delete(name))
        self._redis.delete(parts)
        return deleted

    def ping(self) -> bool:
        """Whether Redis answers."""
        try:
            return bool(self._redis.ping())
        except Exception:  # any connection failure means "not ready"
            return False

    def close(self) -> None:
        """Give back every client's connection and close the pool."""
        for client in self._made:
            client.close()
        self._made.clear()
        self._free.clear()
        self._redis.close()


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


# --- choosing one ---------------------------------------------------------------------


def open_store(url: str) -> Store:
    """The store a URL names: ``sqlite:///path``, ``redis://...``, ``rediss://...``, ``memory://``.

    ``sqlite:///relative.db`` is relative to the working directory and
    ``sqlite:////abs/path.db`` is absolute, as in SQLAlchemy's URLs.
    """
    scheme = urlsplit(url).scheme.lower()
    if scheme == "memory":
        return MemoryStore()
    if scheme == "sqlite":
        if not url.lower().startswith("sqlite:///") or len(url) <= len("sqlite:///"):
            raise StoreURLError(f"a SQLite store URL is sqlite:///PATH, got {url!r}")
        return SQLiteStore(url[len("sqlite:///") :])
    if scheme in ("redis", "rediss", "unix"):
        return RedisStore(url)
    raise StoreURLError(
        f"unknown store URL {url!r}: use sqlite:///PATH, redis://HOST:PORT/DB or memory://"
    )
