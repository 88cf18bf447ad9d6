"""Shared fixtures: a private copy of the shipped catalogues for tests that break things."""

from __future__ import annotations

import shutil
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
