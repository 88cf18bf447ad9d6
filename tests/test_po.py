"""PO export and import: losslessness, stale translations, bad input, third-party QA."""

from __future__ import annotations

import difflib
import gettext
import io
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

import deescalate as de
from deescalate.catalogue import fingerprint, shipped_catalogue
from deescalate.checks import Severity, check
from deescalate.cli import main
from deescalate.i18n import plural_categories, plural_category
from deescalate.po import (
    ChangeKind,
    export_po,
    export_pot,
    import_po,
    message_context,
    parse_context,
    plural_forms,
    source_texts,
    stamp,
    write_exports,
)

SHIPPED_BOOK = de.Phrasebook.default()
LOCALES = SHIPPED_BOOK.locales
TRANSLATED = tuple(locale for locale in LOCALES if locale != "en")


# --- helpers --------------------------------------------------------------------------


def copy_catalogue(tmp_path: Path, *, unstamped: bool = False) -> Path:
    """A writable copy of every shipped catalogue file (tests never write the real ones).

    The copy's fingerprints are recorded afresh against the current English, so
    that these tests of the PO and stamp mechanics start from a known state
    whether or not the shipped translations have been reviewed since the last
    English edit (a stale shipped translation is a warning of `check`, tested
    in test_locales). ``unstamped`` leaves the fingerprints out, for tests of
    stamping itself.
    """
    target = tmp_path / "locales"
    target.mkdir()
    for item in shipped_catalogue().iterdir():
        if item.name.endswith(".toml"):
            data = re.sub(rb'(?m)^source = "[0-9a-f]+"\n', b"", item.read_bytes())
            (target / item.name).write_bytes(data)
    if not unstamped:
        for locale in TRANSLATED:
            stamp(target, locale)
    return target


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file in a directory, by name, to prove nothing changed."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def exported(directory: Path, locale: str, tmp_path: Path) -> Path:
    """Export a locale of ``directory`` to a PO file in ``tmp_path``."""
    book = de.Phrasebook.from_directory(directory)
    path = tmp_path / f"{locale}.po"
    path.write_bytes(export_po(book, locale))
    return path


def line_of(text: str, needle: str, start: int = 1) -> int:
    """The line (from 1) of the first line containing ``needle`` at or after ``start``."""
    for number, line in enumerate(text.split("\n"), start=1):
        if number >= start and needle in line:
            return number
    raise LookupError(needle)


def msgstr_line(text: str, context: str) -> int:
    """The line of the first msgstr of the message with this msgctxt."""
    return line_of(text, "msgstr", line_of(text, f'msgctxt "{context}"'))


def edit_msgstr(text: str, context: str, old: str, new: str) -> str:
    """Replace ``old`` by ``new`` in the msgstr lines of one message, as a text editor would."""
    lines = text.split("\n")
    index = msgstr_line(text, context) - 1
    while lines[index]:
        lines[index] = lines[index].replace(old, new)
        index += 1
    edited = "\n".join(lines)
    if edited == text:
        raise LookupError(old)
    return edited


def babel_edit(path: Path, edits: dict[str, str | tuple[str, ...]], **write: object) -> None:
    """Rewrite a PO file as a translator's tool would: Babel reads it, changes, writes."""
    catalog = read_po(io.BytesIO(path.read_bytes()))
    for message in catalog:
        if message.context in edits:
            message.string = edits[message.context]
    buffer = io.BytesIO()
    write_po(buffer, catalog, **write)  # type: ignore[arg-type]
    path.write_bytes(buffer.getvalue())


def require_tool(name: str) -> str:
    """The path of a command-line tool; a missing tool fails (CI must install it)."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]' (or Debian's gettext)")
    return found


# --- keys -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ("restate.own-words:formal:0", ("restate.own-words", "formal", 0)),
        ("calm.even-tone:text:12", ("calm.even-tone", "text", 12)),
        ("restate.own-words:neutral:0", None),
        ("restate.own-words:formal:01", None),
        ("restate.own-words:formal", None),
        ("Restate.own-words:formal:0", None),
        ("", None),
    ],
)
def test_parse_context(context: str, expected: tuple[str, str, int] | None) -> None:
    """msgctxt keys are entry:register:index; anything else is not a key of ours."""
    assert parse_context(context) == expected
    if expected is not None:
        assert message_context(*expected) == context


# --- export ---------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_export_has_one_message_per_variant_and_register(locale: str) -> None:
    """Every variant of every register is one message with a stable key; order is fixed."""
    data = SHIPPED_BOOK.locale_data(locale)
    catalog = read_po(io.BytesIO(export_po(SHIPPED_BOOK, locale)))
    contexts = [m.context for m in catalog if m.id]
    assert len(contexts) == len(set(contexts))
    expected = {
        message_context(eid, "text" if register is None else register.value, v.index)
        for eid, texts in data.texts.items()
        for register, variants in texts.items()
        for v in variants
    }
    assert expected <= set(contexts)
    assert export_po(SHIPPED_BOOK, locale) == export_po(SHIPPED_BOOK, locale)


def test_export_comments_flags_and_plurals() -> None:
    """Auto comments carry the metadata; placeholders are python-brace-format; CLDR plurals."""
    catalog = read_po(io.BytesIO(export_po(SHIPPED_BOOK, "ro")))
    assert catalog.num_plurals == 3
    plural = next(
        m for m in catalog if m.context == "apologise.faulty-product.replacement:formal:0"
    )
    assert plural.pluralizable
    assert plural.id[0].endswith("within {days} working day.")
    assert len(plural.string) == 3
    assert "zi lucrătoare" in plural.string[0]
    assert "python-brace-format" in plural.flags
    comments = "\n".join(plural.auto_comments)
    assert "stage: apologise" in comments
    assert "situations: faulty-product" in comments
    assert "flags: no-promise" in comments
    assert "{days} (number, chooses the plural form)" in comments
    assert "notes: Apologise for the faulty item" in comments
    tip = next(m for m in catalog if m.context == "calm.even-tone:text:0")
    assert "python-brace-format" not in tip.flags
    assert "kind: tip (advice for the agent)" in tip.auto_comments[0]


def test_extra_locale_variants_use_the_closest_english_variant() -> None:
    """A variant beyond English's count is shown with an English variant with its placeholders."""
    book = SHIPPED_BOOK
    english = book.locale_data("en")
    catalog = read_po(io.BytesIO(export_po(book, "af")))
    checked = 0
    for message in catalog:
        if not message.id or message.pluralizable:
            continue
        parsed = parse_context(message.context or "")
        assert parsed is not None
        eid, _key, index = parsed
        source = english.texts[eid][None]
        if index < len(source):
            continue
        checked += 1
        assert message.id in {v.source for v in source}
        names = set(re.findall(r"\{([a-z_]+)\}", message.string))
        if any(v.names == names for v in source):
            assert set(re.findall(r"\{([a-z_]+)\}", message.id)) == names
    assert checked


def test_untranslated_entries_export_with_empty_msgstr(tmp_path: Path) -> None:
    """An entry missing from a locale exports one empty message per English variant and register."""
    directory = copy_catalogue(tmp_path)
    da = directory / "da.toml"
    text = da.read_text(encoding="utf-8")
    start = text.index('[entries."calm.acknowledge"]')
    end = text.index("[entries.", start + 1)
    da.write_text(text[:start] + text[end:], encoding="utf-8")
    catalog = read_po(io.BytesIO(export_po(de.Phrasebook.from_directory(directory), "da")))
    english = SHIPPED_BOOK.locale_data("en").texts["calm.acknowledge"][None]
    for key in ("formal", "informal"):
        for index, variant in enumerate(english):
            message = next(
                m for m in catalog if m.context == message_context("calm.acknowledge", key, index)
            )
            assert message.string == ""
            assert message.id == variant.source


@pytest.mark.parametrize(
    "locale", [*LOCALES, "ar", "cy", "cs", "fr", "ga", "lt", "pl", "pt", "ru", "sl", "zh_Hant"]
)
def test_plural_forms_header_follows_cldr(locale: str) -> None:
    """Plural-Forms picks form i for the i-th CLDR category, for any locale, new ones too."""
    header = plural_forms(locale)
    match = re.fullmatch(r"nplurals=(\d+); plural=(.+);", header)
    assert match is not None
    categories = plural_categories(locale)
    assert int(match[1]) == len(categories)
    rule = gettext.c2py(match[2])
    assert all(rule(n) == categories.index(plural_category(locale, n)) for n in range(2000))


def test_template_has_every_english_variant() -> None:
    """deescalate.pot holds each English variant once, untranslated."""
    catalog = read_po(io.BytesIO(export_pot(SHIPPED_BOOK)))
    english = SHIPPED_BOOK.locale_data("en")
    count = sum(len(texts[None]) for texts in english.texts.values())
    messages = [m for m in catalog if m.id]
    assert len(messages) == count
    assert all(not any(m.string) if m.pluralizable else not m.string for m in messages)


def test_write_exports_writes_po_and_pot(tmp_path: Path) -> None:
    """write_exports writes LOCALE.po and deescalate.pot; an unknown locale is an error."""
    po, pot = write_exports(SHIPPED_BOOK, "ko", tmp_path / "out")
    assert po.read_bytes() == export_po(SHIPPED_BOOK, "ko")
    assert pot.name == "deescalate.pot"
    with pytest.raises(de.InvalidOptionError, match="invalid catalogue locale 'de'"):
        write_exports(SHIPPED_BOOK, "de", tmp_path / "out")


# --- losslessness -----------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_round_trip_is_byte_identical(locale: str, tmp_path: Path) -> None:
    """export -> import -> export gives the same bytes, and the import changes no file."""
    directory = copy_catalogue(tmp_path)
    before = snapshot(directory)
    po = exported(directory, locale, tmp_path)
    first = po.read_bytes()
    result = import_po(po, directory)
    assert result.changes == ()
    assert not result.written
    assert snapshot(directory) == before
    assert export_po(de.Phrasebook.from_directory(directory), locale) == first


def test_edited_po_changes_exactly_the_edited_texts(tmp_path: Path) -> None:
    """A PO rewritten by a tool (reordered, rewrapped, new header, comments) changes only edits."""
    directory = copy_catalogue(tmp_path)
    original = (directory / "ro.toml").read_text(encoding="utf-8")
    po = exported(directory, "ro", tmp_path)
    catalog = read_po(io.BytesIO(po.read_bytes()))
    edits = {
        "calm.even-tone:text:0": "Păstrează un ton calm și profesionist, orice ar spune clientul.",
        "apologise.faulty-product.replacement:informal:1": (
            "Îți cer scuze. Înlocuirea ajunge în {days} zi lucrătoare.",
            "Îți cer scuze. Înlocuirea ajunge în {days} zile lucrătoare.",
            "Îți cer scuze. Înlocuirea ajunge în {days} de zile lucrătoare.",
        ),
    }
    for message in catalog:
        if message.context in edits:
            message.string = edits[message.context]
        if message.id:
            message.user_comments = ["checked by the reviewer"]
    catalog.last_translator = "Ana Pop <ana@example.com>"
    catalog.language_team = "Română"
    # What Poedit writes for Romanian: another expression, the same three forms.
    catalog.mime_headers = [
        (
            "Plural-Forms",
            "nplurals=3; plural=(n==1 ? 0 : (n==0 || (n%100 > 0 && n%100 < 20)) ? 1 : 2);",
        )
    ]
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=50, sort_output=True)
    po.write_bytes(buffer.getvalue())

    result = import_po(po, directory)
    assert result.written
    assert sorted((c.entry_id, c.key, c.index) for c in result.changes) == [
        ("apologise.faulty-product.replacement", "informal", 1),
        ("calm.even-tone", "text", 0),
    ]
    updated = (directory / "ro.toml").read_text(encoding="utf-8")
    diff = list(difflib.ndiff(original.split("\n"), updated.split("\n")))
    minus = [line[2:] for line in diff if line.startswith("- ")]
    plus = [line[2:] for line in diff if line.startswith("+ ")]
    shipped = SHIPPED_BOOK.locale_data("ro")
    old_tone = shipped.texts["calm.even-tone"][None][0].source
    old_forms = shipped.texts["apologise.faulty-product.replacement"][de.Register.INFORMAL][1]
    assert isinstance(old_tone, str)
    assert not isinstance(old_forms.source, str)
    assert len(minus) == 2
    assert sum(old_tone in line for line in minus) == 1
    assert sum(old_forms.source["few"] in line for line in minus) == 1
    assert sum(str(edits["calm.even-tone:text:0"]) in line for line in plus) == 1
    assert sum("Înlocuirea ajunge în {days} zile" in line for line in plus) == 1
    # An edited entry gets a `source` line only if it had no fingerprint yet.
    unstamped = sum(
        1
        for entry_id in ("calm.even-tone", "apologise.faulty-product.replacement")
        if entry_id not in shipped.fingerprints
    )
    assert sum(line.startswith("source = ") for line in plus) == unstamped
    assert len(plus) == 2 + unstamped
    book = de.Phrasebook.from_directory(directory)
    data = book.locale_data("ro")
    assert data.texts["calm.even-tone"][None][0].source == edits["calm.even-tone:text:0"]


def test_import_of_a_new_translation_adds_the_entry(tmp_path: Path) -> None:
    """Translating an untranslated entry in PO adds its table, in the neutral file's order."""
    directory = copy_catalogue(tmp_path)
    da = directory / "da.toml"
    text = da.read_text(encoding="utf-8")
    start = text.index('[entries."calm.no-sighs"]')
    end = text.index("[entries.", start + 1)
    da.write_text(text[:start] + text[end:], encoding="utf-8")
    po = exported(directory, "da", tmp_path)
    babel_edit(po, {"calm.no-sighs:text:0": "Suk ikke højlydt."})
    result = import_po(po, directory)
    assert [(c.kind, c.entry_id) for c in result.changes] == [(ChangeKind.ADD, "calm.no-sighs")]
    updated = da.read_text(encoding="utf-8")
    assert updated.index('[entries."calm.two-breaths"]') < updated.index(
        '[entries."calm.no-sighs"]'
    )
    data = de.Phrasebook.from_directory(directory).locale_data("da")
    assert data.texts["calm.no-sighs"][None][0].source == "Suk ikke højlydt."
    english = SHIPPED_BOOK.locale_data("en").texts["calm.no-sighs"]
    assert data.fingerprints["calm.no-sighs"] == fingerprint(source_texts(english))


def test_emptied_last_variant_is_removed_and_a_gap_is_an_error(tmp_path: Path) -> None:
    """Emptying the last variants removes them; emptying one in the middle is refused."""
    directory = copy_catalogue(tmp_path)
    data = SHIPPED_BOOK.locale_data("da")
    variants = data.texts["calm.here-to-help"][de.Register.FORMAL]
    last = len(variants) - 1
    po = exported(directory, "da", tmp_path)
    babel_edit(po, {f"calm.here-to-help:formal:{last}": ""})
    result = import_po(po, directory, dry_run=True)
    assert [(c.kind, c.index) for c in result.changes] == [(ChangeKind.REMOVE, last)]
    assert not result.written

    po = exported(directory, "da", tmp_path)
    babel_edit(po, {"calm.here-to-help:formal:0": ""})
    before = snapshot(directory)
    text = po.read_text(encoding="utf-8")
    with pytest.raises(de.PoFileError, match="without gaps") as caught:
        import_po(po, directory)
    assert caught.value.line == msgstr_line(text, "calm.here-to-help:formal:1")
    assert snapshot(directory) == before


def test_dry_run_reports_and_writes_nothing(tmp_path: Path) -> None:
    """--dry-run lists the changes and leaves every file as it was."""
    directory = copy_catalogue(tmp_path)
    before = snapshot(directory)
    po = exported(directory, "zh_Hans", tmp_path)
    babel_edit(po, {"calm.even-tone:text:0": "保持平稳、专业的语气。"})
    result = import_po(po, directory, dry_run=True)
    assert [str(c).split(":")[0] for c in result.changes] == ["change calm.even-tone text[0]"]
    assert not result.written
    assert snapshot(directory) == before


def test_fuzzy_messages_are_not_imported(tmp_path: Path) -> None:
    """A fuzzy message is a draft: its text is not imported, and the import says so."""
    directory = copy_catalogue(tmp_path)
    before = snapshot(directory)
    po = exported(directory, "ko", tmp_path)
    catalog = read_po(io.BytesIO(po.read_bytes()))
    for message in catalog:
        if message.context == "calm.even-tone:text:0":
            message.string = "초안"
            message.flags.add("fuzzy")
    buffer = io.BytesIO()
    write_po(buffer, catalog)
    po.write_bytes(buffer.getvalue())
    result = import_po(po, directory)
    assert result.fuzzy == ("calm.even-tone:text:0",)
    assert result.changes == ()
    assert snapshot(directory) == before


# --- stale translations ---------------------------------------------------------------


def test_stale_translation_is_reported_fuzzy_and_cleared_by_review(tmp_path: Path) -> None:
    """An English edit after stamping: check warns, export is fuzzy with #|, review clears it."""
    directory = copy_catalogue(tmp_path, unstamped=True)
    stamped = stamp(directory, "da")
    assert "calm.no-sighs" in stamped
    assert stamp(directory, "da") == ()
    book = de.Phrasebook.from_directory(directory)
    assert not [p for p in check(book, ("da",)).problems if p.code == "stale"]

    old_english = tmp_path / "en-old.toml"
    shutil.copy(directory / "en.toml", old_english)
    en = directory / "en.toml"
    old_text = SHIPPED_BOOK.locale_data("en").texts["calm.no-sighs"][None][0].source
    new_text = "Keep sighs and heavy breathing off the line: they sound like impatience."
    en.write_text(en.read_text(encoding="utf-8").replace(old_text, new_text), encoding="utf-8")

    book = de.Phrasebook.from_directory(directory)
    stale = [p for p in check(book, ("da",)).problems if p.code == "stale"]
    assert [(p.entry_id, p.severity) for p in stale] == [("calm.no-sighs", Severity.WARNING)]
    assert stale[0].line is not None
    assert (
        (directory / "da.toml")
        .read_text(encoding="utf-8")
        .split("\n")[stale[0].line - 1]
        .startswith("source")
    )

    plain = export_po(book, "da").decode()
    assert "#, fuzzy\n" + 'msgctxt "calm.no-sighs:text:0"' in plain
    assert "#| msgid" not in plain
    with_previous = export_po(book, "da", previous_source=old_english).decode()
    block = with_previous[: with_previous.index('msgctxt "calm.no-sighs:text:0"')]
    assert "#| msgid" in block.split("\n\n")[-1]
    assert "Make sure the customer can't hear you sigh" in block.split("\n\n")[-1]

    po = tmp_path / "da.po"
    po.write_bytes(plain.encode())
    assert import_po(po, directory).changes == ()  # fuzzy: nothing is reviewed yet
    catalog = read_po(io.BytesIO(po.read_bytes()))
    for message in catalog:
        message.flags.discard("fuzzy")
    buffer = io.BytesIO()
    write_po(buffer, catalog)
    po.write_bytes(buffer.getvalue())
    result = import_po(po, directory)
    assert [(c.kind, c.entry_id) for c in result.changes] == [
        (ChangeKind.REVIEWED, "calm.no-sighs")
    ]
    book = de.Phrasebook.from_directory(directory)
    assert not [p for p in check(book, ("da",)).problems if p.code == "stale"]


def test_stamp_named_entries_and_refusals(tmp_path: Path) -> None:
    """stamp --entry records reviewed entries; English and unknown locales are refused."""
    directory = copy_catalogue(tmp_path, unstamped=True)
    assert stamp(directory, "ro", entries=["calm.even-tone"], dry_run=True) == ("calm.even-tone",)
    assert "source" not in (directory / "ro.toml").read_text(encoding="utf-8")
    assert stamp(directory, "ro", entries=["calm.even-tone"]) == ("calm.even-tone",)
    data = de.Phrasebook.from_directory(directory).locale_data("ro")
    assert set(data.fingerprints) == {"calm.even-tone"}
    with pytest.raises(de.InvalidOptionError, match="'en'; valid: af, da, ko, ro, zh_Hans"):
        stamp(directory, "en")
    with pytest.raises(de.InvalidOptionError, match="'de'"):
        stamp(directory, "de")


def test_fingerprint_follows_the_text() -> None:
    """The fingerprint changes with any text or variant, not with key or plural-form order."""
    base = fingerprint({"text": ["a", {"one": "{n} day", "other": "{n} days"}]})
    assert base == fingerprint({"text": ["a", {"other": "{n} days", "one": "{n} day"}]})
    assert base != fingerprint({"text": ["a ", {"one": "{n} day", "other": "{n} days"}]})
    assert base != fingerprint({"text": ["a"]})
    assert re.fullmatch(r"[0-9a-f]{16}", base)


# --- bad input ------------------------------------------------------------------------


def broken(tmp_path: Path, locale: str = "da") -> tuple[Path, Path, str, dict[str, bytes]]:
    """A catalogue copy, its exported PO, the PO text and a snapshot of the copy."""
    directory = copy_catalogue(tmp_path)
    po = exported(directory, locale, tmp_path)
    return directory, po, po.read_text(encoding="utf-8"), snapshot(directory)


def test_broken_placeholder_is_refused(tmp_path: Path) -> None:
    """{amout} for {amount}: the loader's own template check, with the PO line; nothing changes."""
    directory, po, text, before = broken(tmp_path)
    context = "resolve.billing-error.refund:informal:0"
    catalog = read_po(io.BytesIO(po.read_bytes()))
    message = next(m for m in catalog if m.context == context)
    assert "{amount}" in message.string
    message.string = message.string.replace("{amount}", "{amout}")
    buffer = io.BytesIO()
    write_po(buffer, catalog)
    po.write_bytes(buffer.getvalue())
    text = po.read_text(encoding="utf-8")
    with pytest.raises(de.PoFileError, match=r"placeholder '\{amout\}' is not declared") as err:
        import_po(po, directory)
    assert err.value.line == msgstr_line(text, context)
    assert err.value.path == str(po)
    assert snapshot(directory) == before


def test_missing_plural_form_is_refused(tmp_path: Path) -> None:
    """A plural message with an empty form is incomplete; nothing changes."""
    directory, po, text, before = broken(tmp_path, "ro")
    context = "apologise.faulty-product.replacement:formal:0"
    line = msgstr_line(text, context)
    lines = text.split("\n")
    few = next(i for i in range(line - 1, len(lines)) if lines[i].startswith("msgstr[1]"))
    lines[few] = 'msgstr[1] ""'
    while lines[few + 1].startswith('"'):
        del lines[few + 1]
    po.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(
        de.PoFileError, match=r"plural forms incomplete, msgstr\[1\] \(few\)"
    ) as err:
        import_po(po, directory)
    assert err.value.line == line
    assert snapshot(directory) == before


def test_unknown_msgctxt_is_refused(tmp_path: Path) -> None:
    """A msgctxt that matches no entry (or a register the locale lacks) names its line."""
    directory, po, text, before = broken(tmp_path)
    text = text.replace('msgctxt "calm.no-sighs:text:0"', 'msgctxt "calm.no-sigh:text:0"')
    text = text.replace('msgctxt "calm.even-tone:text:0"', 'msgctxt "calm.even-tone:formal:0"')
    po.write_text(text, encoding="utf-8")
    with pytest.raises(de.PoFileError) as err:
        import_po(po, directory)
    assert err.value.line == msgstr_line(text, "calm.even-tone:formal:0")
    assert "tips have one register" in err.value.problem
    assert "'calm.no-sigh:text:0' matches no entry" in str(err.value)
    assert f":{msgstr_line(text, 'calm.no-sigh:text:0')}: " in str(err.value)
    assert snapshot(directory) == before


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    """A file cut off in the middle (by bytes, or after a msgid) is refused as truncated."""
    directory, po, text, before = broken(tmp_path)
    raw = text.encode("utf-8")
    # In the middle of a line: a cut just after a line break leaves a shorter, whole file.
    half = len(raw) // 2
    cut = raw[: half - 1 if raw[half - 1 : half] == b"\n" else half]
    po.write_bytes(cut)
    with pytest.raises(de.PoFileError, match="truncated") as err:
        import_po(po, directory)
    assert err.value.line == cut.count(b"\n") + 1 or err.value.line == cut.count(b"\n")
    last_msgid = text.rindex("\nmsgid")
    po.write_text(text[: text.index("\n", last_msgid + 1) + 1], encoding="utf-8")
    with pytest.raises(de.PoFileError, match="truncated") as err:
        import_po(po, directory)
    assert err.value.line == text[: last_msgid + 1].count("\n") + 1
    assert snapshot(directory) == before


def test_wrong_charset_is_refused(tmp_path: Path) -> None:
    """A header that declares another charset than UTF-8 is refused at its line."""
    directory, po, text, before = broken(tmp_path)
    text = text.replace("charset=utf-8", "charset=ISO-8859-1")
    po.write_text(text, encoding="utf-8")
    with pytest.raises(de.PoFileError, match="charset 'iso-8859-1'") as err:
        import_po(po, directory)
    assert err.value.line == line_of(text, "Content-Type")
    assert snapshot(directory) == before


def test_invalid_utf8_is_refused(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 (a Latin-1 save) are refused at their line."""
    directory, po, text, before = broken(tmp_path)
    po.write_bytes(text.encode("utf-8").replace("ø".encode(), b"\xf8", 1))
    with pytest.raises(de.PoFileError, match="not valid UTF-8") as err:
        import_po(po, directory)
    assert err.value.line == line_of(text, "ø")
    assert snapshot(directory) == before


def test_windows_line_endings_are_refused(tmp_path: Path) -> None:
    """CRLF line endings are refused on the first line that has one."""
    directory, po, text, before = broken(tmp_path)
    po.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    with pytest.raises(de.PoFileError, match="CRLF") as err:
        import_po(po, directory)
    assert err.value.line == 1
    assert snapshot(directory) == before


def test_byte_order_mark_is_refused(tmp_path: Path) -> None:
    """A UTF-8 byte order mark is refused at line 1."""
    directory, po, text, before = broken(tmp_path)
    po.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    with pytest.raises(de.PoFileError, match="byte order mark") as err:
        import_po(po, directory)
    assert err.value.line == 1
    assert snapshot(directory) == before


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('"Language: da\\n"', '"Language: de\\n"', "no catalogue file for locale 'de'"),
        ("nplurals=2; plural=(n != 1);", "nplurals=3; plural=(n != 1);", "nplurals=3"),
        ('msgctxt "calm.no-sighs:text:0"\n', "", "no msgctxt"),
        ('msgctxt "calm.no-sighs:text:0"', 'msgctxt "calm.even-tone:text:0"', "appears twice"),
        (
            'msgctxt "apologise.faulty-product.replacement:formal:0"',
            'msgctxt "calm.even-tone:text:5"',
            "a single msgstr",
        ),
    ],
)
def test_header_and_key_problems_are_refused(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    """Wrong Language or Plural-Forms, a missing, doubled or mismatched key: refused, no change."""
    directory, po, text, before = broken(tmp_path)
    assert old in text
    po.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(de.PoFileError, match=re.escape(problem)) as err:
        import_po(po, directory)
    assert err.value.line is not None
    assert snapshot(directory) == before


def test_every_problem_is_reported(tmp_path: Path) -> None:
    """Several bad messages: one error, naming the first line and listing every other."""
    directory, po, text, before = broken(tmp_path)
    for context in ("calm.here-to-help:formal:3", "calm.here-to-help:informal:3"):
        text = edit_msgstr(text, context, "{name}", "{navn}")
    po.write_text(text, encoding="utf-8")
    with pytest.raises(de.PoFileError) as err:
        import_po(po, directory)
    first = msgstr_line(text, "calm.here-to-help:formal:3")
    second = msgstr_line(text, "calm.here-to-help:informal:3")
    assert err.value.line == first
    assert "(and 1 more problem(s)" in str(err.value)
    assert f"{po}:{second}: " in str(err.value)
    assert [line for line, _ in err.value.problems] == [first, second]
    assert all("{navn}" in problem for _, problem in err.value.problems)
    assert snapshot(directory) == before


# --- third-party QA: GNU msgfmt and translate-toolkit's pofilter ------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_msgfmt_accepts_every_export(locale: str, tmp_path: Path) -> None:
    """GNU msgfmt --check-format --check-header finds nothing in any exported locale."""
    msgfmt = require_tool("msgfmt")
    po = tmp_path / f"{locale}.po"
    po.write_bytes(export_po(SHIPPED_BOOK, locale))
    done = subprocess.run(
        [msgfmt, "--check-format", "--check-header", "-o", str(tmp_path / "out.mo"), str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_msgfmt_catches_a_renamed_placeholder(tmp_path: Path) -> None:
    """The python-brace-format flag is what lets msgfmt see {navn} for {name}."""
    msgfmt = require_tool("msgfmt")
    # A copy reviewed against the current English: msgfmt skips fuzzy messages.
    book = de.Phrasebook.from_directory(copy_catalogue(tmp_path))
    text = export_po(book, "da").decode()
    po = tmp_path / "da.po"
    po.write_text(edit_msgstr(text, "calm.here-to-help:formal:3", "{name}", "{navn}"), "utf-8")
    done = subprocess.run(
        [msgfmt, "--check-format", "-o", os.devnull, str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert f"{po}:{msgstr_line(text, 'calm.here-to-help:formal:3')}: " in done.stderr
    assert "argument 'name' doesn't exist in 'msgstr'" in done.stderr


POFILTER_CHECKS = (
    "variables",
    "pythonbraceformat",
    "brackets",
    "doublespacing",
    "startwhitespace",
    "endwhitespace",
    "endpunc",
    "untranslated",
    "xmltags",
    "nplurals",
)

POFILTER_OFF: dict[str, dict[str, str]] = {
    # endpunc compares the last character with the English. Our texts are parallel
    # rephrasings, not sentence translations, and these languages restate by asking
    # back: Afrikaans "... Klop dit?", Romanian "... Așa este?", Korean "... 맞습니까?",
    # Chinese "……，对吗？", where English states ("Let me make sure I have this
    # right: ..."). Danish and English keep the check.
    "af": {"endpunc": "restating ends with the tag question 'Klop dit?'"},
    "ro": {"endpunc": "restating ends with the tag question 'Așa este?' / 'Așa e?'"},
    "ko": {"endpunc": "restating and inviting ends with a confirming question (맞습니까?)"},
    "zh_Hans": {"endpunc": "restating ends with a confirming question (对吗？/好吗？)"},
    "zh_Hant": {"endpunc": "restating ends with a confirming question (對嗎？/好嗎？)"},
}


@pytest.mark.parametrize("locale", LOCALES)
def test_pofilter_is_clean(locale: str, tmp_path: Path) -> None:
    """translate-toolkit's pofilter, with the checks that apply to the language, finds nothing."""
    po = tmp_path / f"{locale}.po"
    po.write_bytes(export_po(SHIPPED_BOOK, locale))
    report = tmp_path / "pofilter.po"
    checks = [c for c in POFILTER_CHECKS if c not in POFILTER_OFF.get(locale, {})]
    command = [sys.executable, "-m", "translate.filters.pofilter", "--progress=none"]
    command += [f"--language={locale}", *(f"--test={c}" for c in checks)]
    done = subprocess.run(
        [*command, "-i", str(po), "-o", str(report)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # pofilter exits 0 whatever it finds; its findings are comments in its output.
    findings = report.read_text(encoding="utf-8") if report.exists() else ""
    assert findings.count("# (pofilter)") == 0, findings


def test_pofilter_finds_a_broken_placeholder(tmp_path: Path) -> None:
    """The pofilter run can fail: a renamed placeholder is found (so a clean run means clean)."""
    text = export_po(SHIPPED_BOOK, "da").decode()
    po = tmp_path / "da.po"
    po.write_text(edit_msgstr(text, "calm.here-to-help:formal:3", "{name}", "{navn}"), "utf-8")
    report = tmp_path / "pofilter.po"
    subprocess.run(
        [
            *(sys.executable, "-m", "translate.filters.pofilter", "--progress=none"),
            *("--test=pythonbraceformat", "--language=da", "-i", str(po), "-o", str(report)),
        ],
        capture_output=True,
        check=True,
    )
    assert report.read_text(encoding="utf-8").count("# (pofilter) pythonbraceformat") == 1


# --- the command line -----------------------------------------------------------------


def run(*argv: str) -> tuple[int, str]:
    """Run the CLI; return the exit code and its output."""
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_cli_export_import_stamp(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """deescalate po export, import (dry run and real), stamp, and an import error (exit 1)."""
    directory = copy_catalogue(tmp_path, unstamped=True)
    out_dir = tmp_path / "out"
    code, out = run(
        "po", "export", "--locale", "da", "--out", str(out_dir), "--dir", str(directory)
    )
    assert code == 0
    assert f"wrote {out_dir / 'da.po'}" in out
    assert (out_dir / "deescalate.pot").exists()
    po = out_dir / "da.po"
    babel_edit(po, {"calm.even-tone:text:0": "Hold en rolig tone."})
    before = snapshot(directory)
    code, out = run("po", "import", str(po), "--dry-run", "--dir", str(directory))
    assert code == 0
    assert "change calm.even-tone text[0]" in out
    assert "would change" in out
    assert snapshot(directory) == before
    code, out = run("po", "import", str(po), "--dir", str(directory))
    assert code == 0
    assert "changed" in out
    assert "Hold en rolig tone." in (directory / "da.toml").read_text(encoding="utf-8")
    code, out = run("po", "stamp", "--locale", "da", "--dir", str(directory))
    assert code == 0
    assert "stamped calm.two-breaths" in out
    po.write_bytes(b"\xef\xbb\xbf" + po.read_bytes())
    before = snapshot(directory)
    code, out = run("po", "import", str(po), "--dir", str(directory))
    assert code == 1
    err = capsys.readouterr().err
    assert f"{po}:1: " in err
    assert "nothing was changed" in err
    assert snapshot(directory) == before


def test_cli_check_lists_stale_entries(tmp_path: Path) -> None:
    """deescalate check shows a stale translation as a warning after an English edit."""
    directory = copy_catalogue(tmp_path)
    stamp(directory, "da", entries=["calm.no-sighs"])
    en = directory / "en.toml"
    old = SHIPPED_BOOK.locale_data("en").texts["calm.no-sighs"][None][0].source
    en.write_text(en.read_text(encoding="utf-8").replace(old, old + " Really."), "utf-8")
    book = de.Phrasebook.from_directory(directory)
    report = check(book, ("da",))
    stale = [str(p) for p in report.problems if p.code == "stale"]
    assert len(stale) == 1
    assert "warning: stale [calm.no-sighs]" in stale[0]
    assert tomllib.loads((directory / "da.toml").read_text("utf-8"))["entries"]["calm.no-sighs"][
        "source"
    ]
