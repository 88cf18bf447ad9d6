"""The service's settings: command-line options and ``DEESCALATE_*`` variables.

This module uses the standard library only, so ``deescalate --help`` never
imports the web framework. Every option of ``deescalate serve`` has an
environment variable of the same name (``--api-key-file`` is
``DEESCALATE_API_KEY_FILE``); an option given on the command line wins.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

__all__ = ["ENV_PREFIX", "Settings", "SettingsError", "add_arguments", "from_arguments"]

ENV_PREFIX = "DEESCALATE_"

DEFAULT_STORE = "sqlite:///deescalate.sqlite3"


class SettingsError(ValueError):
    """A setting with a value it cannot take."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything ``create_app`` and ``deescalate serve`` need to know."""

    host: str = "127.0.0.1"
    """The address to listen on."""
    port: int = 8000
    """The TCP port to listen on."""
    workers: int = 1
    """Worker processes (uvicorn's ``--workers``)."""
    store: str = DEFAULT_STORE
    """Where conversations live: ``sqlite:///PATH``, ``redis://...`` or ``memory://``."""
    api_key_file: str | None = None
    """A file with one API key per line; when set, every /v1 and /nlg call needs one."""
    cors_origins: tuple[str, ...] = ()
    """Origins allowed to call the API from a browser; none by default."""
    catalogues: tuple[str, ...] = ()
    """Company overlay directories laid over the shipped catalogues, in order."""
    idle_timeout: float = 24 * 3600.0
    """Seconds after its last change that a conversation is forgotten."""
    max_body: int = 64 * 1024
    """The largest request body accepted, in bytes (413 above it)."""
    max_headers: int = 16 * 1024
    """The largest total size of a request's headers, in bytes (431 above it)."""
    access_log: bool = True
    """Whether to write one JSON line per request to the ``deescalate.access`` logger."""
    graceful_timeout: float = 10.0
    """Seconds to let requests in flight finish on shutdown."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``DEESCALATE_*`` variables (defaults for the rest)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for item in fields(cls):
            raw = env.get(ENV_PREFIX + _env_name(item.name))
            if raw is None or raw == "":
                continue
            values[item.name] = _convert(item.name, raw)
        return replace(cls(), **values)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The ``DEESCALATE_*`` variables that reproduce these settings (for workers)."""
        env: dict[str, str] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None:
                continue
            if isinstance(value, tuple):
                text = _SEPARATORS[item.name].join(value)
            elif isinstance(value, bool):
                text = "1" if value else "0"
            else:
                text = str(value)
            env[ENV_PREFIX + _env_name(item.name)] = text
        return env


def _env_name(name: str) -> str:
    special = {"cors_origins": "CORS_ORIGIN", "catalogues": "CATALOGUE"}
    return special.get(name, name.upper())


_INTS = {"port", "workers", "max_body", "max_headers"}
_FLOATS = {"idle_timeout", "graceful_timeout"}
# Directories are separated like PATH, so a directory name may hold a comma.
_SEPARATORS = {"cors_origins": ",", "catalogues": os.pathsep}


def _convert(name: str, raw: str) -> object:
    if name in _INTS:
        try:
            number = int(raw)
        except ValueError:
            raise SettingsError(f"{ENV_PREFIX}{_env_name(name)} must be an integer") from None
        if number < (0 if name == "port" else 1):
            raise SettingsError(f"{ENV_PREFIX}{_env_name(name)} is too small: {number}")
        return number
    if name in _FLOATS:
        try:
            seconds = float(raw)
        except ValueError:
            raise SettingsError(f"{ENV_PREFIX}{_env_name(name)} must be a number") from None
        if not seconds > 0 or seconds == float("inf"):
            raise SettingsError(f"{ENV_PREFIX}{_env_name(name)} must be positive and finite")
        return seconds
    if name in _SEPARATORS:
        return tuple(part.strip() for part in raw.split(_SEPARATORS[name]) if part.strip())
    if name == "access_log":
        return raw.strip().lower() not in ("0", "false", "no", "off")
    return raw


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``deescalate serve``."""
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="TCP port (default 8000)")
    parser.add_argument("--workers", type=int, help="worker processes (default 1)")
    parser.add_argument(
        "--store",
        metavar="URL",
        help=f"sqlite:///PATH, redis://HOST:PORT/DB or memory:// (default {DEFAULT_STORE})",
    )
    parser.add_argument(
        "--api-key-file", metavar="FILE", help="require a bearer key from this file (one a line)"
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="allow browser calls from this origin (repeatable; none by default)",
    )
    parser.add_argument(
        "--idle-timeout", type=float, metavar="SECONDS", help="forget idle conversations (24 h)"
    )
    # The same as the command's global --catalogue, accepted after `serve` too. Its own
    # dest, since a subcommand's default would overwrite the global option's value.
    parser.add_argument(
        "--catalogue",
        action="append",
        dest="serve_catalogue",
        metavar="DIR",
        help="a company overlay directory (repeatable)",
    )


def from_arguments(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment, with the command line's options on top."""
    settings = Settings.from_env(environ)
    given: dict[str, object] = {}
    for name in ("host", "port", "workers", "store", "api_key_file", "idle_timeout"):
        value = getattr(args, name, None)
        if value is not None:
            given[name] = value
    if getattr(args, "cors_origin", None):
        given["cors_origins"] = tuple(args.cors_origin)
    # --catalogue is the command's global option, shared with every other command.
    overlays = [
        *(getattr(args, "catalogue", None) or ()),
        *(getattr(args, "serve_catalogue", None) or ()),
    ]
    if overlays:
        given["catalogues"] = tuple(overlays)
    settings = replace(settings, **given)  # type: ignore[arg-type]
    if settings.workers < 1:
        raise SettingsError("--workers must be at least 1")
    if not 0 <= settings.port <= 65535:
        raise SettingsError("--port must be from 0 to 65535")
    if not settings.idle_timeout > 0:
        raise SettingsError("--idle-timeout must be positive")
    return settings
