"""How fast is the HTTP service, next to a bare FastAPI "hello" served the same way?

Run with ``python benchmarks/bench_server.py`` from a venv with the ``server``
extra, with Debian's ``wrk`` and ``redis-server`` installed (``apt-get install
wrk redis-server``). Everything runs on the loopback and stops by itself; each
load run lasts ``--seconds`` (default 4). Nothing here is a test: it prints
figures next to the baseline measured in the same run, and the targets.

For 1 and 2 uvicorn workers it measures, in turn, a bare FastAPI app whose one
route returns ``{"hello": "world"}``, ``GET /v1/pick`` with an Accept-Language
header, and a conversation turn (``POST /v1/conversations/{id}/say`` over 200
conversations, so turns of different contacts interleave as they do in a
contact centre) with the SQLite and the Redis store. Then one worker answers
100,000 picks, each with a different Accept-Language header, and its resident
memory is compared before and after. The access log is off in every run, as
the hello app has none.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
# The test suite's helpers start the same throwaway redis-server the tests use.
sys.path.insert(0, str(HERE.parent / "tests"))
from server_processes import free_port, redis_server  # noqa: E402

CONNECTIONS = 16
CONVERSATIONS = 200
MEMORY_REQUESTS = 100_000


def hello_app() -> object:
    """The baseline: a bare FastAPI app with one JSON route."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app


@contextmanager
def _uvicorn(target: str, workers: int, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """``uvicorn --factory TARGET`` on a free port; yields (base URL, server pid)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
        "--app-dir",
        str(HERE),
    ]
    process = subprocess.Popen(command, env={**os.environ, **env})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/openapi.json", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError(f"{target} did not start")
        time.sleep(0.1)
    try:
        yield url, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_P99 = re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _wrk(url: str, seconds: float, script: str | None = None) -> tuple[float, float]:
    """(requests/s, p99 latency in ms) from a wrk run."""
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency", url]
    if script is not None:
        command[1:1] = ["-s", script]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    rps = _RPS.search(out)
    p99 = _P99.search(out)
    if rps is None or p99 is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    return float(rps.group(1)), float(p99.group(1)) * _UNIT[p99.group(2)]


def _say_script(url: str, directory: Path) -> str:
    """A wrk script that says the next line in one of CONVERSATIONS conversations in turn."""
    ids = []
    with httpx.Client(base_url=url) as client:
        for n in range(CONVERSATIONS):
            body = {"situation": "late-delivery", "channel": "chat", "seed": n}
            ids.append(client.post("/v1/conversations", json=body).json()["id"])
    script = directory / "say.lua"
    script.write_text(
        "local ids = {" + ",".join(json.dumps(i) for i in ids) + "}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  local id = ids[(n % #ids) + 1]\n"
        "  local stages = {'calm', 'listen', 'restate', 'apologise', 'resolve'}\n"
        "  local body = '{\"stage\": \"' .. stages[(math.floor(n / #ids) % 5) + 1] .. '\"}'\n"
        "  return wrk.format('POST', '/v1/conversations/' .. id .. '/say',\n"
        "    {['Content-Type'] = 'application/json'}, body)\n"
        "end\n",
        encoding="utf-8",
    )
    return str(script)


def _headers_script(directory: Path, count: int) -> str:
    """A wrk script: ``count`` picks, each with an Accept-Language header of its own."""
    script = directory / "languages.lua"
    script.write_text(
        "local n = 0\n"
        f"local limit = {count}\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  local header = string.format('da-DK;q=0.9, en-GB;q=0.%03d, ko;q=0.%03d',\n"
        "    (n % 999) + 1, (math.floor(n / 999) % 999) + 1)\n"
        "  return wrk.format('GET', '/v1/pick?stage=calm', {['Accept-Language'] = header})\n"
        "end\n"
        "local done = 0\n"
        "response = function()\n"
        "  done = done + 1\n"
        "  if done >= limit then wrk.thread:stop() end\n"
        "end\n",
        encoding="utf-8",
    )
    return str(script)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}×"


def main() -> int:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each load run")
    parser.add_argument("--memory-requests", type=int, default=MEMORY_REQUESTS)
    args = parser.parse_args()
    for tool in ("wrk", "redis-server"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed: apt-get install wrk redis-server")
    work = Path(tempfile.mkdtemp(prefix="bench-server-"))
    base_env = {"DEESCALATE_ACCESS_LOG": "0"}
    app = "deescalate.server.app:create_app_from_env"
    pick_url = "/v1/pick?stage=apologise&situation=late-delivery"
    rows: list[str] = []
    with redis_server(work) as redis_url:
        for workers in (1, 2):
            with _uvicorn("bench_server:hello_app", workers, {}) as (url, _):
                _wrk(url + "/hello", 1)
                hello_rps, hello_p99 = _wrk(url + "/hello", args.seconds)
            rows.append(
                f"{workers} worker(s): hello {hello_rps:,.0f} req/s, p99 {hello_p99:.2f} ms"
            )
            stores = {
                "SQLite": f"sqlite:///{work}/bench-{workers}.sqlite3",
                "Redis": redis_url,
            }
            for name, store in stores.items():
                env = {**base_env, "DEESCALATE_STORE": store}
                with _uvicorn(app, workers, env) as (url, _):
                    if name == "SQLite":
                        lang = work / "lang.lua"
                        lang.write_text(
                            "wrk.headers['Accept-Language'] = 'da-DK,da;q=0.9'\n", encoding="utf-8"
                        )
                        _wrk(url + pick_url, 1, str(lang))
                        rps, p99 = _wrk(url + pick_url, args.seconds, str(lang))
                        rows.append(
                            f"  GET /v1/pick: {rps:,.0f} req/s = {_ratio(rps, hello_rps)} hello "
                            f"(target ≥ 0.70×), p99 {p99:.2f} ms = {_ratio(p99, hello_p99)} "
                            "hello's (target ≤ 2×)"
                        )
                    script = _say_script(url, work)
                    rps, p99 = _wrk(url, args.seconds, script)
                    rows.append(
                        f"  POST say ({name}): {rps:,.0f} req/s = {_ratio(rps, hello_rps)} hello "
                        f"(target ≥ 0.40×), p99 {p99:.2f} ms"
                    )
            print("\n".join(rows[-4:]), flush=True)
    env = {**base_env, "DEESCALATE_STORE": "memory://"}
    with _uvicorn(app, 1, env) as (url, pid):
        script = _headers_script(work, 5000)
        _wrk(url, 60, script)
        before = _rss_kib(pid)
        script = _headers_script(work, args.memory_requests)
        _wrk(url, 600, script)
        after = _rss_kib(pid)
    change = (after - before) / before
    line = (
        f"memory of one worker: {before / 1024:.1f} MiB after 5,000 picks, {after / 1024:.1f} MiB "
        f"after {args.memory_requests:,} more with distinct Accept-Language headers "
        f"({change:+.1%}; target within ±10 %)"
    )
    print(line)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
