"""Shared fixtures: a private copy of the shipped catalogues for tests that break things."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import deescalate as de
from deescalate.catalogue import shipped_catalogue

SHIPPED = Path(str(shipped_catalogue()))


@pytest.fixture(scope="session")
def book() -> de.Phrasebook:
    """The shipped phrasebook, shared (it is immutable)."""
    return de.Phrasebook.default()


@pytest.fixture
def catalogue_dir(tmp_path: Path) -> Path:
    """A writable copy of the shipped catalogue directory (entries.toml and en.toml only)."""
    target = tmp_path / "locales"
    target.mkdir()
    for name in ("entries.toml", "en.toml"):
        shutil.copy(SHIPPED / name, target / name)
    return target


OverlayMaker = Callable[..., Path]


@pytest.fixture
def make_overlay(tmp_path: Path) -> OverlayMaker:
    """Write an overlay directory: ``make_overlay(en="...", entries="...", name="acme")``.

    Keyword names are file stems; texts are dedented. Calling it again with the
    same name adds files to the same directory.
    """

    def make(name: str = "overlay", **files: str) -> Path:
        directory = tmp_path / name
        directory.mkdir(exist_ok=True)
        for stem, text in files.items():
            (directory / f"{stem}.toml").write_text(textwrap.dedent(text), encoding="utf-8")
        return directory

    return make
