"""Hostile overlays are refused at load, naming the overlay file, never later at a pick."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import deescalate as de
from deescalate.cli import main

NEW_CLOSE_ENTRY = """\
[entries."close.acme.bye"]
kind = "phrase"
stage = "close"
situations = ["general"]
notes = "A goodbye."
"""


def test_overlay_entry_without_english_text_is_refused_at_load(
    make_overlay: Callable[..., Path],
) -> None:
    """Case 4: a new entry with a Danish text and no English one: the error names entries.toml."""
    da = '[entries."close.acme.bye"]\ntext = ["Farvel."]\n'
    directory = make_overlay(entries=NEW_CLOSE_ENTRY, da=da)
    with pytest.raises(de.CatalogueError) as info:
        de.Phrasebook.load(directory)
    assert info.value.path == str(directory / "entries.toml")
    assert info.value.entry_id == "close.acme.bye"
    assert "no en text" in info.value.problem


def test_overlay_entry_with_english_text_loads_and_picks(make_overlay: Callable[..., Path]) -> None:
    """The same overlay with an English text loads, and close picks work in en and da."""
    da = '[entries."close.acme.bye"]\ntext = ["Farvel."]\n'
    en = '[entries."close.acme.bye"]\ntext = ["Goodbye."]\n'
    book = de.Phrasebook.load(make_overlay(entries=NEW_CLOSE_ENTRY, da=da, en=en))
    for seed in range(10):
        assert book.pick("close", locale="da", seed=seed).text
        assert book.pick("close", locale="en", seed=seed).text


def test_deeply_nested_overlay_is_a_catalogue_error(make_overlay: Callable[..., Path]) -> None:
    """Case 5: arrays nested 1000 deep are a CatalogueTooDeepError, not a RecursionError."""
    directory = make_overlay(en="x = " + "[" * 1000 + "]" * 1000 + "\n")
    with pytest.raises(de.CatalogueTooDeepError):
        de.Phrasebook.load(directory)


@pytest.mark.parametrize(
    ("argv", "status"),
    [(["check"], 1), (["pick", "calm"], 2), (["po", "export", "da", "--out", "{out}"], 2)],
)
def test_deeply_nested_overlay_is_one_error_line_in_the_cli(
    tmp_path: Path,
    argv: list[str],
    status: int,
    capsys: pytest.CaptureFixture[str],
    make_overlay: Callable[..., Path],
) -> None:
    """Case 5: pick and po export print one error line and exit 2; check fails with 1."""
    directory = make_overlay(entries="x = " + "[" * 1000 + "]" * 1000 + "\n")
    args = [a.replace("{out}", str(tmp_path / "out")) for a in argv]
    assert main(["--catalogue", str(directory), *args]) == status
    captured = capsys.readouterr()
    if status == 1:
        assert "MAX_TOML_DEPTH" in captured.out and not captured.err
    else:
        assert captured.err.count("\n") == 1 and captured.err.startswith("deescalate: error: ")


def test_long_static_variant_is_refused_at_load(make_overlay: Callable[..., Path]) -> None:
    """Case 6: a 5,000-character static variant is refused when the overlay loads."""
    en = '[entries."close.goodbye"]\ntext = ["' + "x" * 5000 + '"]\n'
    with pytest.raises(de.TextTooLongError):
        de.Phrasebook.load(make_overlay(en=en))


FULL_LOCALE = """\
[locale]
id = "{id}"
registers = ["neutral"]
default_register = "neutral"

[checks]
script = "Latn"
"""


def test_overlay_locale_without_cldr_data_is_refused_at_load(
    make_overlay: Callable[..., Path],
) -> None:
    """Case 18: a full locale file for tlh (no CLDR data in Babel) is refused naming the file."""
    directory = make_overlay(tlh=FULL_LOCALE.format(id="tlh"))
    with pytest.raises(de.CatalogueError, match="no CLDR data") as info:
        de.Phrasebook.load(directory)
    assert info.value.path == str(directory / "tlh.toml")


def test_overlay_locale_with_cldr_data_still_loads(make_overlay: Callable[..., Path]) -> None:
    """A new locale Babel knows (Swedish) still loads and is listed."""
    directory = make_overlay(sv=FULL_LOCALE.format(id="sv"))
    assert "sv" in de.Phrasebook.load(directory).locales


@pytest.mark.parametrize("name", ["en.toml", "entries.toml"])
def test_symlinked_overlay_file_is_refused(tmp_path: Path, name: str) -> None:
    """A locale file or entries.toml that is a symbolic link is refused, showing no key of it."""
    secret = tmp_path / "secret.toml"
    secret.write_text('password = "hunter2"\n', encoding="utf-8")
    directory = tmp_path / "overlay"
    directory.mkdir()
    (directory / name).symlink_to(secret)
    with pytest.raises(de.CatalogueError, match="symbolic link") as info:
        de.Phrasebook.load(directory)
    assert "password" not in str(info.value)


def test_fifo_named_like_a_locale_file_is_refused_without_blocking(tmp_path: Path) -> None:
    """A FIFO named da.toml in an overlay is refused at once."""
    directory = tmp_path / "overlay"
    directory.mkdir()
    os.mkfifo(directory / "da.toml")
    with pytest.raises(de.CatalogueError, match="not a regular file"):
        de.Phrasebook.load(directory)


def test_other_files_in_an_overlay_directory_are_ignored(make_overlay: Callable[..., Path]) -> None:
    """A README and a subdirectory beside the TOML files are not read."""
    directory = make_overlay(en='[labels]\ncalm = "Calm"\n')
    (directory / "README.md").write_text("notes", encoding="utf-8")
    (directory / "old").mkdir()
    assert de.Phrasebook.load(directory).locale_data("en").labels["calm"] == "Calm"


@pytest.mark.parametrize("path", ["x" * 300, "/proc/self/nonexistent\0", 5])
def test_bad_overlay_paths_are_deescalate_errors(path: object, tmp_path: Path) -> None:
    """A too-long, NUL-containing or non-path overlay argument is a DeescalateError."""
    with pytest.raises(de.DeescalateError):
        de.Phrasebook.load(path)  # type: ignore[arg-type]


def test_from_directory_accepts_a_str_path(tmp_path: Path, catalogue_dir: Path) -> None:
    """Case 9: Phrasebook.from_directory takes a str as well as a Path."""
    book = de.Phrasebook.from_directory(str(catalogue_dir))
    assert book.locales == ("en",)


def test_from_directory_refuses_what_is_not_a_directory() -> None:
    """Case 9: from_directory(5) is an InvalidOptionError, not an AttributeError."""
    with pytest.raises(de.InvalidOptionError):
        de.Phrasebook.from_directory(5)  # type: ignore[arg-type]
