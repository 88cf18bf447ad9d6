"""Where the service keeps conversations: one small interface, three stores.

A store holds opaque records (``data``, a JSON string the service writes) under
a key, each with a version number and the owner that created it. Every write
is a compare-and-set against the version that was read, so two workers that
change one conversation at the same moment cannot both win: the loser reads
again and retries (or, when its caller sent ``If-Match``, answers ``412``).
A write may also name the data it expects to replace, so that a worker that
kept the record it wrote last can write the next one without reading it first:
the store still decides, in one step, whether that record is the current one.
Records expire after ``ttl`` seconds without a write, in every store.

The conversation logic only ever sees :class:`Store`; ``open_store(url)``
chooses one: ``sqlite:///path`` (the default), ``redis://...`` or ``memory://``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
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
    "StoreURLError",
    "open_store",
]


class StoreURLError(ValueError):
    """A ``--store`` URL that names no store this service has."""


@dataclass(frozen=True, slots=True)
class Record:
    """One stored conversation: its data, its version and who created it."""

    data: str
    version: int
    owner: str


class Store(Protocol):
    """The interface every store implements; all methods are safe from any thread."""

    def create(self, key: str, owner: str, data: str, ttl: float) -> bool:
        """Store a new record at version 1; ``False`` if the key is taken."""

    def get(self, key: str) -> Record | None:
        """The record, or ``None`` when there is none (or it expired)."""

    def replace(
        self, key: str, version: int, data: str, ttl: float, *, expected: str | None = None
    ) -> bool:
        """Write ``data`` as version ``version + 1`` if the record is still at ``version``
        (and, when ``expected`` is given, still holds exactly that data)."""

    def delete(self, key: str) -> bool:
        """Remove the record; ``False`` if there was none."""

    def ping(self) -> bool:
        """Whether the store answers."""

    def close(self) -> None:
        """Release connections."""


# --- memory ---------------------------------------------------------------------------


class MemoryStore:
    """A dict in this process: for tests and single-process experiments."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[Record, float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> Record | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[1] <= now:
            del self._items[key]
            return None
        return item[0]

    def create(self, key: str, owner: str, data: str, ttl: float) -> bool:
        """Store a new record at version 1; ``False`` if the key is taken."""
        now = time.monotonic()
        with self._lock:
            if self._live(key, now) is not None:
                return False
            self._items[key] = (Record(data, 1, owner), now + ttl)
            return True

    def get(self, key: str) -> Record | None:
        """The record, or ``None``."""
        with self._lock:
            return self._live(key, time.monotonic())

    def replace(
        self, key: str, version: int, data: str, ttl: float, *, expected: str | None = None
    ) -> bool:
        """Compare-and-set on the version (and the data)."""
        now = time.monotonic()
        with self._lock:
            current = self._live(key, now)
            if current is None or current.version != version:
                return False
            if expected is not None and current.data != expected:
                return False
            self._items[key] = (Record(data, version + 1, current.owner), now + ttl)
            return True

    def delete(self, key: str) -> bool:
        """Remove the record."""
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

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    version INTEGER NOT NULL,
    expires REAL NOT NULL,
    data TEXT NOT NULL
)
"""
# Expired rows are swept now and then on create, not on every request.
_SWEEP_EVERY = 256
_PAGE_SIZE = 16384


class SQLiteStore:
    """An embedded SQLite file in WAL mode: survives restarts, shared by local workers.

    Each thread has its own connection; writers wait up to ``timeout`` seconds
    for the file lock, which WAL keeps short. Expiry uses wall-clock time, so a
    restart does not reset it.
    """

    def __init__(self, path: str | Path, *, timeout: float = 10.0) -> None:
        self._path = str(path)
        self._timeout = timeout
        self._local = threading.local()
        self._creates = 0
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        connection = self._connection()
        # A new file gets pages that hold a whole conversation of a few dozen turns:
        # a turn then writes one page to the log rather than a chain of four (an
        # existing file keeps its page size).
        connection.execute(f"PRAGMA page_size={_PAGE_SIZE}")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(_SCHEMA)

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

    def create(self, key: str, owner: str, data: str, ttl: float) -> bool:
        """Store a new record at version 1; ``False`` if the key is taken."""
        now = time.time()
        connection = self._connection()
        self._creates += 1
        if self._creates % _SWEEP_EVERY == 1:
            connection.execute("DELETE FROM conversations WHERE expires <= ?", (now,))
        # A row that has expired but was not swept yet may be taken over.
        cursor = connection.execute(
            "INSERT INTO conversations (key, owner, version, expires, data) "
            "VALUES (?, ?, 1, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, version = 1, "
            "expires = excluded.expires, data = excluded.data "
            "WHERE conversations.expires <= ?",
            (key, owner, now + ttl, data, now),
        )
        return cursor.rowcount == 1

    def get(self, key: str) -> Record | None:
        """The record, or ``None``."""
        row = (
            self._connection()
            .execute(
                "SELECT data, version, owner FROM conversations WHERE key = ? AND expires > ?",
                (key, time.time()),
            )
            .fetchone()
        )
        return None if row is None else Record(row[0], row[1], row[2])

    def replace(
        self, key: str, version: int, data: str, ttl: float, *, expected: str | None = None
    ) -> bool:
        """Compare-and-set on the version (and the data), in one statement."""
        now = time.time()
        if expected is None:
            cursor = self._connection().execute(
                "UPDATE conversations SET data = ?, version = version + 1, expires = ? "
                "WHERE key = ? AND version = ? AND expires > ?",
                (data, now + ttl, key, version, now),
            )
        else:
            cursor = self._connection().execute(
                "UPDATE conversations SET data = ?, version = version + 1, expires = ? "
                "WHERE key = ? AND version = ? AND expires > ? AND data = ?",
                (data, now + ttl, key, version, now, expected),
            )
        return cursor.rowcount == 1

    def delete(self, key: str) -> bool:
        """Remove the record."""
        cursor = self._connection().execute(
            "DELETE FROM conversations WHERE key = ? AND expires > ?", (key, time.time())
        )
        return cursor.rowcount == 1

    def ping(self) -> bool:
        """Whether the file can be read."""
        try:
            self._connection().execute("SELECT 1 FROM conversations LIMIT 1").fetchall()
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


# --- Redis ----------------------------------------------------------------------------

# Each record is a hash {data, version, owner} whose key expires after the TTL.
# Both writes are scripts, so the check and the write happen as one step on the server.
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'version', 1, 'owner', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""
_REPLACE = """
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
if ARGV[4] == '1' and redis.call('HGET', KEYS[1], 'data') ~= ARGV[5] then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'version', tonumber(ARGV[1]) + 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""


class RedisStore:
    """Redis through redis-py: one store for many workers on many machines."""

    def __init__(self, url: str, *, prefix: str = "deescalate:conversation:") -> None:
        import redis

        self._redis: Any = redis.Redis.from_url(
            url, socket_timeout=5.0, socket_connect_timeout=5.0, health_check_interval=30
        )
        self._prefix = prefix
        self._create = self._redis.register_script(_CREATE)
        self._replace = self._redis.register_script(_REPLACE)

    def create(self, key: str, owner: str, data: str, ttl: float) -> bool:
        """Store a new record at version 1; ``False`` if the key is taken."""
        done = self._create(keys=[self._prefix + key], args=[data, owner, _ms(ttl)])
        return bool(done)

    def get(self, key: str) -> Record | None:
        """The record, or ``None`` (Redis drops expired keys itself)."""
        data, version, owner = self._redis.hmget(self._prefix + key, "data", "version", "owner")
        if data is None or version is None or owner is None:
            return None
        return Record(data.decode(), int(version), owner.decode())

    def replace(
        self, key: str, version: int, data: str, ttl: float, *, expected: str | None = None
    ) -> bool:
        """Compare-and-set on the version (and the data)."""
        check = ("0", "") if expected is None else ("1", expected)
        done = self._replace(keys=[self._prefix + key], args=[str(version), data, _ms(ttl), *check])
        return bool(done)

    def delete(self, key: str) -> bool:
        """Remove the record."""
        return bool(self._redis.delete(self._prefix + key))

    def ping(self) -> bool:
        """Whether Redis answers."""
        try:
            return bool(self._redis.ping())
        except Exception:  # any connection failure means "not ready"
            return False

    def close(self) -> None:
        """Close the connection pool."""
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
