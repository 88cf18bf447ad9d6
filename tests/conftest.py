"""Shared fixtures: a private copy of the shipped catalogues for tests that break things.

The suite refuses to run against a ``deescalate`` imported from anywhere but the
tree under test: ``src/`` next to these tests, or the directory named by
``DEESCALATE_UNDER_TEST`` (CI sets it to the site-packages of a fresh venv that
holds the built wheel).
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import deescalate as de
from deescalate.catalogue import shipped_catalogue

ROOT = Path(__file__).resolve().parent.parent
UNDER_TEST = Path(os.environ.get("DEESCALATE_UNDER_TEST") or ROOT / "src").resolve()
SHIPPED = Path(str(shipped_catalogue()))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop before collecting anything if the package under test is not the one imported."""
    imported = Path(de.__file__).resolve()
    if not imported.is_relative_to(UNDER_TEST):
        raise pytest.UsageError(
            f"deescalate was imported from {imported}, not from the tree under test "
            f"({UNDER_TEST}); install it editable, or set DEESCALATE_UNDER_TEST"
        )


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Every test starts and ends with empty caches (picker, locales, rendering)."""
    de.cache_clear()
    yield
    de.cache_clear()


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
