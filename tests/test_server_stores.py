"""The conversation stores: one contract, checked on memory, SQLite and a real Redis."""

from __future__ import annotations

import json
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
    StoreFormatError,
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


def test_create_get_append_delete(store: Store) -> None:
    """A conversation is created at version 1, appended to by compare-and-set, and deleted."""
    assert store.create("k", "owner", "one", 60)
    assert not store.create("k", "other", "two", 60)
    record = store.get("k")
    assert record is not None and (record.head, record.parts, record.version, record.owner) == (
        "one",
        (),
        1,
        "owner",
    )
    assert store.append("k", 1, "two", "a", 60)
    assert not store.append("k", 1, "three", "b", 60)
    assert store.append("k", 2, "three", "", 60)
    assert store.append("k", 3, "four", "c", 60)
    record = store.get("k")
    assert record is not None and (record.head, record.parts, record.version) == (
        "four",
        ("a", "c"),
        4,
    )
    assert store.delete("k")
    assert store.get("k") is None
    assert not store.delete("k")
    assert not store.append("k", 4, "x", "d", 60)
    assert store.ping()


def test_records_expire(store: Store) -> None:
    """A conversation is gone after its idle time; a write renews the time."""
    store.create("short", "o", "x", 0.3)
    store.create("renewed", "o", "x", 0.3)
    store.append("short", 1, "y", "old part", 0.3)
    time.sleep(0.2)
    assert store.append("renewed", 1, "y", "part", 0.6)
    time.sleep(0.25)
    assert store.get("short") is None
    renewed = store.get("renewed")
    assert renewed is not None and renewed.parts == ("part",)
    # An expired key can be created again, and starts without the old parts.
    assert store.create("short", "o", "again", 60)
    again = store.get("short")
    assert again is not None and (again.head, again.parts, again.version) == ("again", (), 1)


def test_append_can_expect_the_head(store: Store) -> None:
    """A write that names the head it replaces happens only if the head is exactly it."""
    store.create("k", "o", "one", 60)
    assert not store.append("k", 1, "two", "a", 60, expected="uno")
    assert store.append("k", 1, "two", "a", 60, expected="one")
    assert not store.append("k", 2, "three", "b", 60, expected="one")
    # Deleted and made again: the version is 1 again, the head is not what was written.
    store.delete("k")
    store.create("k", "o", "new one", 60)
    assert not store.append("k", 1, "three", "b", 60, expected="one")
    record = store.get("k")
    assert record is not None and (record.head, record.parts, record.version) == (
        "new one",
        (),
        1,
    )


def test_compare_and_set_has_one_winner(store: Store) -> None:
    """Of many writers that read the same version, exactly one appends."""
    store.create("race", "o", "0", 60)

    def write(i: int) -> bool:
        return store.append("race", 1, str(i), f"part {i}", 60)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(write, range(32)))
    assert results.count(True) == 1
    record = store.get("race")
    assert record is not None and record.version == 2
    assert record.parts == (f"part {results.index(True)}",)


def test_sqlite_uses_wal_and_survives_reopening(tmp_path: Path) -> None:
    """The SQLite file is in WAL mode, of format 2, and keeps its records across opens."""
    path = tmp_path / "c.sqlite3"
    first = SQLiteStore(path)
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA page_size").fetchone() == (4096,)
    assert connection.execute("PRAGMA user_version").fetchone() == (2,)
    connection.close()
    first.create("k", "o", "kept", 60)
    first.append("k", 1, "kept too", "a part", 60)
    first.close()
    second = SQLiteStore(path)
    record = second.get("k")
    assert record is not None and (record.head, record.parts) == ("kept too", ("a part",))
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


# --- append-only: a turn writes what it adds -------------------------------------------------


_STAGES = ("calm", "listen", "restate", "apologise", "resolve")


def _say(conversations: Conversations, key: str) -> de.Phrase:
    """One turn, at the stages before the close in rotation (a contact that never ends)."""
    phrase, _ = conversations.change(
        key, "-", lambda c, meta: c.say(_STAGES[len(c.log) % len(_STAGES)])
    )
    return phrase


def test_a_turn_appends_one_record_and_rewrites_only_the_head(store: Store) -> None:
    """Each turn adds one part holding its one log record; earlier parts never change and
    the head does not grow with the conversation."""
    book = de.Phrasebook.default()
    conversations = Conversations(book, store, ttl=60)
    key = conversations.create("-", {"situation": "late-delivery", "seed": 3}).key
    before = store.get(key)
    assert before is not None and before.parts == ()
    heads = []
    for turn in range(1, 41):
        _say(conversations, key)
        record = store.get(key)
        assert record is not None
        assert record.version == turn + 1
        assert record.parts[:-1] == before.parts
        assert len(json.loads("[" + record.parts[-1] + "]")) == 1
        heads.append(len(record.head))
        before = record
    assert max(heads) < 1024
    assert max(heads) - min(heads) < 64


def test_reading_rebuilds_the_state_from_head_and_parts(store: Store) -> None:
    """Another worker reads head and parts back into exactly the state the writer has."""
    book = de.Phrasebook.default()
    writer = Conversations(book, store, ttl=60)
    key = writer.create("-", {"situation": "billing-error", "seed": 8}).key
    for _ in range(6):
        _say(writer, key)
    _, written = writer.change(key, "-", lambda c, meta: c.note("insult", words="you clown"))
    read = Conversations(book, store, ttl=60).load(key, "-")
    assert read.version == written.version == 8
    assert read.conversation.state == written.conversation.state
    assert read.conversation.state_json() == written.conversation.state_json()


def test_a_head_edited_in_the_store_is_checked_against_the_log(store: Store) -> None:
    """Safety mode switched off in a stored head is refused on read: the log decides."""
    book = de.Phrasebook.default()
    writer = Conversations(book, store, ttl=60)
    key = writer.create("-", {"situation": "late-delivery", "seed": 2}).key
    writer.change(key, "-", lambda c, meta: c.note("violence", words="I know where you live"))
    record = store.get(key)
    assert record is not None and '"safety":true' in record.head
    edited = record.head.replace('"safety":true', '"safety":false')
    store.append(key, record.version, edited, "", 60)
    with pytest.raises(de.StateError, match="contradicts its own log"):
        Conversations(book, store, ttl=60).load(key, "-")


def test_simultaneous_turns_of_two_workers_are_all_kept(store: Store) -> None:
    """Two workers, eight threads, 40 turns on one conversation: 40 records, no line twice
    before every fitting line was said."""
    book = de.Phrasebook.default()
    workers = [Conversations(book, store, ttl=60), Conversations(book, store, ttl=60)]
    key = workers[0].create("-", {"situation": "late-delivery", "channel": "chat", "seed": 5}).key

    def turn(n: int) -> tuple[str, int]:
        phrase, _ = workers[n % 2].change(key, "-", lambda c, meta: c.say("listen"))
        return phrase.id, phrase.variant

    with ThreadPoolExecutor(max_workers=8) as pool:
        said = list(pool.map(turn, range(40)))
    loaded = workers[1].load(key, "-")
    assert loaded.version == 41
    log = [(r.entry, r.variant) for r in loaded.conversation.log]
    assert sorted(log) == sorted(said)
    distinct = len(set(log))
    for first in range(len(log) - distinct + 1):
        assert len(set(log[first : first + distinct])) == distinct


def test_a_stale_if_match_is_refused_and_stores_nothing(store: Store) -> None:
    """A turn sent with an older version gets 412, and the store keeps what it had."""
    book = de.Phrasebook.default()
    first, second = Conversations(book, store, ttl=60), Conversations(book, store, ttl=60)
    key = first.create("-", {"seed": 6}).key
    _say(first, key)
    _say(second, key)
    with pytest.raises(ProblemError) as refused:
        first.change(key, "-", lambda c, meta: c.say("calm"), if_match=2)
    assert refused.value.status == 412
    record = store.get(key)
    assert record is not None and record.version == 3 and len(record.parts) == 2


def test_a_sqlite_conversation_survives_reopening_the_file(tmp_path: Path) -> None:
    """Closed and opened again, the SQLite store gives back the conversation, which goes on."""
    book = de.Phrasebook.default()
    path = tmp_path / "c.sqlite3"
    store = SQLiteStore(path)
    conversations = Conversations(book, store, ttl=60)
    key = conversations.create("-", {"situation": "long-wait", "seed": 9}).key
    said = [_say(conversations, key).id for _ in range(5)]
    state = conversations.load(key, "-").conversation.state
    store.close()
    again = SQLiteStore(path)
    reopened = Conversations(book, again, ttl=60)
    assert reopened.load(key, "-").conversation.state == state
    assert _say(reopened, key).id not in said
    assert len(reopened.load(key, "-").conversation.log) == 6
    again.close()


def test_sqlite_sweeps_the_parts_of_expired_conversations(tmp_path: Path) -> None:
    """An expired conversation's parts go with it when the store sweeps."""
    store = SQLiteStore(tmp_path / "c.sqlite3")
    store.create("gone", "o", "h", 0.05)
    store.append("gone", 1, "h", "a part", 0.05)
    time.sleep(0.1)
    store._creates = 0  # the next create sweeps
    store.create("kept", "o", "h", 60)
    with sqlite3.connect(tmp_path / "c.sqlite3") as raw:
        rows = raw.execute("SELECT key FROM conversation_parts").fetchall()
        heads = raw.execute("SELECT key FROM conversation_heads").fetchall()
    assert rows == [] and heads == [("kept",)]
    store.close()


def test_redis_parts_expire_with_their_conversation(redis_url: str) -> None:
    """In Redis the parts list has the conversation's time to live, renewed by each write."""
    import redis

    prefix = f"ttl:{time.monotonic_ns()}:"
    store = RedisStore(redis_url, prefix=prefix)
    raw = redis.Redis.from_url(redis_url)
    store.create("k", "o", "h", 0.4)
    store.append("k", 1, "h", "a part", 0.4)
    assert 0 < raw.pttl(prefix + "k:parts") <= 400
    time.sleep(0.25)
    store.append("k", 2, "h", "another", 0.4)
    assert raw.pttl(prefix + "k:parts") > 250
    time.sleep(0.5)
    assert store.get("k") is None
    assert not raw.exists(prefix + "k", prefix + "k:parts")
    store.close()
    raw.close()


# --- conversations stored whole, by the service before parts -----------------------------


def _whole(situation: str, turns: int) -> tuple[str, de.Conversation]:
    """A conversation as the service stored it before parts: notes, newline, state."""
    conversation = de.Phrasebook.default().conversation(situation=situation, seed=4)
    for turn in range(turns):
        conversation.say(_STAGES[turn % len(_STAGES)])
    conversation.note("cried", words="I just want it sorted")
    return json.dumps({"created": 1.5}) + "\n" + conversation.state_json(), conversation


def _format_1_file(path: Path, rows: list[tuple[str, str, int, float, str]]) -> None:
    with sqlite3.connect(path) as raw:
        raw.execute(
            "CREATE TABLE conversations (key TEXT PRIMARY KEY, owner TEXT NOT NULL, "
            "version INTEGER NOT NULL, expires REAL NOT NULL, data TEXT NOT NULL)"
        )
        raw.executemany("INSERT INTO conversations VALUES (?, ?, ?, ?, ?)", rows)
    raw.close()


def test_a_format_1_sqlite_file_is_converted_when_opened(tmp_path: Path) -> None:
    """A file that kept each conversation whole is converted: every conversation, with its
    version, owner and expiry, reads back as it was and goes on by appending."""
    path = tmp_path / "old.sqlite3"
    data, conversation = _whole("late-delivery", 7)
    empty, fresh = _whole("general", 0)
    later = time.time() + 3600
    _format_1_file(path, [("old", "-", 9, later, data), ("new", "-", 1, later, empty)])
    store = SQLiteStore(path)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (2,)
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
    raw.close()
    assert "conversations" not in tables
    conversations = Conversations(de.Phrasebook.default(), store, ttl=60)
    loaded = conversations.load("old", "-")
    assert (loaded.version, loaded.meta) == (9, {"created": 1.5})
    assert loaded.conversation.state == conversation.state
    assert conversations.load("new", "-").conversation.state == fresh.state
    _say(conversations, "old")
    record = store.get("old")
    assert record is not None and record.version == 10 and len(record.parts) == 2
    store.close()


def test_a_format_1_file_that_cannot_be_converted_is_left_as_it_was(tmp_path: Path) -> None:
    """One unreadable conversation stops the conversion with an error naming it; the
    file is not changed."""
    path = tmp_path / "old.sqlite3"
    data, _ = _whole("late-delivery", 2)
    later = time.time() + 3600
    _format_1_file(path, [("good", "-", 3, later, data), ("bad", "-", 2, later, "no state")])
    with pytest.raises(StoreFormatError, match="'bad'"):
        SQLiteStore(path)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (0,)
        assert raw.execute("SELECT count(*) FROM conversations").fetchone() == (2,)
    raw.close()


def test_a_newer_sqlite_format_is_refused(tmp_path: Path) -> None:
    """A file of a format this service does not know is refused, not changed."""
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 3")
    raw.close()
    with pytest.raises(StoreFormatError, match="format 3"):
        SQLiteStore(path)
    with pytest.raises(StoreFormatError):
        open_store(f"sqlite:///{path}")


def test_redis_converts_a_conversation_stored_whole(redis_url: str) -> None:
    """A Redis hash written whole by the earlier service is converted where it lies, with
    its version, owner and time to live, and reads back as it was."""
    import redis

    prefix = f"whole:{time.monotonic_ns()}:"
    raw = redis.Redis.from_url(redis_url)
    data, conversation = _whole("billing-error", 5)
    raw.hset(prefix + "k", mapping={"data": data, "version": 6, "owner": "-"})
    raw.pexpire(prefix + "k", 60_000)
    store = RedisStore(redis_url, prefix=prefix)
    conversations = Conversations(de.Phrasebook.default(), store, ttl=60)
    loaded = conversations.load("k", "-")
    assert loaded.version == 6 and loaded.conversation.state == conversation.state
    assert not raw.hexists(prefix + "k", "data")
    assert 0 < raw.pttl(prefix + "k:parts") <= 60_000
    _say(conversations, "k")
    record = store.get("k")
    assert record is not None and record.version == 7 and len(record.parts) == 2
    store.close()
    raw.close()


# --- a worker that kept an older version catches up with the parts appended since -------------


def test_a_worker_catches_up_with_the_turns_another_stored(store: Store) -> None:
    """A worker that kept an earlier version goes on from it with what another worker
    appended since: the same conversation a full read gives, and no line twice."""
    book = de.Phrasebook.default()
    first, second = Conversations(book, store, ttl=60), Conversations(book, store, ttl=60)
    key = first.create("-", {"situation": "late-delivery", "channel": "chat", "seed": 7}).key
    said = [_say(first, key).id]
    second.load(key, "-")
    said += [_say(second, key).id for _ in range(3)]
    second.change(key, "-", lambda c, meta: c.note("asked-for-manager"))
    second.change(key, "-", lambda c, meta: meta.update(seen="x"))  # a write with no part
    said.append(_say(first, key).id)
    assert first.load(key, "-").meta == {"created": pytest.approx(time.time(), abs=60), "seen": "x"}
    fresh = Conversations(book, store, ttl=60).load(key, "-")
    assert first.load(key, "-").conversation.state == fresh.conversation.state
    assert [r.entry for r in fresh.conversation.log if r.entry] == said
    assert fresh.version == 8


def test_catching_up_refuses_a_head_edited_in_the_store(store: Store) -> None:
    """Safety switched off in the stored head after another worker's turn is refused by the
    worker that catches up, as a full read refuses it."""
    book = de.Phrasebook.default()
    first, second = Conversations(book, store, ttl=60), Conversations(book, store, ttl=60)
    key = first.create("-", {"situation": "late-delivery", "seed": 2}).key
    _say(first, key)
    second.change(key, "-", lambda c, meta: c.note("self-harm", words="I want it to stop"))
    record = store.get(key)
    assert record is not None
    edited = record.head.replace('"safety":true', '"safety":false')
    assert store.append(key, record.version, edited, "", 60)
    with pytest.raises(de.StateError, match="contradicts its own log"):
        _say(first, key)


def test_a_conversation_started_again_under_its_id_is_not_caught_up_with(store: Store) -> None:
    """Deleted and started again elsewhere, with as many turns and more, a conversation is
    read in full as the new one, not taken for what the worker kept."""
    book = de.Phrasebook.default()
    first, second = Conversations(book, store, ttl=60), Conversations(book, store, ttl=60)
    first.create("-", {"situation": "late-delivery", "seed": 1}, key="again")
    _say(first, "again")
    second.delete("again", "-")
    second.create("-", {"situation": "late-delivery", "seed": 1}, key="again")
    for _ in range(3):
        _say(second, "again")
    loaded = first.load("again", "-")
    assert len(loaded.conversation.log) == 3
    assert loaded.conversation.state == second.load("again", "-").conversation.state


def test_the_conversations_a_worker_keeps_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker keeps at most RECENT_RECORDS conversations and RECENT_CHARS characters of
    them, forgetting the least recently used first; a forgotten one is read from the store."""
    from deescalate.server import conversations as module

    book = de.Phrasebook.default()
    monkeypatch.setattr(module, "RECENT_RECORDS", 3)
    worker = Conversations(book, MemoryStore(), ttl=60)
    keys = [worker.create("-", {"seed": n}).key for n in range(4)]
    assert [worker._recent.get(k) is not None for k in keys] == [False, True, True, True]
    assert len(worker.load(keys[0], "-").conversation.log) == 0

    monkeypatch.setattr(module, "RECENT_RECORDS", 100)
    monkeypatch.setattr(module, "RECENT_CHARS", 3000)
    worker = Conversations(book, MemoryStore(), ttl=60)
    oldest, other, growing = (worker.create("-", {"seed": n}).key for n in range(3))

    def kept(key: str) -> int:
        found = worker._recent.get(key)
        return 0 if found is None else found.size

    for _ in range(20):  # a few hundred characters a turn: past the bound well before
        if not kept(oldest):
            break
        _say(worker, growing)
        assert kept(oldest) + kept(other) + kept(growing) <= 3000
    assert kept(oldest) == 0 and kept(growing) > 0
    assert len(worker.load(oldest, "-").conversation.log) == 0


def test_an_app_on_redis_answers_turns_after_it_was_started_again(redis_url: str) -> None:
    """The service's turn pool outlives one start and stop of the app: served again, the
    same app still answers turns on Redis."""
    from fastapi.testclient import TestClient

    from deescalate.server import Settings, create_app

    store = RedisStore(redis_url, prefix=f"again:{time.monotonic_ns()}:")
    app = create_app(Settings(access_log=False), store=store)
    for expected in (2, 3):
        with TestClient(app) as client:
            if expected == 2:
                url = client.post("/v1/conversations", json={"seed": 1}).headers["location"]
            said = client.post(f"{url}/say", json={"stage": "calm"})
            assert said.status_code == 200
            assert said.json()["conversation"]["version"] == expected
