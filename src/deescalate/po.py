"""Gettext PO export and import of locale catalogues, for translators' tools.

Translators work in Poedit, Weblate, Crowdin or Pontoon, which all speak
gettext PO. :func:`export_po` turns one locale's catalogue into a PO catalogue
with Babel's :mod:`babel.messages` (no PO writer of our own), and
:func:`import_po` writes a translated PO file back into the locale's TOML file
with tomlkit, keeping the order, comments and formatting of everything that did
not change.

The mapping:

- one message per variant of an entry and register; its ``msgctxt`` is the
  stable key ``entry-id:register:index`` (see :func:`message_context`), where
  ``register`` is the TOML key (``text``, ``formal`` or ``informal``) and
  ``index`` counts variants from 0;
- ``msgid`` is the English source: English variant ``index``, or, where the
  locale has more variants than English or the variant uses other
  placeholders, the nearest English variant with the same placeholders;
- ``msgstr`` is the translation (empty when the entry is untranslated);
- an entry that is plural by a number placeholder becomes a PO plural message
  whose ``msgstr[i]`` are the locale's CLDR plural categories in CLDR order
  (zero, one, two, few, many, other) -- the ``Plural-Forms`` header is Babel's
  gettext expression where it agrees with CLDR, else one generated from CLDR;
- automatic comments carry the stage, kind, situations, channels, flags,
  placeholders and the translators' notes; ``python-brace-format`` marks
  messages with placeholders;
- a translation whose English source changed since it was translated (see
  :func:`deescalate.catalogue.fingerprint`) is ``fuzzy``, with the earlier
  English as ``#| msgid`` when an earlier English file is given.

Import never relies on anything but ``msgctxt``, ``msgstr`` and the ``fuzzy``
flag: reordering, rewrapping, header edits and translators' comments change
nothing. Fuzzy messages are not imported (gettext never uses them either).
Everything is validated before anything is written; on any problem nothing
changes and :class:`~deescalate.errors.PoFileError` reports every problem with
its line in the PO file.
"""

from __future__ import annotations

import datetime
import gettext
import io
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from babel.core import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural
from babel.messages.pofile import PoFileError as BabelPoFileError
from babel.messages.pofile import read_po, write_po
from babel.plural import to_gettext

from ._arguments import entry_point
from ._files import FileProblem, FileTooLarge, read_regular, write_atomically
from ._version import __version__
from .catalogue import (
    SOURCE_LOCALE,
    EntryDef,
    HasStore,
    LocaleData,
    Store,
    Variant,
    decode_toml,
    discover_locales,
    fingerprint,
    load_locale,
    parse_toml,
    read_catalogue_bytes,
    read_toml,
    store_of,
)
from .errors import (
    CatalogueError,
    DeescalateError,
    InvalidLocaleError,
    InvalidOptionError,
    PoFileError,
    PoFileTooLargeError,
    PoFileUnreadableError,
    TemplateError,
)
from .i18n import display_name, parse_tag, plural_categories
from .limits import MAX_PO_FILE_BYTES
from .models import Channel, Kind, Register
from .render import compile_template

__all__ = [
    "PO_WIDTH",
    "TEMPLATE_NAME",
    "ChangeKind",
    "ImportResult",
    "PoChange",
    "build_catalog",
    "build_template",
    "export_po",
    "export_pot",
    "import_po",
    "message_context",
    "parse_context",
    "plural_forms",
    "source_texts",
    "stamp",
    "write_exports",
]

TEMPLATE_NAME = "deescalate.pot"
"""The file name of the exported template (the English source, no translations)."""

PO_WIDTH = 76
"""Line width of exported PO files (gettext's own default, which msgcat and Poedit use)."""

FIXED_DATE = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
"""The header date of an export unless one is given: exports are reproducible."""

_REGISTER_KEYS = ("text", "formal", "informal")
_CONTEXT = re.compile(r"(?P<entry>[a-z0-9.-]+):(?P<key>[a-z]+):(?P<index>0|[1-9][0-9]{0,3})")
_PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z][a-z0-9_]*)\}")
# One PO line: a keyword and a complete quoted string, or a continuation string.
_PO_STRING = r'"(?:[^"\\]|\\.)*"'
_PO_LINE = re.compile(
    rf"(?:(?P<kw>msgctxt|msgid|msgid_plural|msgstr(?:\[[0-9]+\])?)\s+)?{_PO_STRING}"
)

TextValue = str | dict[str, str]
"""A variant as a TOML file holds it: a string, or a table of plural forms."""


# --- keys ---------------------------------------------------------------------------


def message_context(entry_id: str, key: str, index: int) -> str:
    """The stable ``msgctxt`` of one variant: ``entry-id:register:index``.

    >>> message_context("restate.own-words", "formal", 0)
    'restate.own-words:formal:0'
    """
    return f"{entry_id}:{key}:{index}"


def parse_context(context: str) -> tuple[str, str, int] | None:
    """Split a ``msgctxt`` made by :func:`message_context`; None when it is not one.

    >>> parse_context("restate.own-words:informal:2")
    ('restate.own-words', 'informal', 2)
    >>> parse_context("restate.own-words") is None
    True
    """
    match = _CONTEXT.fullmatch(context)
    if match is None or match["key"] not in _REGISTER_KEYS:
        return None
    return match["entry"], match["key"], int(match["index"])


def source_texts(texts: Mapping[Register | None, Sequence[Variant]]) -> dict[str, list[TextValue]]:
    """An entry's loaded variants in the shape a TOML file holds them, by TOML key.

    This is what :func:`deescalate.catalogue.fingerprint` takes.
    """
    result: dict[str, list[TextValue]] = {}
    for register, variants in texts.items():
        key = "text" if register is None else register.value
        result[key] = [v.source if isinstance(v.source, str) else dict(v.source) for v in variants]
    return result


# --- export -------------------------------------------------------------------------


def plural_forms(locale_id: str) -> str:
    """The ``Plural-Forms`` header for a locale: form i is its i-th CLDR category.

    Babel's usual gettext rule where it picks the same form as CLDR (which the
    picker uses) for every count, else a rule generated from CLDR's.

    The expression's spelling differs between Babel releases; what it chooses
    does not:

    >>> import gettext
    >>> header = plural_forms("ro")
    >>> header.split(";")[0]
    'nplurals=3'
    >>> choose = gettext.c2py(header.split("plural=")[1].rstrip(";"))
    >>> [choose(n) for n in (0, 1, 2, 19, 20, 101, 120)]
    [1, 0, 1, 1, 2, 1, 2]
    """
    categories = plural_categories(locale_id)
    locale = Locale.parse(locale_id)
    rule = locale.plural_form
    nplurals, expression = get_plural(locale_id)
    if nplurals == len(categories):
        # Prefer the familiar gettext expression (Poedit's and msginit's) when it
        # picks the same form as CLDR, which the picker uses, for every count.
        evaluate = gettext.c2py(expression)
        if all(
            evaluate(n) == categories.index(rule(n)) for n in (*range(1001), 1_000_000, 1_000_001)
        ):
            return f"nplurals={nplurals}; plural={expression};"
    # gettext counts are whole numbers, for which CLDR's compact-exponent operands
    # c and e are 0 (Babel leaves them in, and msgfmt knows no such variables).
    return re.sub(r"\b[ce]\b", "0", to_gettext(rule))


def _names(text: TextValue) -> frozenset[str]:
    values = [text] if isinstance(text, str) else list(text.values())
    return frozenset(name for value in values for name in _PLACEHOLDER.findall(value))


def _closest(english: Sequence[Variant], index: int, names: frozenset[str] | None) -> int:
    """The English variant a locale variant is shown against (see the module doc)."""
    last = len(english) - 1
    if names is None:
        return min(index, last)
    if index <= last and english[index].names == names:
        return index
    same = [v.index for v in english if v.names == names]
    if same:
        return min(same, key=lambda j: (abs(j - index), j))
    return min(index, last)


def _msgid(variant: Variant) -> str | tuple[str, str]:
    source = variant.source
    if isinstance(source, str):
        return source
    return (source.get("one", source["other"]), source["other"])


def _comments(entry: EntryDef, key: str, index: int, count: int, locale: LocaleData) -> list[str]:
    audience = "said to the customer" if entry.kind is Kind.PHRASE else "advice for the agent"
    comments = [
        f"stage: {entry.stage.value}; kind: {entry.kind.value} ({audience})",
        f"situations: {', '.join(entry.situations)}",
        f"channels: {', '.join(c.value for c in Channel if c in entry.channels)}",
    ]
    if key == "text":
        multi = len(locale.registers) > 1 and entry.kind is Kind.PHRASE
        register = "text (no form of address)" if multi else "text"
    else:
        register = key
    comments.append(f"register: {register}; variant {index + 1} of {count}")
    if entry.flags:
        comments.append(f"flags: {', '.join(f.value for f in entry.flags)}")
    for name, placeholder in entry.placeholders.items():
        details = [placeholder.type.value]
        if placeholder.optional:
            details.append("optional")
        if entry.plural == name:
            details.append("chooses the plural form")
        description = f": {placeholder.description}" if placeholder.description else ""
        comments.append(f"{{{name}}} ({', '.join(details)}){description}")
    comments.append(f"notes: {entry.notes}")
    return comments


def _keys_for(entry: EntryDef, locale: LocaleData) -> list[str]:
    """The TOML keys an entry exports for a locale: the ones it has, plus missing registers."""
    texts = locale.texts.get(entry.id, {})
    present = ["text" if r is None else r.value for r in texts]
    if entry.kind is Kind.TIP or locale.registers == (Register.NEUTRAL,):
        wanted = ["text"]
    elif None in texts:
        wanted = []
    else:
        wanted = [r.value for r in locale.registers]
    keys = set(present) | set(wanted)
    return [key for key in _REGISTER_KEYS if key in keys]


def _previous_english(path: Path | None) -> dict[str, dict[str, list[TextValue]]]:
    """An earlier English file's texts by entry id (for ``#| msgid``)."""
    if path is None:
        return {}
    path = Path(path)
    data, _ = read_toml(path, str(path))  # bounded, regular files only, as any catalogue
    entries = data.get("entries", {})
    result: dict[str, dict[str, list[TextValue]]] = {}
    if isinstance(entries, dict):
        for eid, table in entries.items():
            if isinstance(table, dict):
                result[eid] = {k: v for k, v in table.items() if k in _REGISTER_KEYS}
    return result


def _header_date(date: datetime.datetime | None) -> datetime.datetime:
    return FIXED_DATE if date is None else date


def build_catalog(
    book: Store | HasStore,
    locale_id: str,
    *,
    previous_source: Path | None = None,
    date: datetime.datetime | None = None,
) -> Catalog:
    """Build the Babel catalogue of one locale (what :func:`export_po` writes).

    ``previous_source`` is an earlier English file (``en.toml`` from an older
    release or commit): for a stale translation whose recorded fingerprint
    matches that file's entry, the earlier English becomes ``#| msgid`` and
    only the messages whose English changed are fuzzy. Without it, every
    message of a stale entry is fuzzy. ``date`` goes into the header (a fixed
    date by default, so that exports are reproducible).
    """
    store = store_of(book)
    locale = store.locale(locale_id)
    english = store.locale(SOURCE_LOCALE)
    earlier = _previous_english(previous_source)
    when = _header_date(date)
    name = display_name(locale_id, "en")
    catalog = Catalog(
        locale=locale_id,
        header_comment=(
            f"# {name} ({locale_id}) catalogue of deescalate, exported by"
            f" `deescalate po export`.\n"
            "# Translate the msgstr texts and import the file with"
            " `deescalate po import`.\n"
            "# Keep every msgctxt as it is: it says which entry, register and"
            " variant a text is."
        ),
        project="deescalate",
        version=__version__,
        msgid_bugs_address="deescalate developers",
        creation_date=when,
        revision_date=when,
        last_translator=f"{name} translators of deescalate",
        language_team=f"{name} translators of deescalate",
        charset="utf-8",
        fuzzy=False,
    )
    catalog.mime_headers = [("Plural-Forms", plural_forms(locale_id))]
    categories = plural_categories(locale_id)
    for entry in store.neutral.entries.values():
        source_variants = english.texts[entry.id][None]
        current = fingerprint(source_texts(english.texts[entry.id]))
        recorded = locale.fingerprints.get(entry.id)
        stale = locale_id != SOURCE_LOCALE and recorded is not None and recorded != current
        old = earlier.get(entry.id)
        old_variants: list[TextValue] | None = None
        if stale and old is not None and fingerprint(old) == recorded:
            old_variants = old.get("text")
        texts = locale.texts.get(entry.id, {})
        for key in _keys_for(entry, locale):
            register = None if key == "text" else Register(key)
            variants = texts.get(register, ())
            count = len(variants) or len(source_variants)
            for index in range(count):
                variant = variants[index] if variants else None
                chosen = _closest(
                    source_variants, index, variant.names if variant is not None else None
                )
                msgid = _msgid(source_variants[chosen])
                string: str | tuple[str, ...]
                if variant is None:
                    string = "" if isinstance(msgid, str) else ("",) * len(categories)
                elif variant.forms is not None:
                    string = tuple(
                        variant.forms[c].source if c in variant.forms else "" for c in categories
                    )
                else:
                    string = variant.source if isinstance(variant.source, str) else ""
                flags: list[str] = []
                msg_names = _names(msgid if isinstance(msgid, str) else msgid[1])
                if msg_names or (variant is not None and variant.names):
                    flags.append("python-brace-format")
                comments = _comments(entry, key, index, count, locale)
                previous: list[str] = []
                if stale and variant is not None:
                    if old_variants is not None and old_variants:
                        before = old_variants[min(chosen, len(old_variants) - 1)]
                        before_id: str | tuple[str, str] = (
                            before
                            if isinstance(before, str)
                            else (
                                before.get("one", before.get("other", "")),
                                before.get("other", ""),
                            )
                        )
                        if before_id != msgid:
                            flags.insert(0, "fuzzy")
                            previous = (
                                [before_id] if isinstance(before_id, str) else list(before_id)
                            )
                    else:
                        flags.insert(0, "fuzzy")
                    if "fuzzy" in flags:
                        comments.append(
                            "the English changed since this was translated: review the"
                            " translation, then clear the fuzzy mark"
                        )
                catalog.add(
                    msgid,
                    string,
                    auto_comments=comments,
                    flags=flags,
                    previous_id=previous,
                    context=message_context(entry.id, key, index),
                )
    return catalog


def build_template(book: Store | HasStore, *, date: datetime.datetime | None = None) -> Catalog:
    """Build the template catalogue: every English variant, no translations.

    Its keys are the English ones (register ``text``); a locale's own PO file,
    from :func:`export_po`, has the keys of that locale's registers. Use the
    template as a reference, not to update (``msgmerge``) a locale's PO file.
    """
    store = store_of(book)
    english = store.locale(SOURCE_LOCALE)
    when = _header_date(date)
    catalog = Catalog(
        header_comment=(
            "# The English source of deescalate's catalogues, exported by"
            " `deescalate po export`.\n"
            "# For reference: translate a locale's own file, from"
            " `deescalate po export --locale LOCALE`."
        ),
        project="deescalate",
        version=__version__,
        msgid_bugs_address="deescalate developers",
        creation_date=when,
        revision_date=when,
        charset="utf-8",
        fuzzy=False,
    )
    for entry in store.neutral.entries.values():
        variants = english.texts[entry.id][None]
        for variant in variants:
            msgid = _msgid(variant)
            catalog.add(
                msgid,
                "" if isinstance(msgid, str) else ("", ""),
                auto_comments=_comments(entry, "text", variant.index, len(variants), english),
                flags=["python-brace-format"] if variant.names else [],
                context=message_context(entry.id, "text", variant.index),
            )
    return catalog


def _serialise(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=PO_WIDTH, include_previous=True)
    return buffer.getvalue()


@entry_point
def export_po(
    book: Store | HasStore,
    locale_id: str,
    *,
    previous_source: Path | None = None,
    date: datetime.datetime | None = None,
) -> bytes:
    """One locale's catalogue as the bytes of a UTF-8 PO file (see :func:`build_catalog`).

    The same catalogue always gives the same bytes.
    """
    return _serialise(build_catalog(book, locale_id, previous_source=previous_source, date=date))


@entry_point
def export_pot(book: Store | HasStore, *, date: datetime.datetime | None = None) -> bytes:
    """The English template as the bytes of a UTF-8 POT file (see :func:`build_template`)."""
    return _serialise(build_template(book, date=date))


@entry_point
def write_exports(
    book: Store | HasStore,
    locale_id: str,
    out: Path,
    *,
    previous_source: Path | None = None,
    date: datetime.datetime | None = None,
) -> tuple[Path, Path]:
    """Write ``<locale>.po`` and ``deescalate.pot`` into the directory ``out``.

    ``locale_id`` must be one of the catalogue's locales; returns the two paths.
    """
    store = store_of(book)
    if locale_id not in store.locales:
        raise InvalidOptionError("catalogue locale", locale_id, store.locales)
    out.mkdir(parents=True, exist_ok=True)
    po_path = out / f"{locale_id}.po"
    pot_path = out / TEMPLATE_NAME
    po_data = export_po(book, locale_id, previous_source=previous_source, date=date)
    pot_data = export_pot(book, date=date)
    write_atomically(po_path, po_data)
    write_atomically(pot_path, pot_data)
    return po_path, pot_path


# --- import -------------------------------------------------------------------------


class ChangeKind(StrEnum):
    """What an import does to one variant or entry."""

    ADD = "add"
    CHANGE = "change"
    REMOVE = "remove"
    REVIEWED = "reviewed"
    """The entry's translation was reviewed against the current English (its mark is set)."""


@dataclass(frozen=True, slots=True)
class PoChange:
    """One change an import makes (or, with ``dry_run``, would make) to a locale file."""

    kind: ChangeKind
    entry_id: str
    key: str | None
    """The TOML key (``text``, ``formal``, ``informal``), or None for a whole-entry change."""
    index: int | None
    """The variant, counted from 0, or None for a whole-entry change."""
    old: TextValue | None
    new: TextValue | None
    line: int | None
    """The line of the message in the PO file, from 1."""

    def __str__(self) -> str:
        where = self.entry_id
        if self.key is not None:
            where += f" {self.key}[{self.index}]"
        if self.kind is ChangeKind.REVIEWED:
            return f"reviewed {self.entry_id}: marked as translated from the current English"
        if self.kind is ChangeKind.ADD:
            return f"add {where}: {_show(self.new)}"
        if self.kind is ChangeKind.REMOVE:
            return f"remove {where}: {_show(self.old)}"
        return f"change {where}: {_show(self.old)} -> {_show(self.new)}"


def _show(value: TextValue | None) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v!r}" for k, v in value.items()) + "}"
    return repr(value)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What :func:`import_po` did (or would do)."""

    locale: str
    path: Path
    """The locale file."""
    changes: tuple[PoChange, ...]
    fuzzy: tuple[str, ...]
    """The msgctxt of each fuzzy message, which was not imported."""
    outdated: tuple[str, ...]
    """Entries imported from messages whose msgid is no longer the English text."""
    written: bool
    """Whether the locale file was rewritten (False for a dry run or no change)."""


class _Problems:
    """Every problem found in a PO file, raised together as one PoFileError."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[tuple[int | None, str]] = []

    def add(self, line: int | None, problem: str) -> None:
        self.items.append((line, problem))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        items = sorted(self.items, key=lambda item: (item[0] is None, item[0] or 0))
        line, problem = items[0]
        if len(items) > 1:
            rest = "".join(
                f"\n  {self.path}:{other_line}: {other}"
                if other_line
                else f"\n  {self.path}: {other}"
                for other_line, other in items[1:]
            )
            problem = f"{problem} (and {len(items) - 1} more problem(s):{rest})"
        raise PoFileError(problem, path=self.path, line=line, problems=items)


@dataclass(slots=True)
class _Lines:
    """What the line scan of a PO file found."""

    msgstr_line: dict[int, int]
    """Line of each msgid (from 1) → line of its first msgstr."""
    content_type_line: int | None
    plural_forms_line: int | None
    language_line: int | None
    language: str | None = None
    """The value of the Language header, as written."""


def _scan(raw: bytes, problems: _Problems) -> tuple[str, _Lines] | None:
    """Check the bytes and the line structure that read_po does not; None when unusable."""
    if raw.startswith(b"\xef\xbb\xbf"):
        problems.add(
            1, "the file starts with a byte order mark (BOM): save it as UTF-8 without BOM"
        )
        return None
    if b"\r" in raw:
        line = raw[: raw.index(b"\r")].count(b"\n") + 1
        problems.add(line, "Windows line endings (CRLF): save the file with Unix line endings (LF)")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        problems.add(line, "the file is not valid UTF-8 (it must be UTF-8, as its header says)")
        return None
    if not text.strip():
        problems.add(None, "the file is empty")
        return None
    lines = text.split("\n")
    if not text.endswith("\n"):
        problems.add(len(lines), "the file does not end with a line break: it looks truncated")
        return None
    found = _Lines({}, None, None, None)
    msgid_line: int | None = None
    messages = _Messages(problems)
    for number, content in enumerate(lines, start=1):
        stripped = content.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _PO_LINE.fullmatch(stripped)
        if match is None:
            if stripped.startswith('"') or re.match(r"msg\w*(\[\d+\])?\s+\"", stripped):
                problems.add(number, "a string without its closing quote: the file looks truncated")
            else:
                problems.add(number, f"not a PO line: {stripped[:40]!r}")
            continue
        keyword = match["kw"]
        messages.line(number, keyword, stripped)
        if keyword == "msgid":
            msgid_line = number
        elif keyword is not None and keyword.startswith("msgstr") and msgid_line is not None:
            found.msgstr_line.setdefault(msgid_line, number)
        elif keyword is None:
            # Header fields are continuation lines of the first msgstr; keep the first.
            lowered = stripped.lower()
            if lowered.startswith('"content-type:') and found.content_type_line is None:
                found.content_type_line = number
            elif lowered.startswith('"plural-forms:') and found.plural_forms_line is None:
                found.plural_forms_line = number
            elif lowered.startswith('"language:') and found.language_line is None:
                found.language_line = number
                found.language = stripped[1:-1].split(":", 1)[1].removesuffix("\\n").strip()
    messages.end(len(lines))
    return text, found


class _Messages:
    """What Babel's reader does not report: duplicate messages, stray plural forms, truncation.

    Babel merges two messages with the same ``msgctxt`` and ``msgid`` (one
    translation is silently lost), reads ``msgstr[1]`` of a message without
    ``msgid_plural`` as nothing, and accepts a file that ends after a
    ``msgctxt``. Fed the file line by line (keyword lines and continuations).
    """

    def __init__(self, problems: _Problems) -> None:
        self.problems = problems
        self.contexts: dict[str, int] = {}
        """Each msgctxt seen (as written) → its line."""
        self.context: list[str] | None = None
        self.context_line = 0
        self.open_context = False
        """A msgctxt not yet followed by its msgid."""
        self.plural = False
        self.keyword: str | None = None

    def line(self, number: int, keyword: str | None, stripped: str) -> None:
        if keyword is None:
            if self.keyword == "msgctxt" and self.context is not None:
                self.context.append(stripped)
            return
        self.keyword = keyword
        if keyword == "msgctxt":
            self._close_context()
            self.context = [stripped.removeprefix("msgctxt").strip()]
            self.context_line = number
            self.open_context = True
        elif keyword == "msgid":
            self._close_context()
            self.open_context = False
            self.plural = False
        elif keyword == "msgid_plural":
            self.plural = True
        elif keyword.startswith("msgstr[") and not self.plural:
            self.problems.add(
                number,
                f"{keyword} in a message without msgid_plural: only a plural message has "
                "numbered msgstr forms (write one msgstr)",
            )

    def _close_context(self) -> None:
        if self.context is None:
            return
        written = "".join(self.context)
        first = self.contexts.get(written)
        if first is not None:
            self.problems.add(
                self.context_line,
                f"msgctxt {written} appears twice, at lines {first} and {self.context_line}: "
                "keep one copy of the message",
            )
        else:
            self.contexts[written] = self.context_line
        self.context = None

    def end(self, last_line: int) -> None:
        if self.open_context:
            self.problems.add(
                self.context_line,
                "the file ends after a msgctxt without its msgid: it looks truncated",
            )
        self._close_context()


@dataclass(slots=True)
class _Incoming:
    """The translations a PO file gives for one entry."""

    by_key: dict[str, dict[int, tuple[TextValue | None, int | None]]]
    lines: list[int | None]
    fuzzy: bool = False
    outdated: bool = False


def read_po_bytes(path: Path) -> bytes:
    """The bytes of a PO file: a regular file of at most ``limits.MAX_PO_FILE_BYTES``.

    Never blocks (a FIFO is refused) and never reads past the limit (a device
    such as ``/dev/zero`` is refused); raises :class:`PoFileUnreadableError`
    (or :class:`PoFileTooLargeError`).
    """
    try:
        return read_regular(path, MAX_PO_FILE_BYTES)
    except FileTooLarge as err:
        raise PoFileTooLargeError(err.size, err.maximum, path=path) from None
    except FileProblem as err:
        raise PoFileUnreadableError(
            f"cannot read the file: {err.problem}", path=path, line=None
        ) from None


def _read(
    path: Path, store: Store, locales: Mapping[str, Path], problems: _Problems
) -> tuple[str, dict[str, _Incoming], list[str]] | None:
    """Parse and validate a PO file; returns the locale, the texts and the fuzzy contexts."""
    raw = read_po_bytes(path)
    scanned = _scan(raw, problems)
    if scanned is None:
        return None
    text, lines = scanned
    if lines.language:
        # Checked before Babel reads the header, which would blame a later line.
        try:
            parse_tag(lines.language)
        except InvalidLocaleError as err:
            problems.add(lines.language_line, f"the Language header is not a locale: {err.reason}")
            return None
    try:
        catalog = read_po(io.StringIO(text), abort_invalid=True)
    except BabelPoFileError as err:
        hint = "; the file looks truncated" if "missing msgstr" in str(err) else ""
        problems.add(err.lineno + 1, f"{str(err).rsplit(' on ', 1)[0]}{hint}")
        return None
    except ValueError as err:
        problems.add(None, f"the PO header cannot be read: {err}")
        return None
    if catalog.charset.replace("_", "-").lower() not in ("utf-8", "utf8"):
        problems.add(
            lines.content_type_line,
            f"the header declares charset {catalog.charset!r}: the file must be UTF-8 "
            "(Content-Type: text/plain; charset=UTF-8)",
        )
        return None
    if catalog.locale is None:
        problems.add(lines.language_line or 1, "no Language header (or one Babel does not know)")
        return None
    try:
        locale_id = parse_tag(str(catalog.locale))
    except InvalidLocaleError as err:
        problems.add(lines.language_line, f"the Language header is not a locale: {err.reason}")
        return None
    if locale_id not in locales:
        problems.add(
            lines.language_line,
            f"no catalogue file for locale {locale_id!r} "
            f"(catalogues: {', '.join(sorted(locales))}); create {locale_id}.toml first",
        )
        return None
    categories = plural_categories(locale_id)
    if catalog.num_plurals != len(categories):
        problems.add(
            lines.plural_forms_line,
            f"Plural-Forms declares nplurals={catalog.num_plurals}, but {locale_id} has "
            f"{len(categories)} plural forms ({', '.join(categories)})",
        )
        return None
    data = store.locale(locale_id)
    english = store.locale(SOURCE_LOCALE)
    entries = store.neutral.entries
    incoming: dict[str, _Incoming] = {}
    fuzzy: list[str] = []
    seen: dict[str, int] = {}
    for message in catalog:
        if not message.id:
            continue  # the header
        msgid_line = message.lineno or 0
        line = lines.msgstr_line.get(msgid_line, msgid_line)
        context = message.context
        if context is None:
            problems.add(line, f"no msgctxt: {_id_text(message)!r} is not a message of deescalate")
            continue
        if context in seen:
            problems.add(line, f"msgctxt {context!r} appears twice (first at line {seen[context]})")
            continue
        seen[context] = line
        parsed = parse_context(context)
        entry = entries.get(parsed[0]) if parsed is not None else None
        if parsed is None or entry is None:
            problems.add(
                line,
                f"msgctxt {context!r} matches no entry (keys are entry-id:register:variant, "
                "as exported; don't edit them)",
            )
            continue
        eid, key, index = parsed
        if key != "text" and (entry.kind is Kind.TIP or Register(key) not in data.registers):
            reason = (
                "tips have one register, 'text'"
                if entry.kind is Kind.TIP
                else f"{locale_id}'s registers are {', '.join(r.value for r in data.registers)}"
            )
            problems.add(line, f"msgctxt {context!r}: no register {key!r} here ({reason})")
            continue
        if (entry.plural is not None) != message.pluralizable:
            expected = (
                "a plural message (msgid_plural, msgstr[N])" if entry.plural else "a single msgstr"
            )
            problems.add(line, f"msgctxt {context!r}: entry {eid!r} needs {expected}")
            continue
        item = incoming.setdefault(eid, _Incoming({}, []))
        item.lines.append(line)
        if message.fuzzy:
            fuzzy.append(context)
            item.fuzzy = True
            continue
        value = _value(message, entry, categories, line, problems, path, context)
        if value is _INVALID:
            continue
        english_ids = {_msgid(v) for v in english.texts[eid][None]}
        if value is not None and message.id not in english_ids:
            item.outdated = True
        item.by_key.setdefault(key, {})[index] = (value, line)
    return locale_id, incoming, fuzzy


_INVALID: Any = object()


def _id_text(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _value(
    message: Message,
    entry: EntryDef,
    categories: tuple[str, ...],
    line: int,
    problems: _Problems,
    path: Path,
    context: str,
) -> Any:
    """The msgstr as a TOML value, None for an untranslated message, or _INVALID."""
    if message.pluralizable:
        strings = tuple(message.string) if isinstance(message.string, (tuple, list)) else ()
        strings = strings + ("",) * (len(categories) - len(strings))
        if not any(strings):
            return None
        empty = [f"msgstr[{i}] ({categories[i]})" for i, s in enumerate(strings) if not s]
        if empty:
            problems.add(
                line,
                f"msgctxt {context!r}: plural forms incomplete, {', '.join(empty)} is empty",
            )
            return _INVALID
        forms = dict(zip(categories, strings, strict=True))
        value: TextValue = forms
        texts = list(forms.values())
    else:
        string = message.string if isinstance(message.string, str) else ""
        if not string:
            return None
        value = string
        texts = [string]
    for text in texts:
        try:
            template = compile_template(text, entry.placeholders, path=str(path), line=line)
        except TemplateError as err:
            problems.add(line, f"msgctxt {context!r}: {err.problem}")
            return _INVALID
        missing = entry.required - template.names
        if missing:
            problems.add(
                line,
                f"msgctxt {context!r}: the text leaves out required placeholder(s) "
                + ", ".join(f"{{{n}}}" for n in sorted(missing)),
            )
            return _INVALID
    return value


def _plan(
    eid: str,
    item: _Incoming,
    current: Mapping[str, Any],
    problems: _Problems,
) -> dict[str, list[TextValue]] | None:
    """The entry's new lists of variants by key; None when nothing changes."""
    new_lists: dict[str, list[TextValue]] = {}
    changed = False
    for key in _REGISTER_KEYS:
        given = item.by_key.get(key)
        existing: list[TextValue] = list(current.get(key, []))
        if given is None:
            if key in current:
                new_lists[key] = existing
            continue
        size = max(len(existing), max(given) + 1)
        result: list[TextValue | None] = []
        lines: list[int | None] = []
        for index in range(size):
            if index in given:
                value, line = given[index]
            else:
                value, line = (existing[index] if index < len(existing) else None), None
            result.append(value)
            lines.append(line)
        first_empty = next((i for i, v in enumerate(result) if v is None), len(result))
        later = [i for i in range(first_empty, len(result)) if result[i] is not None]
        if later:
            problems.add(
                lines[later[0]],
                f"{eid} {key}: variant {later[0]} is translated but variant {first_empty} is "
                "not; a register's variants are a list without gaps",
            )
            continue
        kept = [v for v in result[:first_empty] if v is not None]
        if kept != existing:
            changed = True
        if kept:
            new_lists[key] = kept
    return new_lists if changed else None


def _tomlkit() -> Any:
    """tomlkit, which keeps a TOML file's formatting; it is in the ``tools`` extra."""
    try:
        import tomlkit
    except ModuleNotFoundError:
        raise DeescalateError(
            "writing catalogue files needs tomlkit: pip install 'deescalate[tools]'"
        ) from None
    return tomlkit


def _item(value: TextValue) -> Any:
    tomlkit = _tomlkit()

    if isinstance(value, str):
        return tomlkit.string(value)
    table = tomlkit.inline_table()
    for category, text in value.items():
        table.append(category, tomlkit.string(text))
    return table


def _new_array(values: Sequence[TextValue]) -> Any:
    tomlkit = _tomlkit()

    array = tomlkit.array()
    if len(values) == 1 and isinstance(values[0], str):
        array.append(_item(values[0]))
        return array
    for value in values:
        array.add_line(_item(value), indent="  ")
    array.add_line(indent="")
    return array


def _update_array(array: Any, old: Sequence[TextValue], new: Sequence[TextValue]) -> None:
    """Edit a tomlkit array in place, so untouched items keep their formatting."""
    for index in range(min(len(old), len(new))):
        if old[index] == new[index]:
            continue
        before, after = old[index], new[index]
        if isinstance(before, dict) and isinstance(after, dict):
            table = array[index]
            for category in list(before):
                if category not in after:
                    del table[category]
            for category, text in after.items():
                if before.get(category) != text:
                    table[category] = text
        else:
            array[index] = _item(after)
    for index in range(len(old) - 1, len(new) - 1, -1):
        del array[index]
    for value in new[len(old) :]:
        array.append(_item(value))


def _insert_after(table: Any, after: Sequence[str], key: str, value: Any) -> None:
    """Add ``key`` after the last of ``after`` that the table has (else first)."""
    present = [k for k in after if k in table]
    container = table.value
    if present:
        container._insert_after(present[-1], key, value)
    elif len(table):
        container._insert_at(0, key, value)
    else:
        table.append(key, value)


def _apply(
    document: Any,
    plans: Mapping[str, tuple[dict[str, list[TextValue]], str | None]],
    order: Sequence[str],
) -> None:
    """Write the planned lists and source marks into the tomlkit document."""
    tomlkit = _tomlkit()

    if "entries" not in document:
        document.append("entries", tomlkit.table(is_super_table=True))
    entries = document["entries"]
    for eid, (lists, mark) in plans.items():
        if eid not in entries:
            if not lists:
                continue
            table = tomlkit.table()
            for key, values in lists.items():
                table.append(key, _new_array(values))
            if mark is not None:
                table.append("source", mark)
            before = [other for other in order[: order.index(eid)] if other in entries]
            if before:
                entries.value._insert_after(before[-1], eid, table)
            else:
                entries.append(eid, table)
            continue
        table = entries[eid]
        for key in _REGISTER_KEYS:
            old = table.get(key)
            new = lists.get(key)
            if old is None and new is not None:
                _insert_after(
                    table, _REGISTER_KEYS[: _REGISTER_KEYS.index(key)], key, _new_array(new)
                )
            elif old is not None and new is None:
                del table[key]
            elif old is not None and new is not None:
                _update_array(old, old.unwrap(), new)
        if mark is not None:
            if "source" in table:
                table["source"] = mark
            else:
                _insert_after(table, _REGISTER_KEYS, "source", tomlkit.string(mark))
        if not any(key in table for key in _REGISTER_KEYS):
            del entries[eid]


def _changes(
    eid: str,
    old: Mapping[str, Sequence[TextValue]],
    new: Mapping[str, Sequence[TextValue]],
    lines: Mapping[tuple[str, int], int | None],
) -> list[PoChange]:
    changes: list[PoChange] = []
    for key in _REGISTER_KEYS:
        before, after = list(old.get(key, [])), list(new.get(key, []))
        for index in range(max(len(before), len(after))):
            line = lines.get((key, index))
            if index >= len(before):
                changes.append(PoChange(ChangeKind.ADD, eid, key, index, None, after[index], line))
            elif index >= len(after):
                changes.append(
                    PoChange(ChangeKind.REMOVE, eid, key, index, before[index], None, line)
                )
            elif before[index] != after[index]:
                changes.append(
                    PoChange(ChangeKind.CHANGE, eid, key, index, before[index], after[index], line)
                )
    return changes


def _load_book(directory: Path) -> tuple[Store, dict[str, Path]]:
    store = Store.from_directory(directory)
    files = {k: Path(str(v)) for k, v in discover_locales(directory).items()}
    return store, files


@entry_point
def import_po(path: Path, directory: Path, *, dry_run: bool = False) -> ImportResult:
    """Import a translated PO file into its locale's TOML file in ``directory``.

    The locale comes from the PO file's ``Language`` header; ``directory`` is a
    catalogue directory (``entries.toml`` plus locale files). Messages are
    matched by ``msgctxt`` only; fuzzy messages are skipped; an empty
    ``msgstr`` is an untranslated variant (emptying the last variants of a
    register removes them). An entry whose messages are all imported
    non-fuzzy, against the current English, is marked as translated from it
    (its ``source`` fingerprint), which clears a stale mark.

    Everything is validated first: placeholders against the entry's
    declaration (as the catalogue loader does), msgctxt keys, plural forms,
    charset, BOM, line endings, truncation. On any problem nothing is written
    and :class:`PoFileError` names the file and the line of the first
    problem, and lists the others. The file is replaced atomically. With
    ``dry_run`` nothing is written and the result says what would change.
    """
    tomlkit = _tomlkit()

    path, directory = Path(path), Path(directory)
    problems = _Problems(path)
    store, files = _load_book(directory)
    read = _read(path, store, files, problems)
    problems.raise_if_any()
    if read is None:  # pragma: no cover - _read records a problem whenever it gives up
        raise PoFileError("the file cannot be read", path=path, line=None)
    locale_id, incoming, fuzzy = read
    target = files[locale_id]
    original = decode_toml(read_catalogue_bytes(target), str(target))
    current_raw: dict[str, Any] = tomllib.loads(original.removeprefix("\ufeff"))
    current_entries: dict[str, Any] = current_raw.get("entries", {})
    english = store.locale(SOURCE_LOCALE)
    data = store.locale(locale_id)
    plans: dict[str, tuple[dict[str, list[TextValue]], str | None]] = {}
    changes: list[PoChange] = []
    outdated: list[str] = []
    order = list(store.neutral.entries)
    for eid in order:
        item = incoming.get(eid)
        if item is None:
            continue
        current = current_entries.get(eid, {})
        lists = _plan(eid, item, current, problems)
        if locale_id == SOURCE_LOCALE and lists is not None and not any(lists.values()):
            problems.add(
                item.lines[0],
                f"{eid}: every msgstr of the entry is empty, which would delete its text from "
                f"{SOURCE_LOCALE}.toml; the source locale needs a text for every entry",
            )
            continue
        if item.outdated:
            outdated.append(eid)
        now = fingerprint(source_texts(english.texts[eid]))
        recorded = current.get("source")
        final = (
            lists if lists is not None else {k: current[k] for k in _REGISTER_KEYS if k in current}
        )
        complete = all(
            index in item.by_key.get(key, {})
            for key, values in final.items()
            for index in range(len(values))
        )
        reviewed = (
            locale_id != SOURCE_LOCALE
            and bool(final)
            and not item.fuzzy
            and not item.outdated
            and complete
            and recorded != now
            and (lists is not None or recorded is not None)
        )
        mark = now if reviewed else None
        if lists is None and mark is None:
            continue
        plans[eid] = (lists if lists is not None else final, mark)
        line_of = {
            (key, index): line
            for key, given in item.by_key.items()
            for index, (_, line) in given.items()
        }
        changes.extend(
            _changes(eid, {k: current.get(k, []) for k in _REGISTER_KEYS}, final, line_of)
        )
        if mark is not None and lists is None:
            changes.append(
                PoChange(ChangeKind.REVIEWED, eid, None, None, recorded, mark, item.lines[0])
            )
    problems.raise_if_any()
    result_text = original
    if plans:
        document = tomlkit.parse(original)
        _apply(document, plans, order)
        result_text = document.as_string()
        _validate_result(result_text, target, store, data, path)
    written = bool(plans) and not dry_run and result_text != original
    if written:
        write_atomically(target, result_text.encode("utf-8"))
    return ImportResult(
        locale=locale_id,
        path=target,
        changes=tuple(changes),
        fuzzy=tuple(fuzzy),
        outdated=tuple(outdated),
        written=written,
    )


def _load_as_the_loader_does(text: str, target: Path, store: Store) -> LocaleData:
    """Validate a locale file's would-be text through the loader's whole path (limits too)."""
    data, text = parse_toml(text.encode("utf-8"), str(target))
    return load_locale(data, text, str(target), store.neutral)


def _validate_result(text: str, target: Path, store: Store, data: LocaleData, po: Path) -> None:
    """Load the would-be locale file exactly as the catalogue loader will."""
    try:
        _load_as_the_loader_does(text, target, store)
    except CatalogueError as err:
        raise PoFileError(
            f"the import would make {target.name} invalid, so nothing was written: {err}",
            path=po,
            line=getattr(err, "line", None),
        ) from None


# --- stamping -----------------------------------------------------------------------


@entry_point
def stamp(
    directory: Path,
    locale_id: str,
    *,
    entries: Iterable[str] | None = None,
    dry_run: bool = False,
) -> tuple[str, ...]:
    """Record the current English fingerprint on a locale's entries; return their ids.

    Without ``entries``, every translated entry that has no fingerprint yet is
    stamped (a baseline: it never hides a stale translation). With
    ``entries``, exactly those are stamped, stale or not: use it after
    reviewing them. Written atomically, like :func:`import_po`.
    """
    tomlkit = _tomlkit()

    store, files = _load_book(Path(directory))
    translated = [locale for locale in files if locale != SOURCE_LOCALE]
    if locale_id not in translated:
        # English is the source: it is not translated from anything.
        raise InvalidOptionError("locale to stamp", locale_id, translated)
    data = store.locale(locale_id)
    english = store.locale(SOURCE_LOCALE)
    if entries is None:
        wanted = [
            eid
            for eid in store.neutral.entries
            if eid in data.texts and eid not in data.fingerprints
        ]
    else:
        wanted = list(dict.fromkeys(entries))
        for eid in wanted:
            if eid not in data.texts:
                raise CatalogueError(
                    "not translated in this locale, so there is nothing to stamp",
                    path=data.path,
                    entry_id=eid,
                )
    marks = {eid: fingerprint(source_texts(english.texts[eid])) for eid in wanted}
    marks = {eid: mark for eid, mark in marks.items() if data.fingerprints.get(eid) != mark}
    if not marks or dry_run:
        return tuple(marks)
    target = files[locale_id]
    original = decode_toml(read_catalogue_bytes(target), str(target))
    document = tomlkit.parse(original)
    table = document["entries"]
    for eid, mark in marks.items():
        entry = table[eid]
        if "source" in entry:
            entry["source"] = mark
        else:
            _insert_after(entry, _REGISTER_KEYS, "source", tomlkit.string(mark))
    text = document.as_string()
    _load_as_the_loader_does(text, target, store)
    write_atomically(target, text.encode("utf-8"))
    return tuple(marks)
