"""The conversation stores: one contract, checked on memory, SQLite and a real Redis."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import deescalate as de
from deescalate.server.conversations import Conversations
from deescalate.server.problems import ProblemError
from deescalate.server.stores import (
    MemoryStore,
    RedisStore,
    SQLiteStore,
    Store,
    StoreURLError,
    open_store,
)
from server_processes import redis_server


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway redis-server for this module."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each kind of store, empty."""
    made: Store
    if request.param == "memory":
        made = MemoryStore()
    elif request.param == "sqlite":
        made = SQLiteStore(tmp_path / "store.sqlite3")
    else:
        made = RedisStore(
            request.getfixturevalue("redis_url"), prefix=f"test:{time.monotonic_ns()}:"
        )
    yield made
    made.close()


def test_create_get_replace_delete(store: Store) -> None:
    """A record is created at version 1, replaced by compare-and-set, and deleted."""
    assert store.create("k", "owner", "one", 60)
    assert not store.create("k", "other", "two", 60)
    record = store.get("k")
    assert record is not None and (record.data, record.version, record.owner) == (
        "one",
        1,
        "owner",
    )
    assert store.replace("k", 1, "two", 60)
    assert not store.replace("k", 1, "three", 60)
    record = store.get("k")
    assert record is not None and (record.data, record.version) == ("two", 2)
    assert store.delete("k")
    assert store.get("k") is None
    assert not store.delete("k")
    assert not store.replace("k", 2, "x", 60)
    assert store.ping()


def test_records_expire(store: Store) -> None:
    """A record is gone after its idle time; a write renews the time."""
    store.create("short", "o", "x", 0.3)
    store.create("renewed", "o", "x", 0.3)
    time.sleep(0.2)
    assert store.replace("renewed", 1, "y", 0.6)
    time.sleep(0.25)
    assert store.get("short") is None
    assert store.get("renewed") is not None
    # An expired key can be created again.
    assert store.create("short", "o", "again", 60)


def test_replace_can_expect_the_data(store: Store) -> None:
    """A write that names the data it replaces happens only if the record holds exactly it."""
    store.create("k", "o", "one", 60)
    assert not store.replace("k", 1, "two", 60, expected="uno")
    assert store.replace("k", 1, "two", 60, expected="one")
    assert not store.replace("k", 2, "three", 60, expected="one")
    # Deleted and made again: the version is 1 again, the data is not what was written.
    store.delete("k")
    store.create("k", "o", "new one", 60)
    assert not store.replace("k", 1, "three", 60, expected="one")
    record = store.get("k")
    assert record is not None and (record.data, record.version) == ("new one", 1)


def test_compare_and_set_has_one_winner(store: Store) -> None:
    """Of many writers that read the same version, exactly one wins."""
    store.create("race", "o", "0", 60)

    def write(i: int) -> bool:
        return store.replace("race", 1, str(i), 60)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(write, range(32)))
    assert results.count(True) == 1
    record = store.get("race")
    assert record is not None and record.version == 2


def test_sqlite_uses_wal_and_survives_reopening(tmp_path: Path) -> None:
    """The SQLite file is in WAL mode with 16 KiB pages and keeps its records across opens."""
    path = tmp_path / "c.sqlite3"
    first = SQLiteStore(path)
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA page_size").fetchone() == (16384,)
    connection.close()
    first.create("k", "o", "kept", 60)
    first.close()
    second = SQLiteStore(path)
    record = second.get("k")
    assert record is not None and record.data == "kept"
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    second.close()


@pytest.mark.parametrize(
    ("url", "kind"),
    [("memory://", MemoryStore), ("sqlite:///x.sqlite3", SQLiteStore)],
)
def test_open_store_by_url(
    url: str, kind: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """open_store chooses the store by the URL's scheme."""
    monkeypatch.chdir(tmp_path)
    store = open_store(url)
    assert isinstance(store, kind)
    store.close()


@pytest.mark.parametrize("url", ["postgres://x", "sqlite://", "nonsense"])
def test_open_store_refuses_unknown_urls(url: str) -> None:
    """An unknown scheme or a SQLite URL without a path is a StoreURLError."""
    with pytest.raises(StoreURLError):
        open_store(url)


def test_redis_ping_is_false_when_redis_is_gone() -> None:
    """A Redis store whose server does not answer reports not ready, without raising."""
    from server_processes import free_port

    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0")
    assert store.ping() is False
    store.close()


# --- conversations over a shared store: workers that remember what they wrote --------------


def _turns(conversations: Conversations, key: str, count: int) -> list[str]:
    said = []
    for _ in range(count):
        phrase, _ = conversations.change(key, "-", lambda c, meta: c.say(c.next_stage() or "calm"))
        said.append(phrase.id)
    return said


def test_workers_sharing_a_store_lose_no_turn(store: Store) -> None:
    """Two workers take turns on one conversation: each turn sees the other's, none is lost."""
    book = de.Phrasebook.default()
    first, second = Conversations(book, store, ttl=60), Conversations(book, store, ttl=60)
    key = first.create("-", {"situation": "late-delivery", "seed": 4}).key
    for worker in (first, second, first, first, second, first):
        _turns(worker, key, 1)
    log = second.load(key, "-").conversation.log
    assert len(log) == 6
    assert second.load(key, "-").version == 7
    phrases = [(r.entry, r.variant) for r in log]
    assert len(set(phrases)) == len(phrases)


def test_a_worker_does_not_resume_a_record_replaced_under_the_same_version(store: Store) -> None:
    """Deleted and started again under the same id elsewhere, a conversation is the new one."""
    book = de.Phrasebook.default()
    first, second = Conversations(book, store, ttl=60), Conversations(book, store, ttl=60)
    first.create("-", {"situation": "late-delivery", "seed": 1}, key="chosen")
    _turns(first, "chosen", 2)
    second.delete("chosen", "-")
    second.create("-", {"situation": "billing-error", "seed": 2}, key="chosen")
    _turns(second, "chosen", 2)
    # Both at version 3 now; the first worker's own record is not the current one.
    _turns(first, "chosen", 1)
    loaded = second.load("chosen", "-")
    assert loaded.conversation.topic == "billing-error"
    assert len(loaded.conversation.log) == 3
    second.delete("chosen", "-")
    with pytest.raises(ProblemError) as refused:
        _turns(first, "chosen", 1)
    assert refused.value.status == 404
