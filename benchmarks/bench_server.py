"""How fast is the HTTP service, next to a bare FastAPI "hello" served the same way?

Run with ``python benchmarks/bench_server.py`` from a venv with the ``server``
extra, with Debian's ``wrk`` and ``redis-server`` installed (``apt-get install
wrk redis-server``). Everything runs on the loopback and stops by itself; each
load run lasts ``--seconds`` (default 3) and each subject runs ``--rounds``
times (default 3), alternating with the baseline. Nothing here is a test: it
prints figures next to the baseline measured in the same run, and the targets.

For 1 and 2 uvicorn workers it measures, in turn, a bare FastAPI app whose one
route returns ``{"hello": "world"}``, ``GET /v1/pick`` with an Accept-Language
header, and a conversation turn (``POST /v1/conversations/{id}/say`` over 200
conversations, so turns of different contacts interleave as they do in a
contact centre) with the SQLite and the Redis store. Next to each turn it
measures a second baseline, the write floor: a bare FastAPI route that makes one
store write of a turn's size and answers a body of a turn's size, with no
conversation at all, which no stored turn can beat. Then one worker answers
100,000 picks, each with a different Accept-Language header, and its resident
memory is compared before and after. The access log is off in every run, as
the hello app has none. Each ratio is the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi import Request, Response  # at the top: the floor's route annotations name them

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


# What a turn stores and answers, on average, in the conversations these runs make.
FLOOR_HEAD = 300
FLOOR_PART = 280
FLOOR_ANSWER = 700


def write_floor_app() -> object:
    """A second baseline: the least any stored turn costs, without the conversation.

    One FastAPI route that reads the JSON body, makes one compare-and-set write of
    a turn's size (a head and a part) through the store ``DEESCALATE_STORE`` names,
    exactly as a turn's write, and answers a JSON body of a turn's size. No line is
    chosen and nothing is read from the store: a turn cannot cost less than this.
    """
    import secrets

    from fastapi import FastAPI

    from deescalate.server.stores import open_store

    store = open_store(os.environ["DEESCALATE_STORE"])
    prefix = secrets.token_hex(8)  # each worker writes conversations of its own
    head = json.dumps({"created": 0.0}) + "\n" + "h" * FLOOR_HEAD
    part = "p" * FLOOR_PART
    answer = b'{"answer":"' + b"a" * (FLOOR_ANSWER - 13) + b'"}'
    versions: dict[str, int] = {}
    app = FastAPI()

    @app.post("/write/{key}")
    async def write(key: str, request: Request) -> Response:
        json.loads(await request.body())
        mine = f"{prefix}-{key}"
        version = versions.get(mine)
        if version is None:
            store.create(mine, "owner", head, 3600)
            version = 1
        if not store.append(mine, version, head, part, 3600, expected=head):
            raise RuntimeError("the floor's write was refused")
        versions[mine] = version + 1
        return Response(answer, media_type="application/json")

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
_DONE = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)
_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _wrk(url: str, seconds: float, script: str | None = None) -> tuple[float, float]:
    """(requests/s, p99 latency in ms) from a wrk run."""
    rps, p99, _ = _wrk_run(url, seconds, script)
    return rps, p99


def _wrk_run(url: str, seconds: float, script: str | None) -> tuple[float, float, int]:
    """(requests/s, p99 latency in ms, requests answered) from a wrk run."""
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
    done = _DONE.search(out)
    count = int(done.group(1)) if done else 0
    return float(rps.group(1)), float(p99.group(1)) * _UNIT[p99.group(2)], count


def _cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process and all its descendants (uvicorn's workers)."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rpartition(")")[2].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICKS
        pending.extend(int(child) for child in children)
    return total


_TICKS = os.sysconf("SC_CLK_TCK")


def _measured(url: str, pid: int, seconds: float, script: str | None) -> tuple[float, float, float]:
    """(requests/s, p99 in ms, server CPU µs per request) from a wrk run."""
    before = _cpu_seconds(pid)
    rps, p99, done = _wrk_run(url, seconds, script)
    used = _cpu_seconds(pid) - before
    return rps, p99, used / max(done, 1) * 1e6


def _say_script(url: str, directory: Path, name: str) -> str:
    """A wrk script that says the next line in one of CONVERSATIONS conversations in turn."""
    ids = []
    with httpx.Client(base_url=url) as client:
        for n in range(CONVERSATIONS):
            body = {"situation": "late-delivery", "channel": "chat", "seed": n}
            ids.append(client.post("/v1/conversations", json=body).json()["id"])
    script = directory / f"say-{name}.lua"
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


def _floor_script(directory: Path) -> str:
    """A wrk script that writes to one of CONVERSATIONS keys in turn, as the say script does."""
    script = directory / "floor.lua"
    script.write_text(
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        f"  return wrk.format('POST', '/write/' .. (n % {CONVERSATIONS}),\n"
        "    {['Content-Type'] = 'application/json'}, '{\"stage\": \"calm\"}')\n"
        "end\n",
        encoding="utf-8",
    )
    return str(script)


def _turns(url: str, *, directory: Path, name: str) -> int:
    """How many turns the first conversation of a say script holds now."""
    script = (directory / f"say-{name}.lua").read_text(encoding="utf-8")
    first = json.loads(script[script.index("{") + 1 : script.index(",")])
    return int(httpx.get(f"{url}/v1/conversations/{first}", timeout=10).json()["turns"])


def _headers_script(directory: Path, start: int) -> str:
    """A wrk script for picks whose Accept-Language headers all differ, numbered from ``start``."""
    script = directory / f"languages-{start}.lua"
    script.write_text(
        f"local n = {start}\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  local header = string.format('da-DK;q=0.9, en-GB;q=0.%03d, ko;q=0.%03d',\n"
        "    (n % 999) + 1, (math.floor(n / 999) % 999) + 1)\n"
        "  return wrk.format('GET', '/v1/pick?stage=calm', {['Accept-Language'] = header})\n"
        "end\n",
        encoding="utf-8",
    )
    return str(script)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def _median_ratio(pairs: list[tuple[float, float]]) -> float:
    return statistics.median(value / base for value, base in pairs)


def _load_runs(args: argparse.Namespace, work: Path, redis_url: str, workers: int) -> list[str]:
    """Hello, pick and say, in turn, round after round; the lines to print."""
    app = "deescalate.server.app:create_app_from_env"
    env = {"DEESCALATE_ACCESS_LOG": "0"}
    lang = work / "lang.lua"
    lang.write_text("wrk.headers['Accept-Language'] = 'da-DK,da;q=0.9'\n", encoding="utf-8")
    pick = "/v1/pick?stage=apologise&situation=late-delivery"
    sqlite = {**env, "DEESCALATE_STORE": f"sqlite:///{work}/bench-{workers}.sqlite3"}
    floor_sqlite = {"DEESCALATE_STORE": f"sqlite:///{work}/floor-{workers}.sqlite3"}
    # The floor's keys never meet the service's: they start with a prefix of their own.
    floor_redis = {"DEESCALATE_STORE": redis_url}
    with (
        _uvicorn("bench_server:hello_app", workers, {}) as (hello_url, hello_pid),
        _uvicorn(app, workers, sqlite) as (sqlite_url, sqlite_pid),
        _uvicorn(app, workers, {**env, "DEESCALATE_STORE": redis_url}) as (redis_url_, redis_pid),
        _uvicorn("bench_server:write_floor_app", workers, floor_sqlite) as (fs_url, fs_pid),
        _uvicorn("bench_server:write_floor_app", workers, floor_redis) as (fr_url, fr_pid),
    ):
        floor = _floor_script(work)
        subjects = {
            "hello": (hello_url + "/hello", hello_pid, None),
            "pick": (sqlite_url + pick, sqlite_pid, str(lang)),
            "say, SQLite": (sqlite_url, sqlite_pid, _say_script(sqlite_url, work, "sqlite")),
            "write, SQLite": (fs_url, fs_pid, floor),
            "say, Redis": (redis_url_, redis_pid, _say_script(redis_url_, work, "redis")),
            "write, Redis": (fr_url, fr_pid, floor),
        }
        for url, _, script in subjects.values():
            _wrk(url, 1, script)
        # Subject and baseline alternate round by round, and each ratio is taken within
        # its round: a burst of load from elsewhere slows both sides of a round alike.
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in subjects}
        for _ in range(args.rounds):
            for name, (url, pid, script) in subjects.items():
                runs[name].append(_measured(url, pid, args.seconds, script))
        turns = {
            store: _turns(base, directory=work, name=name)
            for store, base, name in (
                ("SQLite", sqlite_url, "sqlite"),
                ("Redis", redis_url_, "redis"),
            )
        }
    hello = runs["hello"]
    rps = {name: statistics.median(r[0] for r in values) for name, values in runs.items()}
    p99 = {name: statistics.median(r[1] for r in values) for name, values in runs.items()}
    cpu = {name: statistics.median(r[2] for r in values) for name, values in runs.items()}

    def ratio(name: str, index: int) -> float:
        return _median_ratio(
            [(run[index], base[index]) for run, base in zip(runs[name], hello, strict=True)]
        )

    def spread(name: str, index: int) -> str:
        values = sorted(
            run[index] / base[index] for run, base in zip(runs[name], hello, strict=True)
        )
        return f"{values[0]:.2f}–{values[-1]:.2f}"

    def cpu_ratio(name: str) -> str:
        # Server CPU per request, hello's over the subject's: the throughput ratio a
        # machine of its own would give, whatever else runs on a shared one.
        pairs = [(base[2], run[2]) for run, base in zip(runs[name], hello, strict=True)]
        return f"{cpu[name]:.0f} µs CPU a request = {_median_ratio(pairs):.2f}× hello's rate"

    return [
        f"{workers} worker(s), {args.rounds} rounds of {args.seconds:g} s, {CONNECTIONS} "
        f"connections: hello {rps['hello']:,.0f} req/s, p99 {p99['hello']:.1f} ms, "
        f"{cpu['hello']:.0f} µs server CPU a request",
        f"  GET /v1/pick: {rps['pick']:,.0f} req/s = {ratio('pick', 0):.2f}× hello "
        f"(rounds {spread('pick', 0)}; target ≥ 0.70×); p99 {p99['pick']:.1f} ms = "
        f"{ratio('pick', 1):.2f}× hello's (rounds {spread('pick', 1)}; target ≤ 2×); "
        + cpu_ratio("pick"),
        *(
            line
            for store in ("SQLite", "Redis")
            for line in (
                f"  POST say ({store}): {rps['say, ' + store]:,.0f} req/s = "
                f"{ratio('say, ' + store, 0):.2f}× hello (rounds {spread('say, ' + store, 0)}; "
                f"target ≥ 0.40×); p99 {p99['say, ' + store]:.1f} ms; "
                + cpu_ratio("say, " + store)
                + f"; {turns[store]} turns a conversation by the end",
                f"    floor, one {store} write of a turn's size and no conversation: "
                f"{rps['write, ' + store]:,.0f} req/s = {ratio('write, ' + store, 0):.2f}× hello "
                f"(rounds {spread('write, ' + store, 0)}); "
                + cpu_ratio("write, " + store)
                + f"; the turn is {cpu['say, ' + store] / cpu['write, ' + store]:.2f}× "
                "the floor's CPU a request",
            )
        ),
    ]


def _memory_run(args: argparse.Namespace, work: Path) -> str:
    env = {"DEESCALATE_ACCESS_LOG": "0", "DEESCALATE_STORE": "memory://"}
    with _uvicorn("deescalate.server.app:create_app_from_env", 1, env) as (url, pid):
        _, _, warm = _wrk_run(url, 5, _headers_script(work, 0))
        before = _rss_kib(pid)
        # Runs of 20 s until enough requests were answered; the numbering goes on from
        # run to run, so no header is sent twice.
        answered = 0
        for _ in range(30):
            _, _, done = _wrk_run(url, 20, _headers_script(work, warm + answered))
            answered += done
            if answered >= args.memory_requests:
                break
        after = _rss_kib(pid)
    change = (after - before) / before
    return (
        f"memory of one worker: {before / 1024:.1f} MiB after {warm:,} picks, "
        f"{after / 1024:.1f} MiB after {answered:,} more, each with an Accept-Language header "
        f"of its own ({change:+.1%}; target within ±10 %)"
    )


def main() -> int:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each load run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of runs per subject")
    parser.add_argument("--memory-requests", type=int, default=MEMORY_REQUESTS)
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="worker counts to measure"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the memory run")
    args = parser.parse_args()
    for tool in ("wrk", "redis-server"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed: apt-get install wrk redis-server")
    work = Path(tempfile.mkdtemp(prefix="bench-server-"))
    try:
        with redis_server(work) as redis_url:
            for workers in args.workers:
                print("\n".join(_load_runs(args, work, redis_url, workers)), flush=True)
        if not args.no_memory:
            print(_memory_run(args, work), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
