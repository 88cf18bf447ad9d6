"""Settings of the service: DEESCALATE_* variables, `deescalate serve` options, their order."""

from __future__ import annotations

import os

import pytest

from deescalate.cli import build_parser
from deescalate.server.settings import Settings, SettingsError, from_arguments


def test_defaults() -> None:
    """With nothing set: loopback, port 8000, one worker, SQLite, no keys, no CORS, 24 h."""
    settings = Settings.from_env({})
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.store == "sqlite:///deescalate.sqlite3"
    assert settings.api_key_file is None and settings.cors_origins == ()
    assert settings.idle_timeout == 86400


def test_environment_variables() -> None:
    """Every setting has a DEESCALATE_ variable; lists are comma- or path-separated."""
    env = {
        "DEESCALATE_PORT": "9000",
        "DEESCALATE_WORKERS": "3",
        "DEESCALATE_STORE": "redis://r:6379/1",
        "DEESCALATE_CORS_ORIGIN": "https://a.example, https://b.example",
        "DEESCALATE_CATALOGUE": os.pathsep.join(["/srv/acme", "/srv/acme,nordic"]),
        "DEESCALATE_IDLE_TIMEOUT": "600",
        "DEESCALATE_ACCESS_LOG": "off",
    }
    settings = Settings.from_env(env)
    assert settings.port == 9000 and settings.workers == 3
    assert settings.store == "redis://r:6379/1"
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.catalogues == ("/srv/acme", "/srv/acme,nordic")
    assert settings.idle_timeout == 600 and settings.access_log is False
    assert Settings.from_env(settings.to_env()) == settings


@pytest.mark.parametrize(
    "env",
    [
        {"DEESCALATE_PORT": "eighty"},
        {"DEESCALATE_WORKERS": "0"},
        {"DEESCALATE_IDLE_TIMEOUT": "-1"},
        {"DEESCALATE_IDLE_TIMEOUT": "inf"},
    ],
)
def test_bad_environment_values(env: dict[str, str]) -> None:
    """A variable with a value it cannot take is a SettingsError naming the variable."""
    with pytest.raises(SettingsError, match="DEESCALATE_"):
        Settings.from_env(env)


def test_command_line_wins_over_the_environment() -> None:
    """`deescalate serve` options override variables; --catalogue works before or after serve."""
    args = build_parser().parse_args(
        ["--catalogue", "a", "serve", "--port", "9100", "--catalogue", "b", "--cors-origin", "x"]
    )
    settings = from_arguments(args, {"DEESCALATE_PORT": "9000", "DEESCALATE_STORE": "memory://"})
    assert settings.port == 9100
    assert settings.store == "memory://"
    assert settings.catalogues == ("a", "b")
    assert settings.cors_origins == ("x",)
