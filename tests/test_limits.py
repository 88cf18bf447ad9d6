"""Every documented size limit: accepted at the limit, refused one past it with its own error."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import deescalate as de
from deescalate import limits
from deescalate._files import FileProblem, FileTooLarge, read_regular
from deescalate.catalogue import parse_toml


def _en_variants(texts: list[str]) -> str:
    items = ", ".join(f'"{t}"' for t in texts)
    return f'[entries."close.goodbye"]\ntext = [{items}]\n'


# --- catalogue files -----------------------------------------------------------------------


def test_catalogue_file_at_the_size_limit_is_read(make_overlay: Callable[..., Path]) -> None:
    """A catalogue file of exactly MAX_CATALOGUE_FILE_BYTES is read; its size is no error."""
    head = '[labels]\ncalm = "Calm"\n'
    body = head + "#" * (limits.MAX_CATALOGUE_FILE_BYTES - len(head) - 1) + "\n"
    assert len(body.encode()) == limits.MAX_CATALOGUE_FILE_BYTES
    directory = make_overlay(en=body)
    book = de.Phrasebook.load(directory)
    assert book.locale_data("en").labels["calm"] == "Calm"


def test_catalogue_file_one_byte_past_the_limit_is_refused(
    make_overlay: Callable[..., Path],
) -> None:
    """One byte more than MAX_CATALOGUE_FILE_BYTES is a CatalogueTooLargeError naming the file."""
    body = "#" * limits.MAX_CATALOGUE_FILE_BYTES + "\n"
    directory = make_overlay(en=body)
    with pytest.raises(de.CatalogueTooLargeError) as info:
        de.Phrasebook.load(directory)
    assert info.value.path == str(directory / "en.toml")
    assert info.value.limit_name == "MAX_CATALOGUE_FILE_BYTES"
    assert info.value.maximum == limits.MAX_CATALOGUE_FILE_BYTES
    assert isinstance(info.value, de.CatalogueError)


def test_parsed_bytes_over_the_size_limit_are_refused() -> None:
    """parse_toml refuses bytes over the limit whatever they came from."""
    with pytest.raises(de.CatalogueTooLargeError):
        parse_toml(b" " * (limits.MAX_CATALOGUE_FILE_BYTES + 1), "x.toml")


def test_nesting_at_the_depth_limit_is_accepted() -> None:
    """Arrays nested to MAX_TOML_DEPTH levels (counting the file's own table) parse."""
    depth = limits.MAX_TOML_DEPTH - 1
    data, _ = parse_toml(("x = " + "[" * depth + "]" * depth).encode(), "x.toml")
    assert "x" in data


def test_nesting_one_past_the_depth_limit_is_refused() -> None:
    """One level more than MAX_TOML_DEPTH is a CatalogueTooDeepError."""
    depth = limits.MAX_TOML_DEPTH
    with pytest.raises(de.CatalogueTooDeepError) as info:
        parse_toml(("x = " + "[" * depth + "]" * depth).encode(), "x.toml")
    assert info.value.limit_name == "MAX_TOML_DEPTH"


def test_text_at_the_length_limit_is_accepted(make_overlay: Callable[..., Path]) -> None:
    """A variant of exactly MAX_TEXT_LENGTH characters loads and can be picked."""
    text = "a" * limits.MAX_TEXT_LENGTH
    book = de.Phrasebook.load(make_overlay(en=_en_variants([text])))
    assert book.text("close", locale="en", entry="close.goodbye", variant=0) == text


def test_text_one_past_the_length_limit_is_refused_at_load(
    make_overlay: Callable[..., Path],
) -> None:
    """A variant one character over MAX_TEXT_LENGTH is a TextTooLongError naming entry and field."""
    directory = make_overlay(en=_en_variants(["a" * (limits.MAX_TEXT_LENGTH + 1)]))
    with pytest.raises(de.TextTooLongError) as info:
        de.Phrasebook.load(directory)
    assert info.value.entry_id == "close.goodbye"
    assert info.value.field == "text[0]"
    assert info.value.line == 2
    assert info.value.size == limits.MAX_TEXT_LENGTH + 1


def test_variants_at_the_limit_are_accepted(make_overlay: Callable[..., Path]) -> None:
    """An entry with exactly MAX_VARIANTS variants under one key loads."""
    texts = [f"Thank you, goodbye {i}." for i in range(limits.MAX_VARIANTS)]
    book = de.Phrasebook.load(make_overlay(en=_en_variants(texts)))
    assert len(book.options("close", locale="en", entry="close.goodbye")) == limits.MAX_VARIANTS


def test_variants_one_past_the_limit_are_refused(make_overlay: Callable[..., Path]) -> None:
    """MAX_VARIANTS + 1 variants under one key are a TooManyVariantsError."""
    texts = [f"Thank you, goodbye {i}." for i in range(limits.MAX_VARIANTS + 1)]
    with pytest.raises(de.TooManyVariantsError) as info:
        de.Phrasebook.load(make_overlay(en=_en_variants(texts)))
    assert info.value.entry_id == "close.goodbye"
    assert info.value.size == limits.MAX_VARIANTS + 1


# --- reading files ------------------------------------------------------------------------


def test_read_regular_reads_at_the_limit_and_refuses_one_past(tmp_path: Path) -> None:
    """read_regular returns a file of exactly the limit and refuses one byte more."""
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_regular(path, 10) == b"x" * 10
    with pytest.raises(FileTooLarge):
        read_regular(path, 9)


def test_read_regular_never_reads_past_the_limit_of_an_endless_device() -> None:
    """/dev/zero is not a regular file: refused at once, nothing read."""
    with pytest.raises(FileProblem, match="not a regular file"):
        read_regular(Path("/dev/zero"), 100)


def test_read_regular_does_not_block_on_a_fifo(tmp_path: Path) -> None:
    """A FIFO with no writer is refused without blocking."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(FileProblem, match="not a regular file"):
        read_regular(fifo, 100)


def test_read_regular_refuses_links_when_asked(tmp_path: Path) -> None:
    """With follow_symlinks=False a symbolic link is refused; by default it is followed."""
    target = tmp_path / "target"
    target.write_bytes(b"abc")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert read_regular(link, 10) == b"abc"
    with pytest.raises(FileProblem, match="symbolic link"):
        read_regular(link, 10, follow_symlinks=False)


# --- the documentation ---------------------------------------------------------------------


def test_reliability_page_lists_every_limit_with_its_value() -> None:
    """docs/reliability.md names every constant of deescalate.limits, with its value."""
    page = (Path(__file__).parent.parent / "docs" / "reliability.md").read_text(encoding="utf-8")
    rows = {
        cells[0].strip("` "): cells[1].strip()
        for line in page.splitlines()
        if line.startswith(("| `MAX_", "| `MIN_"))
        for cells in [line.strip("|").split("|")]
    }
    shown = {"MAX_NUMBER": "10¹⁸", "MIN_SEED`, `MAX_SEED": "-2⁶³, 2⁶⁴ − 1"}
    for name in limits.__all__:
        key = "MIN_SEED`, `MAX_SEED" if name in ("MIN_SEED", "MAX_SEED") else name
        assert key in rows, name
        assert rows[key] == shown.get(key, str(getattr(limits, name))), name
    assert limits.MAX_SEED == 2**64 - 1 and limits.MIN_SEED == -(2**63)
    assert limits.MAX_NUMBER == 10**18


def test_locale_preferences_at_the_limit_and_one_past() -> None:
    """MAX_LOCALE_PREFERENCES tags are accepted; one more is an InvalidLocaleError."""
    tags = ["zz"] * (limits.MAX_LOCALE_PREFERENCES - 1) + ["da"]
    assert de.pick("calm", locale=tags).locale == "da"
    with pytest.raises(de.InvalidLocaleError, match="preferences"):
        de.pick("calm", locale=[*tags, "da"])
    with pytest.raises(de.InvalidLocaleError, match="preferences"):
        de.tips("calm", locale=[*tags, "da"])


def test_a_key_over_the_text_limit_is_refused() -> None:
    """A TOML key longer than MAX_TEXT_LENGTH is a TextTooLongError, not a huge message."""
    with pytest.raises(de.TextTooLongError) as info:
        parse_toml(('"' + "k" * (limits.MAX_TEXT_LENGTH + 1) + '" = 1\n').encode(), "x.toml")
    assert len(str(info.value)) < 300
    data, _ = parse_toml(('"' + "k" * limits.MAX_TEXT_LENGTH + '" = 1\n').encode(), "x.toml")
    assert len(data) == 1
