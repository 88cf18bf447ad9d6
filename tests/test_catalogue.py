"""Loading and validating catalogue files: every broken file is a precise error."""

from __future__ import annotations

from pathlib import Path

import pytest

import deescalate as de
from deescalate.catalogue import find_line


def _load(directory: Path, locale: str = "en") -> de.Phrasebook:
    book = de.Phrasebook.from_directory(directory)
    book.locale_data(locale)
    return book


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_copy_of_shipped_catalogue_loads(catalogue_dir: Path) -> None:
    """The unmodified copy used by the other tests loads cleanly."""
    book = _load(catalogue_dir)
    assert book.locales == ("en",)
    assert book.pick("calm", seed=1).locale == "en"


@pytest.mark.parametrize(
    ("old", "new", "needle", "problem"),
    [
        (
            "\"I'm here to help, and we'll work through this together.\",",
            '"I\'m here to help, {name.title}.",',
            "{name.title}",
            "attribute access",
        ),
        (
            "\"I'm here to help, and we'll work through this together.\",",
            '"I\'m here to help, {0}.",',
            "{0}",
            "positional placeholder",
        ),
        (
            "\"I'm here to help, and we'll work through this together.\",",
            '"I\'m here to help, {name!r}.",',
            "{name!r}",
            "'{name!r}'",
        ),
        (
            "\"I'm here to help, and we'll work through this together.\",",
            '"I\'m here to help, {name:>10}.",',
            "{name:>10}",
            "'{name:>10}'",
        ),
        (
            "\"I'm here to help, and we'll work through this together.\",",
            '"I\'m here to help, {customer}.",',
            "{customer}",
            "not declared",
        ),
        (
            "\"I'm here to help, and we'll work through this together.\",",
            '"I\'m here to help { together.",',
            "help { together",
            "unmatched",
        ),
    ],
)
def test_bad_template_is_template_error_with_location(
    catalogue_dir: Path, old: str, new: str, needle: str, problem: str
) -> None:
    """A template with anything but a declared {name} names file, entry, field and line."""
    en = catalogue_dir / "en.toml"
    _edit(en, old, new)
    with pytest.raises(de.TemplateError) as info:
        _load(catalogue_dir)
    err = info.value
    assert problem in str(err)
    assert err.entry_id == "calm.here-to-help"
    assert err.field == "text[0]"
    assert err.path is not None and err.path.endswith("en.toml")
    assert err.line == _line_of(en, needle)


def test_missing_required_placeholder_in_text(catalogue_dir: Path) -> None:
    """A variant that leaves out a required placeholder is an error naming it."""
    _edit(
        catalogue_dir / "en.toml",
        '"Let me make sure I have this right: {summary}.",',
        '"Let me make sure I have this right.",',
    )
    with pytest.raises(de.CatalogueError, match=r"\{summary\}") as info:
        _load(catalogue_dir)
    assert info.value.entry_id == "restate.summary"


def test_duplicate_id_is_duplicate_entry_error_with_line(catalogue_dir: Path) -> None:
    """An entry table declared twice is a DuplicateEntryError with the line of the second."""
    en = catalogue_dir / "en.toml"
    en.write_text(
        en.read_text(encoding="utf-8") + '\n[entries."calm.genuine"]\ntext = ["Be yourself."]\n',
        encoding="utf-8",
    )
    with pytest.raises(de.DuplicateEntryError) as info:
        _load(catalogue_dir)
    assert info.value.line == len(en.read_text(encoding="utf-8").splitlines()) - 1
    assert "en.toml" in str(info.value)


def test_empty_variant_list(catalogue_dir: Path) -> None:
    """An entry with an empty list of variants is an error naming entry and field."""
    _edit(
        catalogue_dir / "en.toml",
        'text = ["Be flexible. No single solution suits every customer."]',
        "text = []",
    )
    with pytest.raises(de.CatalogueError, match="empty") as info:
        _load(catalogue_dir)
    assert (info.value.entry_id, info.value.field) == ("resolve.flexible", "text")


def test_toml_syntax_error_names_file_and_line(catalogue_dir: Path) -> None:
    """Broken TOML is a CatalogueSyntaxError with the file and the line."""
    en = catalogue_dir / "en.toml"
    _edit(en, 'text = ["Be flexible.', 'text = "Be flexible.')
    with pytest.raises(de.CatalogueSyntaxError) as info:
        _load(catalogue_dir)
    assert info.value.line == _line_of(en, 'text = "Be flexible.')
    assert f"en.toml:{info.value.line}" in str(info.value)


def test_unknown_id_in_locale_file(catalogue_dir: Path) -> None:
    """A locale file with an id the neutral file doesn't know is an error."""
    en = catalogue_dir / "en.toml"
    en.write_text(
        en.read_text(encoding="utf-8") + '\n[entries."calm.made-up"]\ntext = ["Hello."]\n',
        encoding="utf-8",
    )
    with pytest.raises(de.CatalogueError, match="no entry with this id") as info:
        _load(catalogue_dir)
    assert info.value.entry_id == "calm.made-up"
    assert info.value.line == _line_of(en, '[entries."calm.made-up"]')


def test_unknown_key_is_an_error_not_dropped(catalogue_dir: Path) -> None:
    """A misspelt key in an entry is reported, not silently ignored."""
    en = catalogue_dir / "en.toml"
    _edit(en, '[entries."resolve.flexible"]\n', '[entries."resolve.flexible"]\ntxet = ["x"]\n')
    with pytest.raises(de.CatalogueError, match="unknown key") as info:
        _load(catalogue_dir)
    assert (info.value.entry_id, info.value.field) == ("resolve.flexible", "txet")
    assert info.value.line == _line_of(en, "txet")


def test_undeclared_placeholder_in_neutral_plural(catalogue_dir: Path) -> None:
    """A plural declaration that names no number placeholder is an error."""
    _edit(catalogue_dir / "entries.toml", 'plural = "days"', 'plural = "weeks"')
    with pytest.raises(de.CatalogueError, match="plural") as info:
        _load(catalogue_dir)
    assert info.value.entry_id == "apologise.faulty-product.replacement"


def test_bad_placeholder_type_in_neutral_file(catalogue_dir: Path) -> None:
    """A placeholder of an unknown type is an error naming the entry and field."""
    _edit(
        catalogue_dir / "entries.toml",
        '{ type = "list", style = "or", description = "Two',
        '{ type = "lst", style = "or", description = "Two',
    )
    with pytest.raises(de.CatalogueError) as info:
        _load(catalogue_dir)
    assert info.value.entry_id == "resolve.options"
    assert info.value.field is not None and info.value.field.startswith("placeholders.options")


def test_entry_with_unknown_situation(catalogue_dir: Path) -> None:
    """An entry for a situation the file doesn't define lists the defined ones."""
    _edit(catalogue_dir / "entries.toml", 'situations = ["late-delivery"]', 'situations = ["late"]')
    with pytest.raises(de.CatalogueError, match="unknown situation 'late'"):
        _load(catalogue_dir)


def test_register_key_not_in_locale(catalogue_dir: Path) -> None:
    """A formal text in a locale that has only the neutral register is an error."""
    _edit(
        catalogue_dir / "en.toml",
        'text = ["Be flexible. No single solution suits every customer."]',
        'formal = ["Be flexible."]',
    )
    with pytest.raises(de.CatalogueError, match="register") as info:
        _load(catalogue_dir)
    assert info.value.field == "formal"


def test_plural_form_not_a_cldr_category(catalogue_dir: Path) -> None:
    """A plural form that is no CLDR category at all is an error at load."""
    _edit(
        catalogue_dir / "en.toml",
        "{ one = \"I'm really sorry the product",
        '{ several = "x {days}", one = "I\'m sorry the product',
    )
    with pytest.raises(de.CatalogueError, match="several"):
        _load(catalogue_dir)


def test_plural_form_the_language_does_not_use(catalogue_dir: Path) -> None:
    """'few' is a CLDR category English does not use: check reports it, with its line."""
    from deescalate.checks import check

    _edit(
        catalogue_dir / "en.toml",
        "{ one = \"I'm really sorry the product",
        '{ few = "x {days}", one = "I\'m sorry the product',
    )
    book = _load(catalogue_dir)
    (problem,) = [p for p in check(book).problems if p.code == "plural"]
    assert "few" in problem.message
    assert problem.entry_id == "apologise.faulty-product.replacement"
    assert problem.line is not None
    with_days = book.pick(
        "apologise",
        situation="faulty-product",
        values={"days": 3},
        variant=0,
        entry="apologise.faulty-product.replacement",
    )
    assert with_days.text.endswith("3 working days.")


def test_locale_id_must_match_file_name(catalogue_dir: Path) -> None:
    """The [locale] id and the file name agree."""
    _edit(catalogue_dir / "en.toml", 'id = "en"', 'id = "de"')
    with pytest.raises(de.CatalogueError, match="does not match the file name"):
        _load(catalogue_dir)


def test_badly_named_locale_file(catalogue_dir: Path) -> None:
    """A locale file must be named in Babel's spelling."""
    (catalogue_dir / "zh-hans.toml").write_text("", encoding="utf-8")
    with pytest.raises(de.CatalogueError, match=r"zh_Hans\.toml"):
        de.Phrasebook.from_directory(catalogue_dir)


def test_not_utf8(catalogue_dir: Path) -> None:
    """A file that is not UTF-8 is a syntax error with the line."""
    en = catalogue_dir / "en.toml"
    expected = _line_of(en, "Be flexible.")
    en.write_bytes(en.read_bytes().replace(b"Be flexible.", b"Be fl\xe9xible.", 1))
    with pytest.raises(de.CatalogueSyntaxError, match="UTF-8") as info:
        _load(catalogue_dir)
    assert info.value.line == expected


def test_ladder_must_name_entries_of_its_situation(catalogue_dir: Path) -> None:
    """A ladder step that is not an entry of the situation is an error."""
    _edit(catalogue_dir / "entries.toml", '"calm.abusive-language.warning",', '"calm.acknowledge",')
    with pytest.raises(de.CatalogueError, match="ladder step 2"):
        de.Phrasebook.from_directory(catalogue_dir)


def test_cycle_of_parents(catalogue_dir: Path) -> None:
    """Situations whose parents form a cycle are rejected."""
    _edit(
        catalogue_dir / "entries.toml",
        '[situations.general]\ndescription = "Any upset customer."',
        '[situations.general]\nparent = "late-delivery"\ndescription = "Any upset customer."',
    )
    with pytest.raises(de.CatalogueError, match="cycle"):
        de.Phrasebook.from_directory(catalogue_dir)


def test_find_line_locates_entry_and_field() -> None:
    """find_line finds a keyed table and a field inside it, counting from 1."""
    text = '[a]\nx = 1\n\n[entries."b.c"]\nkind = "tip"\nnotes = "n"\n'
    assert find_line(text, "entries", "b.c") == 4
    assert find_line(text, "entries", "b.c", "notes") == 6
    assert find_line(text, "a", None, "x") == 2
    assert find_line(text, "entries", "nope") is None


def test_shipped_catalogues_are_read_lazily(tmp_path: Path, catalogue_dir: Path) -> None:
    """A broken locale file breaks only that locale; the others keep working."""
    (catalogue_dir / "da.toml").write_text("this is not toml", encoding="utf-8")
    book = de.Phrasebook.from_directory(catalogue_dir)
    assert book.pick("calm", seed=1).locale == "en"
    with pytest.raises(de.CatalogueSyntaxError):
        book.pick("calm", locale="da")


def test_the_shipped_catalogue_of_a_plain_install_is_opened_as_a_directory() -> None:
    """A package installed as a plain directory has its catalogues opened directly, as a
    Path to the package's own locales/, with no importlib.resources machinery."""
    from pathlib import Path

    from deescalate.catalogue import shipped_catalogue

    found = shipped_catalogue()
    assert isinstance(found, Path)
    assert found == Path(de.__file__).parent / "locales"
    assert (found / "entries.toml").is_file()
