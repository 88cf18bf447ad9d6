"""Company overlays: Phrasebook.load, --catalogue, init-overlay, and every broken overlay."""

from __future__ import annotations

import doctest
import hashlib
import io
import re
import shlex
import textwrap
from pathlib import Path

import pytest

import deescalate as de
from deescalate.checks import check
from deescalate.cli import main

SHIPPED = Path(str(de.Phrasebook.default().locale_data("en").path)).parent
DOCS = Path(__file__).parent.parent / "docs" / "overlays.md"

ENTRIES = """\
[values]
company = "Acme"

[situations.warranty-claim]
parent = "faulty-product"
description = "The customer claims under the warranty."

# The warranty repair is the answer: the parents' resolve lines don't apply.
[situations.warranty-claim.stages.resolve]
phrases = "replace"

[entries."resolve.acme.warranty"]
kind = "phrase"
stage = "resolve"
situations = ["warranty-claim"]
notes = "Offer the warranty repair."
placeholders.company = { type = "text", description = "The company's name." }
"""

EN = """\
[situations]
warranty-claim = "Warranty claim"

[entries."resolve.acme.warranty"]
text = ["Your {company} warranty covers this: I'll book the repair now."]
"""


def _overlay(root: Path, name: str = "acme", **files: str) -> Path:
    """Write an overlay directory; keyword names are file stems (``entries``, ``en``, ...)."""
    directory = root / name
    directory.mkdir()
    for stem, text in files.items():
        (directory / f"{stem}.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    return directory


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def _digest(directory: Path) -> dict[str, str]:
    # Every file below the directory: an installed wheel has compiled files in a subdirectory.
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_digest_covers_files_in_subdirectories(tmp_path: Path) -> None:
    """The shipped-files digest reads nested files (locales/_compiled) instead of failing."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a").write_bytes(b"1")
    before = _digest(tmp_path)
    (tmp_path / "sub" / "a").write_bytes(b"2")
    assert set(before) == {"sub/a"} and _digest(tmp_path) != before


# --- loading and merging ---------------------------------------------------------------


def test_load_without_overlays_is_the_shipped_catalogue() -> None:
    """Phrasebook.load() with no directory gives what default() gives."""
    book = de.Phrasebook.load()
    default = de.Phrasebook.default()
    assert book.locales == default.locales
    assert book.options("calm") == default.options("calm")
    assert book.values == {}


def test_new_situation_and_entry_are_picked(tmp_path: Path) -> None:
    """An overlay's situation and entry are picked, with the default company filled in."""
    book = de.Phrasebook.load(_overlay(tmp_path, entries=ENTRIES, en=EN))
    phrase = book.pick("resolve", situation="warranty-claim", seed=1)
    assert phrase.id == "resolve.acme.warranty"
    assert phrase.text == "Your Acme warranty covers this: I'll book the repair now."
    assert phrase.fallback == ()
    info = {s.id: s for s in book.situations()}["warranty-claim"]
    assert info.parent == "faulty-product"


def test_new_situation_falls_back_to_its_shipped_parent(tmp_path: Path) -> None:
    """A stage the overlay situation has no line for uses its shipped parent's lines."""
    book = de.Phrasebook.load(_overlay(tmp_path, entries=ENTRIES, en=EN))
    phrase = book.pick("apologise", situation="warranty-claim", seed=2)
    assert phrase.situation in ("faulty-product", "general")
    assert phrase.fallback[0].kind is de.FallbackKind.SITUATION


def test_playbook_of_overlay_situation_uses_its_name(tmp_path: Path) -> None:
    """A playbook for an overlay situation has the overlay's title and its entry."""
    book = de.Phrasebook.load(_overlay(tmp_path, entries=ENTRIES, en=EN))
    pb = book.playbook("warranty-claim")
    assert pb.title == "Warranty claim"
    resolve = next(s for s in pb.stages if s.stage is de.Stage.RESOLVE)
    assert [p.text for p in resolve.phrases] == [
        "Your Acme warranty covers this: I'll book the repair now."
    ]


def test_default_company_joins_goodbye_rotation(tmp_path: Path) -> None:
    """[values] company makes close.goodbye's optional {company} variant eligible."""
    book = de.Phrasebook.load(_overlay(tmp_path, entries='[values]\ncompany = "Acme"\n'))
    default = de.Phrasebook.default()
    added = set(book.options("close")) - set(default.options("close"))
    assert added == {("close.goodbye", 3)}
    phrase = book.pick("close", entry="close.goodbye", variant=3)
    assert phrase.text == "Thank you for contacting Acme. Take care."


def test_caller_value_wins_over_default(tmp_path: Path) -> None:
    """A value the caller passes is used instead of the overlay default."""
    book = de.Phrasebook.load(_overlay(tmp_path, entries=ENTRIES, en=EN))
    phrase = book.pick("resolve", situation="warranty-claim", values={"company": "Globex"}, seed=1)
    assert "Globex" in phrase.text
    assert "Acme" not in phrase.text


def test_default_renders_at_load_not_on_each_pick(tmp_path: Path) -> None:
    """A variant completed by defaults is rendered once: pick returns the cached result."""
    book = de.Phrasebook.load(_overlay(tmp_path, entries=ENTRIES, en=EN))
    first = book.pick("resolve", situation="warranty-claim", seed=1)
    assert book.pick("resolve", situation="warranty-claim", seed=1) is first


def test_default_fills_gloss_and_other_locales(tmp_path: Path) -> None:
    """Defaults apply in every locale and in the gloss."""
    da = """\
    [entries."resolve.acme.warranty"]
    formal = ["Deres {company}-garanti dækker dette."]
    informal = ["Din {company}-garanti dækker dette."]
    """
    book = de.Phrasebook.load(_overlay(tmp_path, entries=ENTRIES, en=EN, da=da))
    phrase = book.pick(
        "resolve", situation="warranty-claim", locale="da", register="formal", gloss="en"
    )
    assert phrase.text == "Deres Acme-garanti dækker dette."
    assert phrase.gloss is not None
    assert phrase.gloss.text == "Your Acme warranty covers this: I'll book the repair now."


def test_replace_mode_replaces_shipped_variants(tmp_path: Path) -> None:
    """Texts for a shipped entry replace its variants by default."""
    en = """\
    [entries."close.goodbye"]
    text = ["Goodbye from all of us."]
    """
    book = de.Phrasebook.load(_overlay(tmp_path, en=en))
    goodbye = [o for o in book.options("close") if o[0] == "close.goodbye"]
    assert goodbye == [("close.goodbye", 0)]
    assert book.pick("close", entry="close.goodbye").text == "Goodbye from all of us."


def test_replace_in_two_register_locale_replaces_every_register(tmp_path: Path) -> None:
    """A replacing 'text' in Danish serves both registers; the shipped ones are gone."""
    da = """\
    [entries."close.goodbye"]
    text = ["Farvel fra os alle."]
    """
    book = de.Phrasebook.load(_overlay(tmp_path, da=da))
    for register in ("formal", "informal"):
        options = book.options("close", locale="da", register=register, entry="close.goodbye")
        assert options == (("close.goodbye", 0),)


def test_add_mode_appends_variants_numbered_after_shipped(tmp_path: Path) -> None:
    """mode = "add" keeps the shipped variants and numbers the new ones after them."""
    en = """\
    [entries."close.goodbye"]
    mode = "add"
    text = ["Goodbye from all of us.", "Take care, and goodbye."]
    """
    book = de.Phrasebook.load(_overlay(tmp_path, en=en))
    shipped = de.Phrasebook.default().locale_data("en").texts["close.goodbye"][None]
    n = len(shipped)
    variants = book.locale_data("en").texts["close.goodbye"][None]
    assert [v.index for v in variants] == list(range(n + 2))
    assert book.pick("close", entry="close.goodbye", variant=n).text == "Goodbye from all of us."


def test_add_mode_in_one_register(tmp_path: Path) -> None:
    """Added formal variants are offered for formal requests only."""
    da = """\
    [entries."close.goodbye"]
    mode = "add"
    formal = ["Farvel og tak."]
    """
    book = de.Phrasebook.load(_overlay(tmp_path, da=da))
    default = de.Phrasebook.default()
    formal = set(book.options("close", locale="da", register="formal", entry="close.goodbye"))
    shipped_formal = set(
        default.options("close", locale="da", register="formal", entry="close.goodbye")
    )
    assert len(formal - shipped_formal) == 1
    assert book.options(
        "close", locale="da", register="informal", entry="close.goodbye"
    ) == default.options("close", locale="da", register="informal", entry="close.goodbye")


def test_locale_metadata_is_optional_and_merged(tmp_path: Path) -> None:
    """Partial [labels], [checks] and [glossary] tables merge with the shipped ones."""
    en = """\
    [labels]
    calm = "Breathe"

    [checks]
    never_say = ["no worries"]

    [glossary]
    customer = { use = "member", avoid = ["customer"] }
    """
    data = de.Phrasebook.load(_overlay(tmp_path, en=en)).locale_data("en")
    shipped = de.Phrasebook.default().locale_data("en")
    assert data.labels["calm"] == "Breathe"
    assert data.labels["listen"] == shipped.labels["listen"]
    assert data.never_say == (*shipped.never_say, "no worries")
    assert data.glossary["customer"].use == "member"
    assert data.glossary["refund"] == shipped.glossary["refund"]
    assert data.quotes == shipped.quotes
    assert data.texts == shipped.texts


def test_overlay_may_change_default_register(tmp_path: Path) -> None:
    """[locale] default_register in an overlay changes which register Danish uses."""
    da = """\
    [locale]
    default_register = "formal"
    """
    book = de.Phrasebook.load(_overlay(tmp_path, da=da))
    assert book.pick("close", locale="da", seed=1).register is de.Register.FORMAL


def test_later_overlay_wins(tmp_path: Path) -> None:
    """With two overlays, the later one's values and texts win."""
    first = _overlay(
        tmp_path,
        "first",
        entries='[values]\ncompany = "Acme"\n',
        en='[entries."close.goodbye"]\ntext = ["Bye from {company}."]\n',
    )
    second = _overlay(
        tmp_path,
        "second",
        entries='[values]\ncompany = "Acme Nordic"\n',
        en='[entries."close.goodbye"]\nmode = "add"\ntext = ["So long from {company}."]\n',
    )
    book = de.Phrasebook.load(first, second)
    assert book.values == {"company": "Acme Nordic"}
    texts = [book.pick("close", entry="close.goodbye", variant=i).text for i in (0, 1)]
    assert texts == ["Bye from Acme Nordic.", "So long from Acme Nordic."]


def test_overlay_locale_may_use_another_overlays_entry(tmp_path: Path) -> None:
    """A second overlay can translate an entry the first overlay defines."""
    first = _overlay(tmp_path, "first", entries=ENTRIES, en=EN)
    second = _overlay(
        tmp_path,
        "second",
        ro='[entries."resolve.acme.warranty"]\n'
        'formal = ["Garanția {company} acoperă asta."]\n'
        'informal = ["Garanția {company} acoperă asta."]\n',
    )
    book = de.Phrasebook.load(first, second)
    assert book.pick("resolve", situation="warranty-claim", locale="ro").text == (
        "Garanția Acme acoperă asta."
    )


def test_new_locale_from_a_full_file(tmp_path: Path) -> None:
    """An overlay may add a locale the package doesn't ship, with a full locale file."""
    fr = """\
    [locale]
    id = "fr"
    registers = ["formal", "informal"]
    default_register = "formal"

    [checks]
    script = "Latn"
    quotes = ["«»"]

    [entries."close.goodbye"]
    formal = ["Merci de votre patience. Bonne journée."]
    informal = ["Merci de ta patience. Bonne journée."]
    """
    book = de.Phrasebook.load(_overlay(tmp_path, fr=fr))
    assert "fr" in book.locales
    assert book.pick("close", locale="fr-CA", entry="close.goodbye").text == (
        "Merci de votre patience. Bonne journée."
    )
    other = book.pick("calm", locale="fr", seed=1)
    assert other.locale == "en"
    assert other.fallback[0].kind is de.FallbackKind.LOCALE


def test_include_default_false_uses_first_directory_as_base(
    tmp_path: Path, catalogue_dir: Path
) -> None:
    """include_default=False: the first directory replaces the shipped catalogue."""
    overlay = _overlay(tmp_path, entries=ENTRIES, en=EN)
    book = de.Phrasebook.load(catalogue_dir, overlay, include_default=False)
    assert book.locales == ("en",)
    assert book.pick("resolve", situation="warranty-claim").id == "resolve.acme.warranty"


def test_include_default_false_validates_base_now(catalogue_dir: Path) -> None:
    """A broken locale file in the base directory fails at load, not at pick."""
    en = catalogue_dir / "en.toml"
    en.write_text(en.read_text(encoding="utf-8") + "\nbroken =\n", encoding="utf-8")
    with pytest.raises(de.CatalogueSyntaxError) as info:
        de.Phrasebook.load(catalogue_dir, include_default=False)
    assert info.value.path == str(en)


def test_include_default_false_needs_a_directory() -> None:
    """include_default=False with no directory is a CatalogueError."""
    with pytest.raises(de.CatalogueError, match="at least one"):
        de.Phrasebook.load(include_default=False)


# --- bad overlays ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stem", "text", "bad_line"),
    [
        ("entries", '[values]\ncompany = "Acme\n', 2),
        ("en", '[entries."close.goodbye"]\ntext = ["Bye.]\n', 2),
        ("da", '[entries."close.goodbye"\ntext = ["Farvel."]\n', 1),
    ],
)
def test_toml_syntax_error_names_file_and_line(
    tmp_path: Path, stem: str, text: str, bad_line: int
) -> None:
    """A TOML syntax error in any overlay file is a CatalogueSyntaxError with file and line."""
    overlay = _overlay(tmp_path, **{stem: text})
    with pytest.raises(de.CatalogueSyntaxError) as info:
        de.Phrasebook.load(overlay)
    assert info.value.path == str(overlay / f"{stem}.toml")
    assert info.value.line == bad_line


def test_id_clash_between_two_overlays(tmp_path: Path) -> None:
    """The same new entry id in two overlays is a DuplicateEntryError naming both files."""
    first = _overlay(tmp_path, "first", entries=ENTRIES, en=EN)
    second = _overlay(tmp_path, "second", entries=ENTRIES.replace("[situations.warranty", "#"))
    with pytest.raises(de.DuplicateEntryError) as info:
        de.Phrasebook.load(first, second)
    err = info.value
    path = second / "entries.toml"
    assert err.path == str(path)
    assert err.entry_id == "resolve.acme.warranty"
    assert err.line == _line_of(path, '[entries."resolve.acme.warranty"]')
    assert str(first / "entries.toml") in str(err)


def test_situation_clash_between_two_overlays(tmp_path: Path) -> None:
    """The same new situation in two overlays is a DuplicateEntryError with its line."""
    situation = '[situations.vip]\ndescription = "A VIP customer."\n'
    first = _overlay(tmp_path, "first", entries=situation)
    second = _overlay(tmp_path, "second", entries="\n" + situation)
    with pytest.raises(de.DuplicateEntryError) as info:
        de.Phrasebook.load(first, second)
    assert (info.value.path, info.value.line) == (str(second / "entries.toml"), 2)
    assert info.value.field == "situations.vip"


def test_redefining_shipped_entry_is_a_clash(tmp_path: Path) -> None:
    """An overlay cannot redefine a shipped entry's metadata."""
    entries = """\
    [entries."close.goodbye"]
    kind = "phrase"
    stage = "close"
    notes = "Mine now."
    """
    overlay = _overlay(tmp_path, entries=entries)
    with pytest.raises(de.DuplicateEntryError, match="already defined in") as info:
        de.Phrasebook.load(overlay)
    assert info.value.entry_id == "close.goodbye"
    assert info.value.line == 1
    assert "entries.toml" in str(info.value)


def test_redefining_shipped_situation_is_a_clash(tmp_path: Path) -> None:
    """An overlay cannot redefine a shipped situation."""
    overlay = _overlay(tmp_path, entries='[situations.late-delivery]\ndescription = "Late."\n')
    with pytest.raises(de.DuplicateEntryError) as info:
        de.Phrasebook.load(overlay)
    assert info.value.line == 1
    assert info.value.field == "situations.late-delivery"


UNDECLARED = [
    # (file stem, its text, entry id, field, line)
    (
        "en",
        '[entries."close.goodbye"]\ntext = ["Thanks, {compnay}."]\n',
        "close.goodbye",
        "text[0]",
        2,
    ),
    (
        "da",
        '\n[entries."close.goodbye"]\nmode = "add"\nformal = ["Tak, {kunde}."]\n',
        "close.goodbye",
        "formal[0]",
        4,
    ),
    (
        "en",
        EN.replace("{company} warranty", "{brand} warranty"),
        "resolve.acme.warranty",
        "text[0]",
        5,
    ),
]


@pytest.mark.parametrize(("stem", "text", "entry_id", "field", "line"), UNDECLARED)
def test_undeclared_placeholder_is_template_error(
    tmp_path: Path, stem: str, text: str, entry_id: str, field: str, line: int
) -> None:
    """A placeholder the entry doesn't declare is a TemplateError naming file, entry and line."""
    overlay = _overlay(tmp_path, entries=ENTRIES, **{stem: text})
    with pytest.raises(de.TemplateError, match="not declared") as info:
        de.Phrasebook.load(overlay)
    err = info.value
    assert (err.path, err.entry_id, err.field, err.line) == (
        str(overlay / f"{stem}.toml"),
        entry_id,
        field,
        line,
    )


BAD = [
    # (file stem, its text, message, line); the overlay also has ENTRIES and EN unless
    # the stem is one of them.
    ("entries", '[values]\ncompnay = "Acme"\n', "no entry declares", 2),
    ("entries", "[values]\ncompany = 42\n", "does not fit entry", 2),
    ("entries", '[situations.vip]\nparent = "gold"\ndescription = "x"\n', "not a situation", 2),
    ("entries", ENTRIES.replace('["warranty-claim"]', '["warranty"]'), "unknown situation", 15),
    ("en", EN.replace("{company} warranty", "warranty"), "leaves out required", 5),
    ("en", '[entries."close.good-bye"]\ntext = ["Bye."]\n', "no entry with this id", 1),
    ("en", '[entries."close.goodbye"]\nmode = "append"\ntext = ["Bye."]\n', "mode must be", 2),
    ("en", '[entries."close.goodbye"]\nmood = "add"\ntext = ["Bye."]\n', "unknown key", 2),
    ("en", '[entries."calm.safety-threat.here"]\nmode = "add"\ntext = ["Help."]\n', "verbatim", 2),
    ("en", '[labels]\ncalmm = "Breathe"\n', "unknown key 'calmm'", 2),
    ("da", '[locale]\nregisters = ["informal"]\ndefault_register = "informal"\n', "registers", 2),
    ("da", '[locale]\nid = "dk"\n', "does not match", 2),
    ("ko", '[checks]\nscript = "Latn"\n', "script", 2),
    (
        "fr",
        '[entries."close.goodbye"]\ntext = ["Au revoir."]\n',
        r"needs the \[locale\] table",
        None,
    ),
]


@pytest.mark.parametrize(("stem", "text", "match", "line"), BAD)
def test_bad_overlay_is_precise_catalogue_error(
    tmp_path: Path, stem: str, text: str, match: str, line: int | None
) -> None:
    """Each broken overlay file is a CatalogueError naming the overlay file and line."""
    overlay = _overlay(tmp_path, **{"entries": ENTRIES, "en": EN, stem: text})
    with pytest.raises(de.CatalogueError, match=match) as info:
        de.Phrasebook.load(overlay)
    assert info.value.path == str(overlay / f"{stem}.toml")
    assert info.value.line == line


@pytest.mark.parametrize("make", ["missing", "file", "empty"])
def test_path_that_is_not_an_overlay(tmp_path: Path, make: str) -> None:
    """A missing path, a file, or a directory with no catalogue files is a CatalogueError."""
    path = tmp_path / "acme"
    if make == "file":
        path.write_text("", encoding="utf-8")
    elif make == "empty":
        path.mkdir()
    with pytest.raises(de.CatalogueError) as info:
        de.Phrasebook.load(path)
    assert info.value.path == str(path)


def test_broken_overlay_leaves_default_working(tmp_path: Path) -> None:
    """After a failed load, the default phrasebook is unchanged and still picks."""
    default = de.Phrasebook.default()
    before = (default.options("close"), dict(default.neutral.entries), default.values)
    good = _overlay(tmp_path, "good", entries=ENTRIES, en=EN)
    bad = _overlay(tmp_path, "bad", en='[entries."close.goodbye"]\ntext = ["{oops}"]\n')
    with pytest.raises(de.TemplateError):
        de.Phrasebook.load(good, bad)
    assert de.Phrasebook.default() is default
    assert (default.options("close"), dict(default.neutral.entries), default.values) == before
    assert "resolve.acme.warranty" not in default.neutral.entries
    assert de.pick("close", seed=1).locale == "en"
    assert de.Phrasebook.load(good).pick("resolve", situation="warranty-claim").text


def test_overlay_never_changes_shipped_files(tmp_path: Path) -> None:
    """Loading overlays, good or broken, writes nothing to the shipped catalogue."""
    before = _digest(SHIPPED)
    good = _overlay(tmp_path, "good", entries=ENTRIES, en=EN, da='[labels]\ncalm = "Ro"\n')
    bad = _overlay(tmp_path, "bad", entries="[values\n")
    book = de.Phrasebook.load(good)
    book.load_all()
    check(book)
    with pytest.raises(de.CatalogueSyntaxError):
        de.Phrasebook.load(good, bad)
    assert _digest(SHIPPED) == before


# --- checks ----------------------------------------------------------------------------


def test_check_reports_overlay_problem_at_overlay_line(tmp_path: Path) -> None:
    """A never-say phrase in an overlay text is reported at the overlay file and line."""
    en = """\
    [checks]
    never_say = ["no worries"]

    [entries."close.goodbye"]
    mode = "add"
    text = ["No worries, goodbye."]
    """
    overlay = _overlay(tmp_path, en=en)
    report = check(de.Phrasebook.load(overlay), ("en",))
    [problem] = [p for p in report.problems if p.code == "never-say"]
    assert (problem.path, problem.line) == (str(overlay / "en.toml"), 6)
    assert not report.ok


def test_check_points_missing_overlay_entry_to_overlay(tmp_path: Path) -> None:
    """An overlay entry with no Danish text is reported with a hint naming the overlay."""
    overlay = _overlay(tmp_path, entries=ENTRIES, en=EN)
    report = check(de.Phrasebook.load(overlay), ("da",))
    missing = [p for p in report.problems if p.entry_id == "resolve.acme.warranty"]
    assert len(missing) == 1
    assert str(overlay / "entries.toml") in missing[0].message
    assert check(de.Phrasebook.load(overlay), ("en",)).ok


# --- the command line ------------------------------------------------------------------


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_cli_catalogue_option_is_repeatable(tmp_path: Path) -> None:
    """--catalogue DIR, given twice, lays both overlays on the shipped catalogue."""
    first = _overlay(tmp_path, "first", entries=ENTRIES, en=EN)
    second = _overlay(tmp_path, "second", entries='[values]\ncompany = "Globex"\n')
    code, out = _run(
        "--catalogue",
        str(first),
        "--catalogue",
        str(second),
        "pick",
        "resolve",
        "--situation",
        "warranty-claim",
    )
    assert code == 0
    assert out.splitlines()[0] == "Your Globex warranty covers this: I'll book the repair now."


def test_cli_broken_overlay_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken overlay makes a command fail with exit 2 and the file:line on stderr."""
    overlay = _overlay(tmp_path, en="[labels\n")
    code, out = _run("--catalogue", str(overlay), "pick", "calm")
    assert (code, out) == (2, "")
    assert f"{overlay / 'en.toml'}:1" in capsys.readouterr().err


def test_cli_check_reports_broken_overlay(tmp_path: Path) -> None:
    """deescalate check reports a broken overlay as a failed check (exit 1)."""
    overlay = _overlay(tmp_path, entries='[values]\ncompnay = "Acme"\n')
    code, out = _run("--catalogue", str(overlay), "check")
    assert code == 1
    assert f"{overlay / 'entries.toml'}:2: error: load" in out


def test_init_overlay_writes_valid_overlay_that_changes_nothing(tmp_path: Path) -> None:
    """init-overlay writes a valid, fully commented overlay: loading it changes nothing."""
    target = tmp_path / "new" / "acme"
    code, out = _run("init-overlay", str(target))
    assert code == 0
    assert sorted(p.name for p in target.iterdir()) == ["en.toml", "entries.toml"]
    assert f"wrote {target / 'en.toml'}" in out
    book = de.Phrasebook.load(target)
    default = de.Phrasebook.default()
    assert book.options("close") == default.options("close")
    assert book.neutral.entries.keys() == default.neutral.entries.keys()


def test_init_overlay_examples_work_when_uncommented(tmp_path: Path) -> None:
    """Every commented example in the init-overlay files loads and checks cleanly."""
    target = tmp_path / "acme"
    _run("init-overlay", str(target))
    for path in target.iterdir():
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"(?m)^#(?=[\[a-z\"])", "", text), encoding="utf-8")
    book = de.Phrasebook.load(target)
    assert book.values == {"company": "Acme"}
    phrase = book.pick("resolve", situation="warranty-claim")
    assert phrase.text == "Your Acme warranty covers this, so I'll book the repair for you now."
    assert check(book, ("en",)).ok
    code, _ = _run("--catalogue", str(target), "check", "--locale", "en")
    assert code == 0


def test_init_overlay_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """init-overlay fails (exit 2) when a file exists, and writes nothing at all."""
    target = tmp_path / "acme"
    target.mkdir()
    (target / "en.toml").write_text("# mine\n", encoding="utf-8")
    code, _ = _run("init-overlay", str(target))
    assert code == 2
    assert "never overwrites" in capsys.readouterr().err
    assert (target / "en.toml").read_text(encoding="utf-8") == "# mine\n"
    assert not (target / "entries.toml").exists()


# --- the documentation demo ------------------------------------------------------------

_FILE_BLOCK = re.compile(r"`(acme/[a-z_A-Z]+\.toml)`:\n\n```toml\n(.*?)```", re.S)
_CONSOLE_BLOCK = re.compile(r"```console\n(.*?)```", re.S)
_PYCON_BLOCK = re.compile(r"```pycon\n(.*?)```", re.S)


def test_docs_demo_works_as_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The overlay demo in docs/overlays.md gives exactly the output it shows."""
    doc = DOCS.read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    files = _FILE_BLOCK.findall(doc)
    assert len(files) >= 2
    for name, text in files:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    sessions = _CONSOLE_BLOCK.findall(doc)
    assert sessions
    for session in sessions:
        commands = re.split(r"(?m)^\$ ", session)[1:]
        for command in commands:
            line, _, expected = command.partition("\n")
            argv = shlex.split(line)
            assert argv[0] == "deescalate"
            code, out = _run(*argv[1:])
            assert (code, out) == (0, expected), line
    examples = _PYCON_BLOCK.findall(doc)
    assert examples
    # One session: later blocks use names the earlier ones defined.
    test = doctest.DocTestParser().get_doctest("\n".join(examples), {}, "overlays.md", None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
