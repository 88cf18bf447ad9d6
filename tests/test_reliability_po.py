"""PO import refuses what would lose or hide a translation, and never blocks or overreads."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import deescalate as de
from deescalate import limits
from deescalate.catalogue import shipped_catalogue
from deescalate.cli import main
from deescalate.po import export_po, import_po

SHIPPED = Path(str(shipped_catalogue()))


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    """A writable catalogue of entries.toml, en.toml and da.toml."""
    target = tmp_path / "locales"
    target.mkdir()
    for name in ("entries.toml", "en.toml", "da.toml"):
        shutil.copy(SHIPPED / name, target / name)
    return target


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _export(directory: Path, locale: str, tmp_path: Path) -> tuple[Path, str]:
    text = export_po(de.Phrasebook.from_directory(directory), locale).decode("utf-8")
    path = tmp_path / f"{locale}.po"
    path.write_text(text, encoding="utf-8")
    return path, text


def _block(text: str, context: str) -> str:
    """The whole message block (comments to msgstr) whose msgctxt is ``context``."""
    blocks = text.split("\n\n")
    return next(b for b in blocks if f'msgctxt "{context}"' in b)


def _line(text: str, needle: str, start: int = 1) -> int:
    lines = text.split("\n")
    return next(n for n, line in enumerate(lines, 1) if n >= start and needle in line)


# --- files that are not PO files ---------------------------------------------------------


def test_a_fifo_is_refused_at_once(directory: Path, tmp_path: Path) -> None:
    """Case 11: po import of a FIFO is a PoFileUnreadableError, without blocking."""
    fifo = tmp_path / "da.po"
    os.mkfifo(fifo)
    with pytest.raises(de.PoFileUnreadableError, match="not a regular file"):
        import_po(fifo, directory)


def test_a_device_is_refused_without_reading_it(directory: Path) -> None:
    """Case 11: po import of /dev/zero is refused at once (it would read until memory ran out)."""
    with pytest.raises(de.PoFileUnreadableError, match="not a regular file"):
        import_po(Path("/dev/zero"), directory)


@pytest.mark.parametrize("name", ["missing.po", "."])
def test_a_missing_file_or_a_directory_is_one_line_and_exit_2(
    directory: Path, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Case 11: a missing PO file or a directory: one error line, exit 2, nothing changed."""
    before = _files(directory)
    assert main(["po", "import", str(tmp_path / name), "--dir", str(directory)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("deescalate: error: ")
    assert _files(directory) == before


def test_a_po_file_at_the_size_limit_is_read(directory: Path, tmp_path: Path) -> None:
    """A PO file of exactly MAX_PO_FILE_BYTES (padded with comments) imports with no change."""
    path, text = _export(directory, "da", tmp_path)
    padding = limits.MAX_PO_FILE_BYTES - len(text.encode()) - 2
    path.write_text("#" + " " * padding + "\n" + text, encoding="utf-8")
    assert path.stat().st_size == limits.MAX_PO_FILE_BYTES
    assert import_po(path, directory).changes == ()


def test_a_po_file_one_byte_past_the_limit_is_refused(directory: Path, tmp_path: Path) -> None:
    """One byte over MAX_PO_FILE_BYTES is a PoFileTooLargeError; nothing is read or changed."""
    path = tmp_path / "da.po"
    path.write_bytes(b"#" * limits.MAX_PO_FILE_BYTES + b"\n")
    before = _files(directory)
    with pytest.raises(de.PoFileTooLargeError) as info:
        import_po(path, directory)
    assert info.value.limit_name == "MAX_PO_FILE_BYTES"
    assert isinstance(info.value, de.PoFileError)
    assert _files(directory) == before


# --- messages Babel would merge or drop -----------------------------------------------------


def test_a_duplicated_message_is_refused_with_both_lines(directory: Path, tmp_path: Path) -> None:
    """Case 12: a message block copied and one copy edited is refused, naming both lines."""
    path, text = _export(directory, "da", tmp_path)
    context = "close.goodbye:formal:0"
    block = _block(text, context)
    edited = block.rsplit("msgstr", 1)[0] + 'msgstr "Farvel og tak."'
    text = text.replace(block, block + "\n\n" + edited, 1)
    path.write_text(text, encoding="utf-8")
    first = _line(text, f'msgctxt "{context}"')
    second = _line(text, f'msgctxt "{context}"', first + 1)
    before = _files(directory)
    with pytest.raises(de.PoFileError, match=f"lines {first} and {second}") as info:
        import_po(path, directory)
    assert info.value.line == second
    assert _files(directory) == before


def test_emptying_a_source_entry_is_refused(directory: Path, tmp_path: Path) -> None:
    """Case 13: every msgstr of one en entry emptied: refused, en.toml keeps the entry."""
    path, text = _export(directory, "en", tmp_path)
    entry = "close.goodbye"
    blocks = text.split("\n\n")
    for i, block in enumerate(blocks):
        if f'msgctxt "{entry}:' in block:
            head = block.split("\nmsgstr", 1)[0]
            blocks[i] = head + '\nmsgstr ""'
    path.write_text("\n\n".join(blocks), encoding="utf-8")
    before = _files(directory)
    with pytest.raises(de.PoFileError, match="would delete its text"):
        import_po(path, directory)
    assert _files(directory) == before
    assert entry in de.Phrasebook.from_directory(directory).locale_data("en").texts


def test_a_file_ending_on_a_dangling_msgctxt_is_truncated(directory: Path, tmp_path: Path) -> None:
    """Case 15: a PO that ends on a msgctxt without its msgid is refused as truncated."""
    path, text = _export(directory, "da", tmp_path)
    text += '\nmsgctxt "close.goodbye:text:9"\n'
    path.write_text(text, encoding="utf-8")
    with pytest.raises(de.PoFileError, match="truncated") as info:
        import_po(path, directory)
    assert info.value.line == _line(text, 'msgctxt "close.goodbye:text:9"')


def test_numbered_msgstr_in_a_non_plural_message_is_refused(
    directory: Path, tmp_path: Path
) -> None:
    """Case 15: msgstr[0] and msgstr[1] without msgid_plural are refused, not half imported."""
    path, text = _export(directory, "da", tmp_path)
    block = _block(text, "close.goodbye:formal:0")
    head = block.split("\nmsgstr", 1)[0]
    text = text.replace(block, head + '\nmsgstr[0] "Farvel."\nmsgstr[1] "Farvel igen."', 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(de.PoFileError, match="without msgid_plural") as info:
        import_po(path, directory)
    assert info.value.line == _line(text, 'msgstr[0] "Farvel."')


def test_a_bad_language_header_is_reported_at_its_line(directory: Path, tmp_path: Path) -> None:
    """Case 15: Language: d! is reported at the Language line, not at a later one."""
    path, text = _export(directory, "da", tmp_path)
    text = text.replace('"Language: da\\n"', '"Language: d!\\n"', 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(de.PoFileError, match="Language header") as info:
        import_po(path, directory)
    assert info.value.line == _line(text, '"Language: d!')


def test_a_text_over_the_limit_cannot_be_imported(directory: Path, tmp_path: Path) -> None:
    """Case 6: a 5,000-character msgstr is refused at import, not at every later pick."""
    path, text = _export(directory, "da", tmp_path)
    block = _block(text, "close.goodbye:formal:0")
    head = block.split("\nmsgstr", 1)[0]
    text = text.replace(block, head + '\nmsgstr "' + "x" * 5000 + '"', 1)
    path.write_text(text.replace("#, fuzzy\n", ""), encoding="utf-8")
    before = _files(directory)
    with pytest.raises(de.PoFileError, match="MAX_TEXT_LENGTH"):
        import_po(path, directory)
    assert _files(directory) == before


def test_previous_source_is_read_like_a_catalogue_file(tmp_path: Path) -> None:
    """po export --previous-source of a FIFO is refused at once, not read forever."""
    fifo = tmp_path / "old-en.toml"
    os.mkfifo(fifo)
    argv = ["po", "export", "--locale", "da", "--out", str(tmp_path / "out")]
    assert main([*argv, "--previous-source", str(fifo)]) == 2
