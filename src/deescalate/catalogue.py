"""Reading and validating catalogue files.

This is the only module that opens catalogue files. A catalogue directory holds
the locale-neutral ``entries.toml`` (ids and their metadata, written once) and
one TOML file per locale (texts only), named by its Babel identifier
(``da.toml``, ``zh_Hans.toml``). Files are validated into frozen structures
whose templates are compiled once, here; anything wrong raises a
:class:`~deescalate.errors.CatalogueError` that names the file, the entry id,
the field and, where it can be found, the line.

Only names discovered by listing a directory are ever opened: no path is built
from a caller's locale tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from ._files import FileProblem, FileTooLarge, read_regular
from .errors import (
    CatalogueError,
    CatalogueSyntaxError,
    CatalogueTooDeepError,
    CatalogueTooLargeError,
    DuplicateEntryError,
    InvalidLocaleError,
    InvalidValueError,
    TemplateError,
    TextTooLongError,
    TooManyVariantsError,
    ValueTooLongError,
)
from .formats import NO_FORMATS, Formats, parse_formats
from .i18n import PLURAL_ORDER, get_locale, parse_tag
from .limits import MAX_CATALOGUE_FILE_BYTES, MAX_TEXT_LENGTH, MAX_TOML_DEPTH, MAX_VARIANTS
from .models import Channel, Flag, Kind, PlaceholderType, Register, Signal, Stage
from .phrasing import RepetitionRule
from .render import (
    Formatter,
    Placeholder,
    Template,
    compile_template,
    format_value,
    formatter,
)

__all__ = [
    "NEUTRAL_FILE",
    "OVERLAY_MODES",
    "PAGE_LABEL_KEYS",
    "SOURCE_LOCALE",
    "CatalogueDir",
    "EntryDef",
    "GlossaryTerm",
    "LocaleData",
    "Neutral",
    "SituationDef",
    "StageRule",
    "Variant",
    "decode_toml",
    "discover_locales",
    "display_path",
    "fingerprint",
    "line_sets",
    "load_locale",
    "load_neutral",
    "load_overlay_locale",
    "parse_toml",
    "read_catalogue_bytes",
    "read_toml",
    "require_cldr",
    "require_source_texts",
    "shipped_catalogue",
]

NEUTRAL_FILE = "entries.toml"
"""The name of the locale-neutral file in a catalogue directory."""

SOURCE_LOCALE = "en"
"""The locale every catalogue is written from, and the last fallback."""

LABEL_KEYS = frozenset([*(s.value for s in Stage), "phrases", "tips"])
"""The keys every locale file's ``[labels]`` table has."""

PAGE_LABEL_KEYS = frozenset(
    "page-" + key
    for key in [
        "customer-language",
        "agent-language",
        "situation",
        "channel",
        "register",
        "start",
        "another",
        "next",
        "copy",
        "copied",
        "values",
        "name",
        "amount",
        "currency",
        "date",
        "days",
        "options",
        "summary",
        "crisis-line",
        "events",
        "insult",
        "calmed",
        "manager",
        "legal",
        "self-harm",
        "violence",
        "end",
        "ladder",
        "ladder-none",
        "ladder-request",
        "ladder-warning",
        "ladder-final",
        "ladder-end",
        "safety",
        "safety-steps",
        "over",
        "download",
        "translators",
        "heard",
        "listen",
        "heard-none",
        "words",
        "fallback",
        "phone",
        "chat",
        "email",
        "formal",
        "informal",
        "neutral",
        "stage",
        "tips",
    ]
)
"""Optional ``[labels]`` keys: the agent-assist page's interface. The page shows the
source locale's label, marked as untranslated, where a locale has none."""

OVERLAY_MODES = ("replace", "add")
"""How an overlay's texts for an entry relate to the texts below it (``mode = ...``)."""

_ENTRY_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+")
_SITUATION_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)|\(at end of document\)")
_TOML_TWICE = re.compile(r"Cannot (?:declare|overwrite)")


class CatalogueDir(Protocol):
    """A directory of catalogue files: a :class:`pathlib.Path` or a package resource."""

    @property
    def name(self) -> str: ...

    def iterdir(self) -> Iterator[CatalogueDir]: ...

    def joinpath(self, *descendants: str) -> CatalogueDir: ...

    def read_bytes(self) -> bytes: ...

    def is_file(self) -> bool: ...


def shipped_catalogue() -> CatalogueDir:
    """The catalogue directory shipped inside the package (works from a wheel or a zip)."""
    import sys

    if sys.version_info >= (3, 12):
        from importlib.resources import files
    else:  # pragma: no cover - exercised on 3.11 only
        from importlib_resources import files
    directory: CatalogueDir = files("deescalate").joinpath("locales")
    return directory


def fingerprint(texts: Mapping[str, Sequence[str | Mapping[str, str]]]) -> str:
    """The fingerprint of an entry's source texts, as a locale file's ``source`` records it.

    ``texts`` maps each TOML key (``text``, ``formal``, ``informal``) to its
    variants as the file holds them: strings, or tables of plural forms. Any
    change to any text, or a variant added or removed, changes the fingerprint;
    key order and plural-form order do not. 16 hex digits of SHA-256.

    >>> fingerprint({"text": ["Hello", {"one": "{n} day", "other": "{n} days"}]})
    'faaaf523039979bc'
    """
    import hashlib  # only the translator tools need these: keep them off import time
    import json

    canonical = json.dumps(
        {key: list(values) for key, values in texts.items()},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=dict,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def display_path(item: CatalogueDir) -> str:
    """How messages name a catalogue file: its path, or its place in the package."""
    return str(item) if isinstance(item, Path) else f"deescalate/locales/{item.name}"


def discover_locales(directory: CatalogueDir) -> dict[str, CatalogueDir]:
    """Map each locale file in ``directory`` to its locale id (the file's stem).

    A file whose stem is not a locale identifier in Babel's spelling
    (``da``, ``zh_Hans``) is a :class:`CatalogueError`.
    """
    found: dict[str, CatalogueDir] = {}
    for item in directory.iterdir():
        name = item.name
        if not name.endswith(".toml") or name == NEUTRAL_FILE:
            continue
        if isinstance(item, Path):
            _check_regular(item)
        elif not item.is_file():
            continue
        stem = name[: -len(".toml")]
        try:
            normalised = parse_tag(stem)
        except InvalidLocaleError as err:
            raise CatalogueError(
                f"the file name is not a locale identifier: {err.reason}",
                path=display_path(item),
            ) from None
        if normalised != stem:
            raise CatalogueError(
                f"name the file {normalised}.toml (Babel's spelling of the locale)",
                path=display_path(item),
            )
        found[stem] = item
    return dict(sorted(found.items()))


# --- TOML and error locations ------------------------------------------------------


def _check_regular(item: Path) -> None:
    """Refuse a catalogue file in a directory that is a link or not a regular file.

    A symbolic link would let a catalogue directory read (and show key names
    from) a file elsewhere; a FIFO or a device would block or never end.
    """
    if item.is_symlink():
        raise CatalogueError(
            "a symbolic link: catalogue files must be regular files in the directory itself",
            path=item,
        )
    if not item.is_file():
        raise CatalogueError(
            "not a regular file (a catalogue file is a plain TOML file)", path=item
        )


def read_catalogue_bytes(item: CatalogueDir, shown: str | None = None) -> bytes:
    """The bytes of one catalogue file, refused if it is over the size limit.

    A file on disk must be a regular file, not a symbolic link
    (:class:`CatalogueError`), of at most ``limits.MAX_CATALOGUE_FILE_BYTES``
    (:class:`CatalogueTooLargeError`); it is never read further than that.
    """
    shown = shown or display_path(item)
    if isinstance(item, Path):
        try:
            return read_regular(item, MAX_CATALOGUE_FILE_BYTES, follow_symlinks=False)
        except FileTooLarge as err:
            raise CatalogueTooLargeError(
                err.size, err.maximum, what="the file", path=shown
            ) from None
        except FileProblem as err:
            raise CatalogueError(f"the file cannot be read: {err.problem}", path=shown) from None
    raw = item.read_bytes()
    if len(raw) > MAX_CATALOGUE_FILE_BYTES:
        raise CatalogueTooLargeError(
            len(raw), MAX_CATALOGUE_FILE_BYTES, what="the file", path=shown
        )
    return raw


def read_toml(item: CatalogueDir, path: str | None = None) -> tuple[dict[str, Any], str]:
    """Parse one TOML file; return its data and its text (for locating errors).

    Raises :class:`CatalogueSyntaxError` (or :class:`DuplicateEntryError` for a
    key defined twice) with the file and line, and the errors of
    :func:`read_catalogue_bytes` and :func:`parse_toml`.
    """
    shown = path or display_path(item)
    return parse_toml(read_catalogue_bytes(item, shown), shown)


def decode_toml(raw: bytes, shown: str) -> str:
    """The text of a TOML file's bytes: UTF-8, without a byte-order mark."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        bad_line = raw[: err.start].count(b"\n") + 1
        raise CatalogueSyntaxError(
            "the file is not valid UTF-8", path=shown, line=bad_line
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def parse_toml(raw: bytes, shown: str) -> tuple[dict[str, Any], str]:
    """Parse the bytes of a TOML file shown as ``shown``; see :func:`read_toml`."""
    import tomllib  # not needed when the catalogues come compiled

    if len(raw) > MAX_CATALOGUE_FILE_BYTES:
        raise CatalogueTooLargeError(
            len(raw), MAX_CATALOGUE_FILE_BYTES, what="the file", path=shown
        )
    text = decode_toml(raw, shown)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively.
        raise CatalogueTooDeepError(
            0, MAX_TOML_DEPTH, what="the nesting of arrays and tables", path=shown
        ) from None
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        match = _TOML_POSITION.search(message)
        line: int | None = None
        if match:
            line = int(match.group(1)) if match.group(1) else text.count("\n") + 1
            message = message[: match.start()].rstrip()
        kind = DuplicateEntryError if _TOML_TWICE.match(message) else CatalogueSyntaxError
        raise kind(f"invalid TOML: {message}", path=shown, line=line) from None
    _check_shape(data, text, shown)
    return data, text


def _check_shape(data: dict[str, Any], text: str, shown: str) -> None:
    """Refuse nesting deeper than ``MAX_TOML_DEPTH`` and texts longer than ``MAX_TEXT_LENGTH``.

    Iterative, so a hostile file cannot exhaust the stack here or in the
    validation after it.
    """
    stack: list[tuple[object, tuple[str, ...]]] = [(data, ())]
    while stack:
        item, where = stack.pop()
        if len(where) >= MAX_TOML_DEPTH and isinstance(item, dict | list):
            raise CatalogueTooDeepError(
                len(where) + 1,
                MAX_TOML_DEPTH,
                what="the nesting of arrays and tables",
                path=shown,
                field=_dotted(where),
            )
        if isinstance(item, dict):
            stack.extend((value, (*where, str(key))) for key, value in item.items())
        elif isinstance(item, list):
            stack.extend((value, (*where, f"[{i}]")) for i, value in enumerate(item))
        elif isinstance(item, str) and len(item) > MAX_TEXT_LENGTH:
            entry_id = where[1] if len(where) > 1 and where[0] == "entries" else None
            field_name = _dotted(where[2:] if entry_id is not None else where)
            line = (
                find_line(text, "entries", entry_id, where[2] if len(where) > 2 else None)
                if entry_id is not None
                else None
            )
            raise TextTooLongError(
                len(item),
                MAX_TEXT_LENGTH,
                what="the text",
                path=shown,
                entry_id=entry_id,
                field=field_name,
                line=find_text_line(text, line, item) or line,
            )


def _dotted(where: Sequence[str]) -> str | None:
    return "".join(p if p.startswith("[") else f".{p}" for p in where).lstrip(".") or None


def find_line(
    text: str, table: str, key: str | None = None, field: str | None = None
) -> int | None:
    """Find the line (from 1) of ``[table."key"]`` and then of ``field =`` inside it."""
    lines = text.splitlines()
    if key is None:
        header = re.compile(rf"\s*\[{re.escape(table)}\]\s*(#.*)?$")
    else:
        quoted = re.escape(key)
        header = re.compile(rf"\s*\[{re.escape(table)}\.(\"{quoted}\"|'{quoted}'|{quoted})\]")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        if key is not None:
            # An inline form such as `key = { ... }` inside [table].
            inline = re.compile(rf"\s*(\"{re.escape(key)}\"|{re.escape(key)})\s*=")
            hit = next((i for i, line in enumerate(lines) if inline.match(line)), None)
            return hit + 1 if hit is not None else None
        return None
    if field is None:
        return start + 1
    assignment = re.compile(rf"\s*(\"{re.escape(field)}\"|{re.escape(field)})\s*[.=]")
    for offset, line in enumerate(lines[start + 1 :], start=start + 1):
        if line.lstrip().startswith("["):
            break
        if assignment.match(line):
            return offset + 1
    return start + 1


def find_text_line(text: str, after: int | None, snippet: str) -> int | None:
    """The first line from ``after`` on that contains the start of ``snippet``.

    Used to point at the exact variant of a multi-line list; the snippet is
    cut before any character TOML may have escaped.
    """
    if after is None:
        return None
    probe = re.split(r'["\\\n]', snippet, maxsplit=1)[0][:40]
    if len(probe) < 4:
        return None
    for number, line in enumerate(text.splitlines()[after - 1 :], start=after):
        if probe in line:
            return number
    return None


# --- the validated structures the picker uses ----------------------------------------


@dataclass(frozen=True, slots=True)
class StageRule:
    """How a situation's lines at one stage relate to its parent's (``[situations.x.stages.y]``).

    ``extend`` (the default) offers the situation's own lines and then the
    parent's; ``replace`` offers its own alone. ``exclude`` names parent lines
    (phrases or tips) to leave out of an extension.
    """

    phrases: str = "extend"
    tips: str = "extend"
    exclude: frozenset[str] = frozenset()

    def mode(self, kind: Kind) -> str:
        """The rule for phrases or for tips."""
        return self.phrases if kind is Kind.PHRASE else self.tips


_EXTEND = StageRule()


@dataclass(frozen=True, slots=True)
class SituationDef:
    """A situation of the taxonomy, as the neutral file defines it."""

    id: str
    description: str
    parent: str | None
    inherits: bool
    ladder: tuple[str, ...]
    stages: Mapping[Stage, StageRule] = field(default_factory=lambda: MappingProxyType({}))
    """The stages whose lines do not simply extend the parent's, and how."""

    def rule(self, stage: Stage) -> StageRule:
        """How this situation's lines at ``stage`` relate to its parent's."""
        return self.stages.get(stage, _EXTEND)


@dataclass(frozen=True, slots=True)
class EntryDef:
    """An entry's locale-neutral metadata."""

    id: str
    kind: Kind
    stage: Stage
    situations: tuple[str, ...]
    channels: frozenset[Channel]
    flags: tuple[Flag, ...]
    placeholders: Mapping[str, Placeholder]
    plural: str | None
    notes: str
    ladder_step: int = 0
    """Its step on a situation's escalation ladder (1 = first), or 0."""
    required: frozenset[str] = field(default=frozenset())
    optional: frozenset[str] = field(default=frozenset())
    formatters: tuple[tuple[str, bool, Formatter], ...] = field(default=(), compare=False)
    """Each placeholder's name, whether it is text, and its bound formatter (made from
    ``placeholders``, so not compared)."""


@dataclass(frozen=True, slots=True)
class Variant:
    """One way of saying an entry: a template, or a template per plural category."""

    index: int
    template: Template | None
    forms: Mapping[str, Template] | None
    names: frozenset[str]
    """Every placeholder any form of the variant uses."""

    @property
    def source(self) -> str | Mapping[str, str]:
        """The text as written in the file."""
        if self.template is not None:
            return self.template.source
        return {category: t.source for category, t in (self.forms or {}).items()}


@dataclass(frozen=True, slots=True)
class GlossaryTerm:
    """The one rendering a locale uses for a recurring term, and words to avoid."""

    use: str
    avoid: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SignalPhrases:
    """A locale's phrases for one signal (see :mod:`deescalate._patterns` for the syntax)."""

    phrases: tuple[str, ...]
    """Direct phrases: heard with high confidence."""
    cues: tuple[str, ...]
    """Weaker cues: heard with low confidence."""
    not_: tuple[str, ...]
    """Phrases that look like the signal but are not (figures of speech, negations)."""


@dataclass(frozen=True, slots=True)
class Neutral:
    """The validated locale-neutral file."""

    path: str
    situations: Mapping[str, SituationDef]
    entries: Mapping[str, EntryDef]
    values: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    """Default placeholder values (``[values]``), used where a caller gives none."""
    origins: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Situation or entry id → the overlay file that defines it; others are in ``path``."""
    lines: Mapping[tuple[str, Stage, Kind], tuple[tuple[str, str], ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """(situation, stage, kind) → the ``(entry id, situation it comes from)`` pairs that
    fit there, the situation's own first: the stage rules applied up the parent chain.
    Every selection starts from this table; see :func:`line_sets`."""

    def origin(self, item_id: str) -> str:
        """The file that defines a situation or entry id."""
        return self.origins.get(item_id, self.path)

    def line_ids(self, situation: str, stage: Stage, kind: Kind) -> tuple[str, ...]:
        """The entry ids that fit ``situation`` at ``stage``, in order."""
        return tuple(e for e, _ in self.lines.get((situation, stage, kind), ()))


@dataclass(frozen=True, slots=True)
class LocaleData:
    """A validated locale file with its compiled templates."""

    id: str
    path: str
    registers: tuple[Register, ...]
    default_register: Register
    script: str
    quotes: tuple[str, ...]
    never_say: tuple[str, ...]
    labels: Mapping[str, str]
    situation_names: Mapping[str, str]
    glossary: Mapping[str, GlossaryTerm]
    texts: Mapping[str, Mapping[Register | None, tuple[Variant, ...]]]
    """Entry id → register → variants; the ``None`` register holds register-free texts."""
    fingerprints: Mapping[str, str]
    """Entry id → fingerprint of the source text it was translated from."""
    text: str = field(repr=False, default="")
    """The file's text, kept to locate problems found after loading."""
    origins: Mapping[str, tuple[str, str]] = field(
        repr=False, default_factory=lambda: MappingProxyType({})
    )
    """Entry id → (path, text) of the overlay file its texts come from; others are in ``path``."""
    repetition: RepetitionRule | None = None
    """``[checks] repetition``: how much wording entries may share, or None for the default."""
    signals: Mapping[Signal, SignalPhrases] = field(
        repr=False, default_factory=lambda: MappingProxyType({})
    )
    """What the customer's words can signal (``[signals]``), for :meth:`Phrasebook.listen`."""
    formats: Formats = NO_FORMATS
    """``[formats]``: the CLDR forms the locale's values are written in."""

    def origin(self, entry_id: str) -> tuple[str, str]:
        """The path and text of the file that gives an entry's texts in this locale."""
        return self.origins.get(entry_id, (self.path, self.text))


def _frozen(mapping: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(mapping))


def load_neutral(
    data: Mapping[str, Any], text: str, path: str, base: Neutral | None = None
) -> Neutral:
    """Validate the parsed neutral file into a :class:`Neutral`.

    With ``base``, the file is an overlay's ``entries.toml`` (``schema`` may be
    left out): its situations and entries are added to ``base``'s and may refer
    to them (as parents, as an entry's situations), but an id ``base`` already
    defines is a :class:`DuplicateEntryError`. Its ``[values]`` are laid over
    ``base``'s. The result is the merged metadata; ``base`` is not changed.
    """
    from ._schema import NeutralFile, OverlayNeutralFile, validate

    spec = validate(NeutralFile if base is None else OverlayNeutralFile, data, path=path, text=text)
    below: Mapping[str, SituationDef] = base.situations if base is not None else {}
    situations: dict[str, SituationDef] = {}
    for sid, s in spec.situations.items():
        if not _SITUATION_ID.fullmatch(sid):
            raise CatalogueError(
                "a situation id is lowercase letters, digits and single hyphens",
                path=path,
                field=f"situations.{sid}",
                line=find_line(text, "situations", sid),
            )
        if base is not None and sid in below:
            raise DuplicateEntryError(
                f"situation {sid!r} is already defined in {base.origin(sid)}; "
                "an overlay can add situations but not redefine them",
                path=path,
                field=f"situations.{sid}",
                line=find_line(text, "situations", sid),
            )
        if s.parent is not None and s.parent not in spec.situations and s.parent not in below:
            raise CatalogueError(
                f"parent {s.parent!r} is not a situation",
                path=path,
                field=f"situations.{sid}.parent",
                line=find_line(text, "situations", sid, "parent"),
            )
        situations[sid] = SituationDef(
            sid, s.description, s.parent, s.inherits, s.ladder, _stage_rules(sid, s, path, text)
        )
    if base is None and "general" not in situations:
        raise CatalogueError("the situation 'general' must be defined", path=path)
    known = {**below, **situations}
    for sid in situations:
        seen = {sid}
        parent = situations[sid].parent
        while parent is not None:
            if parent in seen:
                raise CatalogueError(
                    f"situation {sid!r} has a cycle of parents",
                    path=path,
                    field=f"situations.{sid}.parent",
                    line=find_line(text, "situations", sid, "parent"),
                )
            seen.add(parent)
            parent = known[parent].parent

    steps: dict[str, int] = {}
    for sid, situation in situations.items():
        for step, eid in enumerate(situation.ladder, start=1):
            if eid not in spec.entries or sid not in spec.entries[eid].situations:
                raise CatalogueError(
                    f"ladder step {step} {eid!r} is not an entry of situation {sid!r}",
                    path=path,
                    field=f"situations.{sid}.ladder",
                    line=find_line(text, "situations", sid, "ladder"),
                )
            steps[eid] = step

    entries: dict[str, EntryDef] = {}
    for eid, e in spec.entries.items():
        if not _ENTRY_ID.fullmatch(eid):
            raise CatalogueError(
                "an entry id is dot-separated parts of lowercase letters, digits and hyphens, "
                "e.g. 'restate.own-words'",
                path=path,
                entry_id=eid,
                line=find_line(text, "entries", eid),
            )
        if base is not None and eid in base.entries:
            raise DuplicateEntryError(
                f"entry {eid!r} is already defined in {base.origin(eid)}; an overlay cannot "
                "change an entry's metadata (give it new texts in a locale file, or add an "
                "entry with a new id)",
                path=path,
                entry_id=eid,
                line=find_line(text, "entries", eid),
            )
        for sid in e.situations:
            if sid not in known:
                raise CatalogueError(
                    f"unknown situation {sid!r}; defined: {', '.join(sorted(known))}",
                    path=path,
                    entry_id=eid,
                    field="situations",
                    line=find_line(text, "entries", eid, "situations"),
                )
        placeholders: dict[str, Placeholder] = {}
        for name, p in e.placeholders.items():
            try:
                placeholders[name] = Placeholder(
                    name=name,
                    type=p.type,
                    optional=p.optional,
                    style=p.style,  # type: ignore[arg-type]  # checked by Placeholder
                    description=p.description,
                )
            except TemplateError as err:
                raise TemplateError(
                    err.problem,
                    path=path,
                    entry_id=eid,
                    field=f"placeholders.{name}",
                    line=find_line(text, "entries", eid, "placeholders"),
                ) from None
        if e.kind is Kind.TIP and placeholders:
            raise CatalogueError(
                "tips take no placeholders",
                path=path,
                entry_id=eid,
                field="placeholders",
                line=find_line(text, "entries", eid, "placeholders"),
            )
        if e.plural is not None and (
            e.plural not in placeholders
            or placeholders[e.plural].type is not PlaceholderType.NUMBER
        ):
            raise CatalogueError(
                f"plural {e.plural!r} must name one of the entry's number placeholders",
                path=path,
                entry_id=eid,
                field="plural",
                line=find_line(text, "entries", eid, "plural"),
            )
        entries[eid] = EntryDef(
            id=eid,
            kind=e.kind,
            stage=e.stage,
            situations=e.situations,
            channels=frozenset(e.channels),
            flags=e.flags,
            placeholders=_frozen(placeholders),
            plural=e.plural,
            notes=e.notes,
            ladder_step=steps.get(eid, 0),
            required=frozenset(n for n, p in placeholders.items() if not p.optional),
            optional=frozenset(n for n, p in placeholders.items() if p.optional),
            formatters=tuple(
                (n, p.type is PlaceholderType.TEXT, formatter(p)) for n, p in placeholders.items()
            ),
        )
    if base is None:
        _check_defaults(spec.values, spec.values, entries, set(entries), path=path, text=text)
        return Neutral(
            path=path,
            situations=_frozen(situations),
            entries=_frozen(entries),
            values=_frozen(spec.values),
            lines=_frozen(line_sets(situations, entries, set(situations), path, text)),
        )
    values = {**base.values, **spec.values}
    merged = {**base.entries, **entries}
    _check_defaults(values, spec.values, merged, set(entries), path=path, text=text)
    return Neutral(
        path=base.path,
        situations=_frozen(known),
        entries=_frozen(merged),
        values=_frozen(values),
        origins=_frozen({**base.origins, **dict.fromkeys([*situations, *entries], path)}),
        lines=_frozen(line_sets(known, merged, set(situations), path, text)),
    )


def _check_rule(
    sid: str,
    parent: str,
    stage: Stage,
    rule: StageRule,
    entries: Mapping[str, EntryDef],
    lines: Mapping[tuple[str, Stage, Kind], tuple[tuple[str, str], ...]],
    path: str,
    text: str,
) -> None:
    """Check one stage rule against what the parent gives and what is left."""

    def fail(problem: str, key: str) -> CatalogueError:
        return CatalogueError(
            f"situation {sid!r}, stage {stage.value!r}: {problem}",
            path=path,
            field=f"situations.{sid}.stages.{stage.value}.{key}",
            line=find_line(text, f"situations.{sid}.stages", stage.value, key),
        )

    for eid in sorted(rule.exclude):
        entry = entries.get(eid)
        if entry is None:
            raise fail(f"excludes {eid!r}, which is not an entry", "exclude")
        if eid not in {e for e, _ in lines.get((parent, stage, entry.kind), ())}:
            raise fail(
                f"excludes {eid!r}, which is not a {entry.kind.value} that {parent!r} "
                "gives at this stage",
                "exclude",
            )
        if rule.mode(entry.kind) == "replace":
            raise fail(
                f"excludes {eid!r}, but its {entry.kind.value}s replace the parent's anyway",
                "exclude",
            )
    for kind in Kind:
        key = "phrases" if kind is Kind.PHRASE else "tips"
        if lines[(sid, stage, kind)] or not lines.get((parent, stage, kind)):
            continue
        how = (
            f'{key} = "replace", but the situation has no {key} of its own here'
            if rule.mode(kind) == "replace"
            else f"its exclusions leave no {key} here"
        )
        raise fail(f"{how}: nothing would be left", key)


def _stage_rules(sid: str, spec: Any, path: str, text: str) -> Mapping[Stage, StageRule]:
    """The validated ``[situations.<sid>.stages.<stage>]`` tables of one situation."""
    rules: dict[Stage, StageRule] = {}
    for name, rule in spec.stages.items():
        where = f"situations.{sid}.stages.{name}"
        line = find_line(text, f"situations.{sid}.stages", name) or find_line(
            text, "situations", sid
        )
        try:
            stage = Stage(name)
        except ValueError:
            raise CatalogueError(
                f"situation {sid!r}: unknown stage {name!r}; stages: "
                + ", ".join(s.value for s in Stage),
                path=path,
                field=where,
                line=line,
            ) from None
        if spec.parent is None or not spec.inherits:
            raise CatalogueError(
                f"situation {sid!r} inherits nothing, so a stage rule has nothing to extend, "
                "replace or exclude",
                path=path,
                field=where,
                line=line,
            )
        rules[stage] = StageRule(rule.phrases, rule.tips, frozenset(rule.exclude))
    return _frozen(rules)


def line_sets(
    situations: Mapping[str, SituationDef],
    entries: Mapping[str, EntryDef],
    checked: set[str],
    path: str,
    text: str,
) -> dict[tuple[str, Stage, Kind], tuple[tuple[str, str], ...]]:
    """Apply every situation's stage rules: which entries fit each situation × stage × kind.

    A situation's own entries come first, then (unless its rule for the stage
    is ``replace``, or the situation does not inherit) its parent's set minus
    the excluded ids. The rules of the situations in ``checked`` (those the
    file at ``path`` defines) are validated: an excluded id must be a line the
    parent gives at that stage, and a rule may not leave a stage with nothing
    where the parent had something.
    """
    own: dict[tuple[str, Stage, Kind], list[str]] = {}
    for entry in entries.values():
        for sid in entry.situations:
            own.setdefault((sid, entry.stage, entry.kind), []).append(entry.id)
    result: dict[tuple[str, Stage, Kind], tuple[tuple[str, str], ...]] = {}

    def lines(sid: str, stage: Stage, kind: Kind) -> tuple[tuple[str, str], ...]:
        key = (sid, stage, kind)
        if key in result:
            return result[key]
        situation = situations[sid]
        mine = [(e, sid) for e in own.get(key, ())]
        rule = situation.rule(stage)
        found = tuple(mine)
        if situation.parent is not None and situation.inherits and rule.mode(kind) == "extend":
            taken = {e for e, _ in mine}
            found += tuple(
                (e, where)
                for e, where in lines(situation.parent, stage, kind)
                if e not in rule.exclude and e not in taken
            )
        result[key] = found
        return found

    for sid in situations:
        for stage in Stage:
            for kind in Kind:
                lines(sid, stage, kind)
    for sid in sorted(checked):
        for stage, rule in situations[sid].stages.items():
            _check_rule(sid, situations[sid].parent or "", stage, rule, entries, result, path, text)
    return result


def _check_defaults(
    values: Mapping[str, object],
    fresh: Mapping[str, object],
    entries: Mapping[str, EntryDef],
    new_entries: set[str],
    *,
    path: str,
    text: str,
) -> None:
    """Check default values against every entry that declares their placeholder.

    ``fresh`` are the values this file sets and ``new_entries`` the entries it
    adds; other pairs were checked when an earlier file was loaded.
    """
    english = get_locale(SOURCE_LOCALE)
    for name, value in values.items():
        declaring = [e for e in entries.values() if name in e.placeholders]
        if name in fresh and not declaring:
            raise CatalogueError(
                f"no entry declares a placeholder {{{name}}}, so this value would never be used",
                path=path,
                field=f"values.{name}",
                line=find_line(text, "values", None, name),
            )
        for entry in declaring:
            if name not in fresh and entry.id not in new_entries:
                continue
            placeholder = entry.placeholders[name]
            try:
                format_value(placeholder, value, english)
            except (InvalidValueError, ValueTooLongError) as err:
                problem = (
                    f"the default value does not fit entry {entry.id!r}, which declares "
                    f"{{{name}}} as {placeholder.type.value}: {err}"
                )
                if name in fresh:
                    raise CatalogueError(
                        problem,
                        path=path,
                        field=f"values.{name}",
                        line=find_line(text, "values", None, name),
                    ) from None
                raise CatalogueError(
                    problem,
                    path=path,
                    entry_id=entry.id,
                    field=f"placeholders.{name}",
                    line=find_line(text, "entries", entry.id, "placeholders"),
                ) from None


def _compile_variants(
    raw: list[str | dict[str, str]],
    entry: EntryDef,
    *,
    key: str,
    categories: tuple[str, ...],
    path: str,
    text: str,
) -> tuple[Variant, ...]:
    # Lines are looked up only when something is wrong: scanning the file for
    # every entry would cost more than the whole load.
    def fail(problem: str, field_name: str, snippet: str | None = None) -> CatalogueError:
        line = find_line(text, "entries", entry.id, key)
        if snippet is not None:
            line = find_text_line(text, line, snippet) or line
        return CatalogueError(problem, path=path, entry_id=entry.id, field=field_name, line=line)

    def compiled(source: str, field_name: str) -> Template:
        try:
            return compile_template(source, entry.placeholders, entry_id=entry.id)
        except TemplateError as err:
            located = fail(err.problem, field_name, source)
            raise TemplateError(
                err.problem, path=path, entry_id=entry.id, field=field_name, line=located.line
            ) from None

    if not raw:
        raise fail("the variant list is empty", key)
    if len(raw) > MAX_VARIANTS:
        raise TooManyVariantsError(
            len(raw),
            MAX_VARIANTS,
            what="the variant list",
            path=path,
            entry_id=entry.id,
            field=key,
            line=find_line(text, "entries", entry.id, key),
        )
    variants: list[Variant] = []
    for index, item in enumerate(raw):
        field_name = f"{key}[{index}]"
        if isinstance(item, dict):
            if entry.plural is None:
                raise fail(
                    "a table of plural forms, but the entry declares no plural placeholder",
                    field_name,
                )
            unknown = sorted(set(item) - set(categories))
            if unknown:
                raise fail(
                    f"plural form(s) {', '.join(unknown)} are not CLDR plural categories "
                    f"({', '.join(categories)})",
                    field_name,
                )
            if "other" not in item:
                raise fail("plural forms must include 'other'", field_name)
            forms = {
                category: compiled(item[category], f"{field_name}.{category}")
                for category in categories
                if category in item
            }
            templates = list(forms.values())
            variant = Variant(
                index, None, _frozen(forms), frozenset().union(*(t.names for t in templates))
            )
        else:
            if entry.plural is not None:
                raise fail(
                    f"the entry is plural by {{{entry.plural}}}: write each variant as a table "
                    f"of plural forms ({', '.join(categories)})",
                    field_name,
                )
            template = compiled(item, field_name)
            templates = [template]
            variant = Variant(index, template, None, template.names)
        for template in templates:
            missing = entry.required - template.names
            if missing:
                raise fail(
                    "the text leaves out required placeholder(s) "
                    + ", ".join(f"{{{n}}}" for n in sorted(missing)),
                    field_name,
                    template.source,
                )
        variants.append(variant)
    return tuple(variants)


def load_locale(data: Mapping[str, Any], text: str, path: str, neutral: Neutral) -> LocaleData:
    """Validate one parsed locale file against the neutral file."""
    from ._schema import LocaleFile, validate

    spec = validate(LocaleFile, data, path=path, text=text)
    meta = spec.locale
    stem = Path(path).stem
    if meta.id != stem:
        raise CatalogueError(
            f"locale id {meta.id!r} does not match the file name {stem!r}",
            path=path,
            field="locale.id",
            line=find_line(text, "locale", None, "id"),
        )
    registers = meta.registers
    if not registers or len(set(registers)) != len(registers):
        raise CatalogueError(
            "list each register once",
            path=path,
            field="locale.registers",
            line=find_line(text, "locale", None, "registers"),
        )
    if Register.NEUTRAL in registers and len(registers) > 1:
        raise CatalogueError(
            "'neutral' is the only register of a language without formal/informal address",
            path=path,
            field="locale.registers",
            line=find_line(text, "locale", None, "registers"),
        )
    if meta.default_register not in registers:
        raise CatalogueError(
            f"default register {meta.default_register.value!r} is not one of its registers",
            path=path,
            field="locale.default_register",
            line=find_line(text, "locale", None, "default_register"),
        )
    label_keys = LABEL_KEYS | PAGE_LABEL_KEYS
    for table, allowed in (("labels", label_keys), ("situations", set(neutral.situations))):
        values: Mapping[str, str] = getattr(spec, table)
        for key in values:
            if key not in allowed:
                raise CatalogueError(
                    f"unknown key {key!r}; expected one of {', '.join(sorted(allowed))}",
                    path=path,
                    field=f"{table}.{key}",
                    line=find_line(text, table, None, key),
                )
    # Loading checks the names of plural forms against CLDR's six categories;
    # which of them this language uses comes from Babel's locale data, which
    # `check` consults (and the picker when it formats values). Loading it here
    # would cost about 1.4 MiB and some milliseconds per locale that may never
    # format a value.
    categories = PLURAL_ORDER
    texts: dict[str, dict[Register | None, tuple[Variant, ...]]] = {}
    fingerprints: dict[str, str] = {}
    for eid, entry_spec in spec.entries.items():
        entry = neutral.entries.get(eid)
        if entry is None:
            raise CatalogueError(
                f"no entry with this id in {NEUTRAL_FILE}",
                path=path,
                entry_id=eid,
                line=find_line(text, "entries", eid),
            )
        by_register: dict[Register | None, tuple[Variant, ...]] = {}
        for key in ("text", "formal", "informal"):
            raw = getattr(entry_spec, key)
            if raw is None:
                continue
            register = None if key == "text" else Register(key)
            if register is not None and (entry.kind is Kind.TIP or register not in registers):
                reason = (
                    "tips have one register: use 'text'"
                    if entry.kind is Kind.TIP
                    else f"this locale's registers are {', '.join(r.value for r in registers)}"
                )
                raise CatalogueError(
                    f"unexpected register key {key!r}: {reason}",
                    path=path,
                    entry_id=eid,
                    field=key,
                    line=find_line(text, "entries", eid, key),
                )
            by_register[register] = _compile_variants(
                raw, entry, key=key, categories=categories, path=path, text=text
            )
        if not by_register:
            raise CatalogueError(
                "no texts: give 'text' or the register keys "
                + ", ".join(r.value for r in registers if r is not Register.NEUTRAL),
                path=path,
                entry_id=eid,
                line=find_line(text, "entries", eid),
            )
        texts[eid] = by_register
        if entry_spec.source is not None:
            fingerprints[eid] = entry_spec.source
    script = spec.checks.script
    signals = {
        signal: _signal_phrases(
            signal, table.phrases, table.cues, table.not_, script=script, path=path, text=text
        )
        for signal, table in spec.signals.items()
    }
    return LocaleData(
        id=meta.id,
        path=path,
        registers=registers,
        default_register=meta.default_register,
        script=spec.checks.script,
        quotes=spec.checks.quotes,
        never_say=spec.checks.never_say,
        labels=_frozen(spec.labels),
        situation_names=_frozen(spec.situations),
        glossary=_frozen({k: GlossaryTerm(v.use, v.avoid) for k, v in spec.glossary.items()}),
        texts=_frozen({k: _frozen(v) for k, v in texts.items()}),
        fingerprints=_frozen(fingerprints),
        text=text,
        repetition=None
        if spec.checks.repetition is None
        else RepetitionRule(**spec.checks.repetition.model_dump()),
        signals=_frozen(signals),
        formats=NO_FORMATS
        if spec.formats is None
        else parse_formats(
            spec.formats.model_dump(),
            locale_id=meta.id,
            path=path,
            line_of=lambda where: find_line(text, "formats", None, where),
        ),
    )


def _signal_phrases(
    signal: Signal,
    phrases: tuple[str, ...],
    cues: tuple[str, ...],
    not_: tuple[str, ...],
    *,
    script: str,
    path: str,
    text: str,
) -> SignalPhrases:
    """Check a ``[signals.<name>]`` table's phrases: each must parse, none listed twice."""
    from ._patterns import PatternError, compile_phrase, style_for

    after = find_line(text, "signals", signal.value)
    style = style_for(script)
    seen: dict[str, str] = {}
    for key, values in (("phrases", phrases), ("cues", cues), ("not", not_)):
        for phrase in values:
            problem: str | None = None
            try:
                compile_phrase(phrase, style)
            except PatternError as err:
                problem = f"{err} in {phrase!r}"
            folded = " ".join(phrase.casefold().split())
            if problem is None and folded in seen:
                problem = (
                    f"{phrase!r} is listed twice"
                    if seen[folded] == key
                    else f"{phrase!r} is listed in both {seen[folded]!r} and {key!r}"
                )
            if problem is not None:
                raise CatalogueError(
                    problem,
                    path=path,
                    field=f"signals.{signal.value}.{key}",
                    line=find_text_line(text, after, phrase) or after,
                )
            seen[folded] = key
    return SignalPhrases(phrases, cues, not_)


# --- whole-catalogue checks at load ------------------------------------------------


def require_cldr(locale_id: str, path: str) -> None:
    """Refuse a locale file for a language Babel has no CLDR data for.

    Such a locale could be loaded but never picked from, checked or listed (its
    plural rules, display name and formats all come from CLDR).
    """
    from babel import localedata

    if not localedata.exists(locale_id):
        raise CatalogueError(
            f"Babel has no CLDR data for locale {locale_id!r}, so it cannot be a catalogue locale",
            path=path,
        )


def require_source_texts(
    neutral: Neutral, source: LocaleData, defined_in: Mapping[str, str]
) -> None:
    """Refuse entries that the source locale gives no text for.

    Every pick falls back on the source locale's text, so an entry without one
    would break every pick of its stage. The error names the file that
    defined the entry (``defined_in``), or the source locale file.
    """
    for entry_id in sorted(neutral.entries.keys() - source.texts.keys()):
        raise CatalogueError(
            f"the entry has no {SOURCE_LOCALE} text: every entry needs one in "
            f"{SOURCE_LOCALE}.toml (the source locale every other falls back on)",
            path=defined_in.get(entry_id, source.path),
            entry_id=entry_id,
        )


# --- overlays ----------------------------------------------------------------------


def load_overlay_locale(
    data: Mapping[str, Any],
    text: str,
    path: str,
    neutral: Neutral,
    base: LocaleData | None,
) -> LocaleData:
    """Validate an overlay's locale file and lay it over ``base``, the locale so far.

    The file is validated exactly like a shipped locale file, but every table
    is optional: ``[locale]`` and ``[checks]`` default to ``base``'s, and may
    change only the default register, the quotation marks and (by adding to
    it) the never-say list. ``[labels]``, ``[situations]`` and ``[glossary]``
    are merged key by key. Each entry's texts replace ``base``'s texts for that
    entry (``mode = "replace"``, the default) or are added to them as further
    variants (``mode = "add"``, numbered after ``base``'s, so saved variant
    numbers stay valid).

    With no ``base`` the file adds a locale, so it must be a full locale file
    with ``[locale]`` and ``[checks]``; its entries may still be partial (the
    picker falls back to the source locale per entry, as for any locale).
    ``base`` is not changed.
    """
    stem = Path(path).stem
    modes: dict[str, str] = {}
    raw_entries = data.get("entries")
    synth: dict[str, Any] = dict(data)
    if isinstance(raw_entries, dict):
        stripped: dict[str, Any] = {}
        for eid, spec in raw_entries.items():
            if isinstance(spec, dict) and "mode" in spec:
                mode = spec["mode"]
                if mode not in OVERLAY_MODES:
                    raise CatalogueError(
                        f"mode must be one of {', '.join(map(repr, OVERLAY_MODES))}, not {mode!r}",
                        path=path,
                        entry_id=eid,
                        field="mode",
                        line=find_line(text, "entries", eid, "mode"),
                    )
                modes[eid] = mode
                spec = {k: v for k, v in spec.items() if k != "mode"}
            stripped[eid] = spec
        synth["entries"] = stripped
    if base is None:
        for table in ("locale", "checks"):
            if table not in data:
                raise CatalogueError(
                    f"{stem} is not a locale of the catalogues below this overlay, so this "
                    f"file adds it and needs the [{table}] table of a full locale file",
                    path=path,
                    field=table,
                )
        return load_locale(synth, text, path, neutral)
    own_locale = data.get("locale", {})
    own_checks = data.get("checks", {})
    if isinstance(own_locale, dict):
        synth["locale"] = {
            "id": stem,
            "registers": [r.value for r in base.registers],
            "default_register": base.default_register.value,
            **own_locale,
        }
    if isinstance(own_checks, dict):
        synth["checks"] = {"script": base.script, **own_checks}
    layer = load_locale(synth, text, path, neutral)
    if layer.registers != base.registers:
        raise CatalogueError(
            "an overlay cannot change a locale's registers "
            f"({', '.join(r.value for r in base.registers)})",
            path=path,
            field="locale.registers",
            line=find_line(text, "locale", None, "registers"),
        )
    if layer.script != base.script:
        raise CatalogueError(
            f"an overlay cannot change a locale's script ({base.script})",
            path=path,
            field="checks.script",
            line=find_line(text, "checks", None, "script"),
        )
    texts = dict(base.texts)
    fingerprints = dict(base.fingerprints)
    origins = dict(base.origins)
    for eid, by_register in layer.texts.items():
        entry = neutral.entries[eid]
        if modes.get(eid) == "add" and eid in base.texts:
            if Flag.VERBATIM in entry.flags:
                raise CatalogueError(
                    "a verbatim entry's wording is fixed: an overlay may replace it with "
                    'reviewed wording (mode = "replace") but not add variants',
                    path=path,
                    entry_id=eid,
                    field="mode",
                    line=find_line(text, "entries", eid, "mode"),
                )
            texts[eid] = _add_variants(base.texts[eid], by_register)
        else:
            texts[eid] = by_register
            fingerprints.pop(eid, None)
        if eid in layer.fingerprints:
            fingerprints[eid] = layer.fingerprints[eid]
        origins[eid] = (path, text)
    checks = own_checks if isinstance(own_checks, dict) else {}
    return replace(
        base,
        default_register=layer.default_register,
        quotes=layer.quotes if "quotes" in checks else base.quotes,
        never_say=base.never_say + tuple(p for p in layer.never_say if p not in base.never_say),
        labels=_frozen({**base.labels, **layer.labels}),
        situation_names=_frozen({**base.situation_names, **layer.situation_names}),
        glossary=_frozen({**base.glossary, **layer.glossary}),
        texts=_frozen(texts),
        fingerprints=_frozen(fingerprints),
        origins=_frozen(origins),
        repetition=layer.repetition if "repetition" in checks else base.repetition,
        signals=_frozen(_merge_signals(base.signals, layer.signals)),
        formats=layer.formats.over(base.formats) if "formats" in data else base.formats,
    )


def _merge_signals(
    base: Mapping[Signal, SignalPhrases], layer: Mapping[Signal, SignalPhrases]
) -> dict[Signal, SignalPhrases]:
    """An overlay's signal phrases added to the ones below it (an overlay only adds)."""
    merged = dict(base)
    for signal, added in layer.items():
        below = merged.get(signal, SignalPhrases((), (), ()))
        merged[signal] = SignalPhrases(
            *(
                old + tuple(p for p in new if p not in old)
                for old, new in (
                    (below.phrases, added.phrases),
                    (below.cues, added.cues),
                    (below.not_, added.not_),
                )
            )
        )
    return merged


def _add_variants(
    below: Mapping[Register | None, tuple[Variant, ...]],
    added: Mapping[Register | None, tuple[Variant, ...]],
) -> Mapping[Register | None, tuple[Variant, ...]]:
    """``below``'s variants followed by ``added``'s, numbered after all of ``below``'s."""
    number = 1 + max((v.index for variants in below.values() for v in variants), default=-1)
    merged = dict(below)
    for register, variants in added.items():
        renumbered = []
        for variant in variants:
            renumbered.append(replace(variant, index=number))
            number += 1
        merged[register] = merged.get(register, ()) + tuple(renumbered)
    return _frozen(merged)
