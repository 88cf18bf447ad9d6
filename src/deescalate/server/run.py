"""``deescalate serve``: the service under uvicorn, with N worker processes.

The settings travel to the workers as ``DEESCALATE_*`` variables, and each
worker builds its app with :func:`deescalate.server.app.create_app_from_env`.
uvicorn stops gracefully on SIGTERM or SIGINT: it stops accepting, lets the
requests in flight finish (up to ``graceful_timeout`` seconds) and runs the
app's shutdown, which closes the store.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from .settings import Settings, SettingsError, from_arguments

__all__ = ["serve"]


class ServeError(Exception):
    """``deescalate serve`` cannot start; the message says why."""


def _check(settings: Settings) -> None:
    """Fail before forking workers when the settings cannot work."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise ServeError("the server is an extra: pip install 'deescalate[server]'") from None
    from .app import load_keys
    from .stores import StoreURLError, open_store

    try:
        if settings.api_key_file:
            load_keys(settings.api_key_file)
        open_store(settings.store).close()
    except (OSError, ValueError, StoreURLError) as err:
        raise ServeError(str(err)) from None


def serve(args: argparse.Namespace) -> int:
    """Run the service until it is stopped; the exit code."""
    try:
        settings = from_arguments(args)
        _check(settings)
    except (SettingsError, ServeError) as err:
        sys.stderr.write(f"deescalate: error: {err}\n")
        return 2
    import uvicorn

    os.environ.update(settings.to_env())
    if settings.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every worker writes its counters here, and /metrics sums them.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="deescalate-metrics-")
    uvicorn.run(
        "deescalate.server.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=int(settings.graceful_timeout),
        log_level="info",
    )
    return 0
