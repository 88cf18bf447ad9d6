"""`deescalate serve` as real processes: restarts, a shared Redis, keys, settings."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import deescalate as de
from server_processes import redis_server, serve

pytestmark = pytest.mark.slow

KEY = "process-test-key-0123456789"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway redis-server for this module."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def test_sqlite_conversation_survives_a_restart(tmp_path: Path) -> None:
    """With the default store, a conversation goes on after the server is stopped and started."""
    with serve(tmp_path) as server, server.client() as http:
        created = http.post("/v1/conversations", json={"situation": "long-wait", "seed": 2})
        url = created.headers["location"]
        first = http.post(f"{url}/say", json={}).json()
        assert first["conversation"]["version"] == 2
    # SIGTERM is a graceful stop: the app's shutdown ran (uvicorn then re-raises the signal).
    assert server.process.returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.log.read_text()
    assert (tmp_path / "deescalate.sqlite3").is_file()
    with serve(tmp_path) as again, again.client() as http:
        state = http.get(url).json()
        assert state["version"] == 2 and state["turns"] == 1
        second = http.post(f"{url}/say", json={}).json()
        assert second["conversation"]["version"] == 3
        assert second["phrase"]["stage"] == "listen"


def test_two_servers_share_one_redis(tmp_path: Path, redis_url: str) -> None:
    """A conversation started on one server continues on another that shares the Redis."""
    with (
        serve(tmp_path, "--store", redis_url, "--workers", "2") as one,
        serve(tmp_path, env={"DEESCALATE_STORE": redis_url}) as two,
        one.client() as a,
        two.client() as b,
    ):
        url = a.post("/v1/conversations", json={"channel": "chat", "seed": 9}).headers["location"]
        said_a = a.post(f"{url}/say", json={"stage": "calm"}).json()["phrase"]
        said_b = b.post(f"{url}/say", json={"stage": "calm"}).json()["phrase"]
        b.post(f"{url}/events", json={"event": "self-harm", "words": "words"})
        after = a.get(url).json()
        assert after["safety"] is True and after["turns"] == 3
        assert (said_a["id"], said_a["variant"]) != (said_b["id"], said_b["variant"])
        # Either server answers for the metrics of all of its workers.
        assert "deescalate_http_requests_total" in a.get("/metrics").text


def test_keys_on_a_real_server(tmp_path: Path) -> None:
    """--api-key-file turns keys on: no key is 401, the key works."""
    keys = tmp_path / "keys.txt"
    keys.write_text(KEY + "\n", encoding="utf-8")
    with (
        serve(tmp_path, "--store", "memory://", "--api-key-file", str(keys)) as server,
        server.client() as http,
    ):
        assert http.get("/v1/stages").status_code == 401
        ok = http.get("/v1/stages", headers={"Authorization": f"Bearer {KEY}"})
        assert ok.status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--store", "bogus://x"], "unknown store URL"),
        (["--api-key-file", "/nonexistent/keys.txt"], "No such file"),
        (["--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_serve_refuses_bad_settings(tmp_path: Path, args: list[str], message: str) -> None:
    """Bad settings end `deescalate serve` with one error line and exit code 2."""
    result = subprocess.run(
        [sys.executable, "-m", "deescalate", "serve", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_format_1_file_is_served_after_its_conversion(tmp_path: Path) -> None:
    """`deescalate serve` opens a file the earlier service wrote (each conversation whole):
    the conversation reads back as it was, with its version, and goes on."""
    conversation = de.Phrasebook.default().conversation(situation="late-delivery", seed=5)
    for stage in ("calm", "listen", "restate"):
        conversation.say(stage)
    data = json.dumps({"created": time.time()}) + "\n" + conversation.state_json()
    with sqlite3.connect(tmp_path / "deescalate.sqlite3") as raw:
        raw.execute(
            "CREATE TABLE conversations (key TEXT PRIMARY KEY, owner TEXT NOT NULL, "
            "version INTEGER NOT NULL, expires REAL NOT NULL, data TEXT NOT NULL)"
        )
        raw.execute(
            "INSERT INTO conversations VALUES (?, ?, ?, ?, ?)",
            ("kept-from-before", "-", 4, time.time() + 3600, data),
        )
    raw.close()
    with serve(tmp_path) as server, server.client() as http:
        url = "/v1/conversations/kept-from-before"
        shown = http.get(url)
        assert shown.status_code == 200 and shown.headers["etag"] == '"4"'
        assert shown.json()["state"] == json.loads(conversation.state_json())
        said = http.post(f"{url}/say", json={"stage": "apologise"}, headers={"If-Match": '"4"'})
        assert said.status_code == 200 and said.json()["conversation"]["turns"] == 4


def test_serve_refuses_a_store_file_of_a_newer_format(tmp_path: Path) -> None:
    """A SQLite file of a format this version does not know ends `deescalate serve` with one
    error line saying so, and the file is not changed."""
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 7")
    raw.close()
    result = subprocess.run(
        [sys.executable, "-m", "deescalate", "serve", "--store", f"sqlite:///{path}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert "format 7" in result.stderr and "Traceback" not in result.stderr
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (7,)
    raw.close()
