"""Compiled catalogues: what a wheel ships so that start-up skips TOML and validation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import deescalate as de
from deescalate.catalogue import NEUTRAL_FILE, shipped_catalogue, store
from deescalate.catalogue import compiled as _compiled

SHIPPED = Path(str(shipped_catalogue()))


@pytest.fixture
def shipped_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped catalogues, compiled, standing in for the package's own."""
    locales = tmp_path / "locales"
    shutil.copytree(SHIPPED, locales, ignore=shutil.ignore_patterns(_compiled.DIRECTORY))
    _compiled.compile_catalogue(locales, locales / _compiled.DIRECTORY)
    monkeypatch.setattr(store, "shipped_catalogue", lambda: locales)
    return locales


def _no_toml(*args: object) -> None:
    raise AssertionError("the TOML was parsed although a matching compiled file exists")


def test_compiling_writes_one_file_per_catalogue_file(tmp_path: Path) -> None:
    """Compiling writes one compiled file per TOML file of the catalogue."""
    written = _compiled.compile_catalogue(SHIPPED, tmp_path / "out")
    toml = sorted(p.stem for p in SHIPPED.glob("*.toml"))
    assert sorted(p.stem for p in written) == toml
    assert all(p.read_bytes().startswith(b"deescalate-compiled ") for p in written)


def test_compiled_structures_equal_the_validated_toml(book: de.Phrasebook, tmp_path: Path) -> None:
    """What a compiled file holds equals what validating its TOML gives."""
    target = tmp_path / "out"
    _compiled.compile_catalogue(SHIPPED, target)
    neutral_digest = _compiled.digest((SHIPPED / NEUTRAL_FILE).read_bytes())
    shown = book.neutral.path
    assert _compiled.read_neutral(target, neutral_digest, shown) == book.neutral
    for locale in book.locales:
        source = (SHIPPED / f"{locale}.toml").read_bytes()
        text = source.decode("utf-8")
        shown = book.locale_data(locale).path
        data = _compiled.read_locale(target, locale, neutral_digest, source, text=text, shown=shown)
        assert data == book.locale_data(locale)


def test_the_shipped_book_reads_compiled_files_and_gives_the_same_results(
    book: de.Phrasebook, shipped_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped phrasebook reads the compiled files and picks exactly as from the TOML."""
    monkeypatch.setattr(store, "parse_toml", _no_toml)
    fast = de.Phrasebook._shipped()
    for locale in fast.locales:
        for stage in ("calm", "listen", "apologise", "close"):
            assert fast.pick(stage, locale=locale, seed=7) == book.pick(
                stage, locale=locale, seed=7
            )
        values = {"amount": 12.5, "currency": "EUR"}
        assert fast.pick(
            "resolve", situation="billing-error", locale=locale, seed=1, values=values
        ) == book.pick("resolve", situation="billing-error", locale=locale, seed=1, values=values)
        assert fast.playbook("late-delivery", locale=locale) == book.playbook(
            "late-delivery", locale=locale
        )
    # The file's text is not kept, and read again when a check needs a line.
    assert fast.locale_data("da").text == ""
    assert fast.store.source_text("da") == (SHIPPED / "da.toml").read_text("utf-8")


def test_a_check_of_a_compiled_catalogue_names_the_line(
    book: de.Phrasebook, shipped_copy: Path
) -> None:
    """A problem found in a catalogue read from its compiled form names the file's line, as
    one found in the TOML does (the file is read again for it)."""
    from deescalate.catalogue import find_line
    from deescalate.checks import _Checker

    fast = de.Phrasebook._shipped()
    lines = []
    for each in (fast, book):
        checker = _Checker(each.store, each.locale_data("da"), each.locale_data("en"))
        checker.add("test", "a problem", "calm.here-to-help", field="formal")
        lines.append(checker.problems[0].line)
    text = (shipped_copy / "da.toml").read_text("utf-8")
    assert lines == [find_line(text, "entries", "calm.here-to-help", "formal")] * 2
    assert lines[0] is not None


def test_an_edited_toml_file_is_read_instead_of_its_stale_compiled_form(
    shipped_copy: Path,
) -> None:
    """A TOML file edited after compiling wins over its stale compiled form."""
    da = shipped_copy / "da.toml"
    before = de.Phrasebook._shipped().pick(
        "calm", locale="da", entry="calm.here-to-help", variant=0
    )
    da.write_text(da.read_text("utf-8").replace(before.text, "Hej, jeg hører dig."), "utf-8")
    after = de.Phrasebook._shipped().pick("calm", locale="da", entry="calm.here-to-help", variant=0)
    assert after.text == "Hej, jeg hører dig."


def test_an_edited_neutral_file_invalidates_every_compiled_locale(
    shipped_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Editing entries.toml makes every compiled locale stale, so all are read from TOML."""
    neutral = shipped_copy / NEUTRAL_FILE
    neutral.write_bytes(neutral.read_bytes() + b"\n# edited\n")
    parsed: list[str] = []
    real = store.parse_toml

    def counting(raw: bytes, shown: str) -> object:
        parsed.append(shown)
        return real(raw, shown)

    monkeypatch.setattr(store, "parse_toml", counting)
    de.Phrasebook._shipped().pick("calm", locale="ko", seed=1)
    assert parsed == [str(shipped_copy / NEUTRAL_FILE), str(shipped_copy / "ko.toml")]


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: blob[: len(blob) // 2],  # truncated
        lambda blob: blob.replace(b"deescalate-compiled 1 ", b"deescalate-compiled 0 ", 1),
        lambda blob: blob.split(b"\n", 1)[0] + b"\nnot a pickle",
        lambda blob: b"",
    ],
    ids=["truncated", "other-format", "garbage", "empty"],
)
def test_a_damaged_compiled_file_falls_back_to_the_toml(
    shipped_copy: Path, book: de.Phrasebook, damage: object
) -> None:
    """A damaged compiled file is ignored and the TOML is read instead."""
    for name in ("entries.pickle", "da.pickle"):
        path = shipped_copy / _compiled.DIRECTORY / name
        path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    fresh = de.Phrasebook._shipped()
    assert fresh.pick("calm", locale="da", seed=3) == book.pick("calm", locale="da", seed=3)


def test_a_missing_compiled_directory_is_fine(shipped_copy: Path, book: de.Phrasebook) -> None:
    """Without a compiled directory the catalogues load from TOML as usual."""
    shutil.rmtree(shipped_copy / _compiled.DIRECTORY)
    assert de.Phrasebook._shipped().pick("calm", locale="ro", seed=2) == book.pick(
        "calm", locale="ro", seed=2
    )


def test_compiling_a_broken_catalogue_fails_and_writes_nothing(
    catalogue_dir: Path, tmp_path: Path
) -> None:
    """Compiling a broken catalogue raises its CatalogueError and leaves no file behind."""
    en = catalogue_dir / "en.toml"
    en.write_text(en.read_text("utf-8") + '\n[entries."no.such-entry"]\ntext = ["x"]\n', "utf-8")
    target = tmp_path / "out"
    with pytest.raises(de.CatalogueError, match="no entry with this id"):
        _compiled.compile_catalogue(catalogue_dir, target)
    assert not target.exists()


def test_the_build_command_reports_usage_problems_and_compiles(
    tmp_path: Path, catalogue_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The build command exits 2 on a usage problem and compiles a good catalogue."""
    assert _compiled.main([]) == 2
    assert _compiled.main([str(SHIPPED), str(tmp_path)]) == 0
    assert (tmp_path / "entries.pickle").is_file()
    en = catalogue_dir / "en.toml"
    en.write_text(en.read_text("utf-8") + "\n[entries\n", "utf-8")
    capsys.readouterr()
    assert _compiled.main([str(catalogue_dir), str(tmp_path / "broken")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "en.toml:" in error and "invalid TOML" in error
