"""Validating catalogue files: the neutral file, a locale, overlays laid over each other.

Everything here takes data already read (through :mod:`deescalate.catalogue.files`)
and returns the frozen structures of :mod:`deescalate.catalogue.data`;
:func:`layer_overlays` reads each overlay directory's files through the same module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .._records import replace
from ..errors import (
    CatalogueError,
    DuplicateEntryError,
    InvalidLocaleError,
    InvalidValueError,
    TemplateError,
    TooManyVariantsError,
    ValueTooLongError,
)
from ..formats import NO_FORMATS, parse_formats
from ..i18n import PLURAL_ORDER, get_locale
from ..limits import MAX_VARIANTS
from ..models import Flag, Kind, PlaceholderType, Register, Signal, Stage
from ..phrasing import RepetitionRule
from ..render import (
    Placeholder,
    Template,
    compile_template,
    format_value,
    formatter,
)
from .data import (
    LABEL_KEYS,
    NEUTRAL_FILE,
    OVERLAY_MODES,
    PAGE_LABEL_KEYS,
    SOURCE_LOCALE,
    STAGE_LABEL_KEYS,
    EntryDef,
    GlossaryTerm,
    LocaleData,
    Neutral,
    SignalPhrases,
    SituationDef,
    StageRule,
    Variant,
    _frozen,
    line_sets,
)
from .files import CatalogueDir, discover_locales, display_path, exists, read_toml
from .toml import find_line, find_text_line

_ENTRY_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+")
_SITUATION_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


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
    from .schema import NeutralFile, OverlayNeutralFile, validate

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
            after=frozenset(e.after),
        )
    _check_after(entries, base.entries if base is not None else {}, path, text)
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


def _check_after(
    entries: Mapping[str, EntryDef], below: Mapping[str, EntryDef], path: str, text: str
) -> None:
    """An entry's ``after`` names phrases (its own file's or those below it); tips have none."""
    known = {**below, **entries}
    for eid, entry in entries.items():
        for other in sorted(entry.after):
            problem = None
            if entry.kind is Kind.TIP:
                problem = "a tip is never said, so it cannot follow a line ('after')"
            elif other == eid:
                problem = "an entry cannot follow itself"
            elif other not in known:
                problem = f"'after' names {other!r}, which is not an entry"
            elif known[other].kind is not Kind.PHRASE:
                problem = f"'after' names {other!r}, a tip: only phrases are said"
            if problem is not None:
                raise CatalogueError(
                    problem,
                    path=path,
                    entry_id=eid,
                    field="after",
                    line=find_line(text, "entries", eid, "after"),
                )


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
        if rule.label is not None and rule.label not in STAGE_LABEL_KEYS:
            raise CatalogueError(
                f"situation {sid!r}, stage {name!r}: unknown label {rule.label!r}; labels: "
                + ", ".join(sorted(STAGE_LABEL_KEYS)),
                path=path,
                field=f"{where}.label",
                line=find_line(text, f"situations.{sid}.stages", name, "label") or line,
            )
        inheriting = (rule.phrases, rule.tips, rule.exclude) != ("extend", "extend", ())
        if inheriting and (spec.parent is None or not spec.inherits):
            raise CatalogueError(
                f"situation {sid!r} inherits nothing, so a stage rule has nothing to extend, "
                "replace or exclude",
                path=path,
                field=where,
                line=line,
            )
        rules[stage] = StageRule(rule.phrases, rule.tips, frozenset(rule.exclude), rule.label)
    return _frozen(rules)


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
    from .schema import LocaleFile, validate

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
    usage = _usage(meta.id, meta.usage, path, text)
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
        usage=usage,
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
    from .._patterns import PatternError, compile_phrase, phrase_key, style_for

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
            folded = phrase_key(phrase)
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


def layer_overlays(
    neutral: Neutral,
    files: Mapping[str, CatalogueDir],
    locale: Callable[[str], LocaleData],
    overlays: Sequence[Path],
    *,
    full: bool = False,
) -> tuple[Neutral, dict[str, LocaleData]]:
    """Lay each overlay directory over the catalogue below, in order; validate every file.

    ``neutral``, ``files`` and ``locale`` are the catalogue below (its metadata,
    its locale files, and how to get a locale of it, validated). An overlay may
    hold an ``entries.toml`` (laid over the metadata so far) and locale files
    (each laid over that locale so far, see :func:`load_overlay_locale`).
    Returns the metadata and every locale an overlay changed or added, merged.

    With ``full`` the catalogue below is a caller's full catalogue rather than the
    shipped one: every one of its locales is validated now and returned too.
    Either way, an entry with no text in the source locale is refused, naming
    the file that defined it. Nothing below is changed.
    """
    # Where each entry without shipped texts was defined, to name it if it has no English.
    defined_in: dict[str, str] = {}
    if full:
        defined_in = dict.fromkeys(neutral.entries, neutral.path)
        for locale_id in files:
            locale(locale_id)
        for locale_id, item in files.items():
            require_cldr(locale_id, display_path(item))
    layers: dict[str, list[tuple[CatalogueDir, str]]] = {}
    for directory in overlays:
        neutral_file = directory / NEUTRAL_FILE
        locales = discover_locales(directory)
        there = exists(neutral_file)
        if not there and not locales:
            raise CatalogueError(
                f"no {NEUTRAL_FILE} and no locale files: not a catalogue overlay",
                path=directory,
            )
        if there:
            raw, text = read_toml(neutral_file, str(neutral_file))
            before = neutral.entries.keys()
            neutral = load_neutral(raw, text, str(neutral_file), base=neutral)
            defined_in.update(dict.fromkeys(neutral.entries.keys() - before, str(neutral_file)))
        for locale_id, item in locales.items():
            layers.setdefault(locale_id, []).append((item, str(item)))
    merged: dict[str, LocaleData] = {}
    for locale_id, found in layers.items():
        # The locale below holds no overlay ids, so it is valid under any overlay.
        data = locale(locale_id) if locale_id in files else None
        if data is None:
            require_cldr(locale_id, found[0][1])
        for item, shown in found:
            raw, text = read_toml(item, shown)
            data = load_overlay_locale(raw, text, shown, neutral, data)
        if data is not None:
            merged[locale_id] = data
    if full:
        merged = {**{locale_id: locale(locale_id) for locale_id in files}, **merged}
    source = merged.get(SOURCE_LOCALE) or locale(SOURCE_LOCALE)
    require_source_texts(neutral, source, defined_in)
    return neutral, merged


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
        usage=layer.usage if isinstance(own_locale, dict) and "usage" in own_locale else base.usage,
    )


_REGION = re.compile(r"[A-Z]{2}|[0-9]{3}")


def _usage(locale_id: str, usage: str | None, path: str, text: str) -> str | None:
    """``[locale] usage``, checked: a CLDR region for which the locale has CLDR data."""
    if usage is None:
        return None
    reason = None
    if not _REGION.fullmatch(usage):
        reason = "a CLDR region code: two capital letters such as 'TW', or three digits"
    else:
        try:
            get_locale(f"{locale_id}_{usage}")
        except InvalidLocaleError:
            reason = f"a region with CLDR data for {locale_id} (Babel has no {locale_id}_{usage})"
    if reason is None:
        return usage
    raise CatalogueError(
        f"usage {usage!r} is not {reason}",
        path=path,
        field="locale.usage",
        line=find_line(text, "locale", None, "usage"),
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
