"""Real processes for the service's tests: a throwaway Redis and `deescalate serve`."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_for(check: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not start within {timeout} s")


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """Debian's redis-server on a free port in ``directory``; yields its URL, then stops it."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (.ci/run installs it)")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    try:
        _wait_for(answers, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


class Server:
    """A running `deescalate serve` process."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log

    def client(self, **kwargs: object) -> httpx.Client:
        """An HTTP client for this server."""
        return httpx.Client(base_url=self.url, timeout=30.0, **kwargs)  # type: ignore[arg-type]

    def stop(self) -> int:
        """SIGTERM, as an orchestrator stops a container; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


@contextmanager
def serve(directory: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """`python -m deescalate serve ARGS` on a free port, ready when it yields; stopped after."""
    port = free_port()
    log = directory / f"serve-{port}.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DEESCALATE_")}
    environment.update(env or {})
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "deescalate", "serve", "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=directory,
            env=environment,
        )
    server = Server(process, port, log)

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"deescalate serve exited: {log.read_text(errors='replace')}")
        try:
            return httpx.get(server.url + "/readyz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _wait_for(ready, "deescalate serve", timeout=60.0)
        yield server
    finally:
        server.stop()
