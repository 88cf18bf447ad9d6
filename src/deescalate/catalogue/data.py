"""The validated catalogue structures, and the line sets every selection starts from.

No I/O here: these are what loading a file produces (and what a compiled file
holds). :func:`line_sets` applies the situations' stage rules once, at load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from .._records import Record
from ..errors import (
    CatalogueError,
)
from ..formats import NO_FORMATS, Formats
from ..models import Channel, Flag, Kind, Register, Signal, Stage
from ..phrasing import RepetitionRule
from ..render import (
    Formatter,
    Placeholder,
    Template,
)
from .toml import find_line

NEUTRAL_FILE = "entries.toml"
"""The name of the locale-neutral file in a catalogue directory."""

SOURCE_LOCALE = "en"
"""The locale every catalogue is written from, and the last fallback."""

STAGE_LABEL_KEYS = frozenset([*(s.value for s in Stage), "acknowledge"])
"""The labels a stage heading may take: each stage's own, and the names a
situation may give a stage instead (``label`` in ``[situations.x.stages.y]``)."""

LABEL_KEYS = STAGE_LABEL_KEYS | {"phrases", "tips"}
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
        "choices",
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


# --- the validated structures the picker uses ----------------------------------------


# These are Records, not frozen dataclasses: a dataclass compiles its methods from
# generated source when the module is imported (about 4 M instructions a class), and
# a program's first pick imports this module (see _records.py).
_EMPTY: Mapping[Any, Any] = MappingProxyType({})


class StageRule(Record):
    """How a situation's lines at one stage relate to its parent's (``[situations.x.stages.y]``).

    ``extend`` (the default) offers the situation's own lines and then the
    parent's; ``replace`` offers its own alone. ``exclude`` names parent lines
    (phrases or tips) to leave out of an extension. ``label`` names the heading
    the stage has in this situation and the ones below it (a key of
    :data:`STAGE_LABEL_KEYS`), where the stage's own name would mislead.
    """

    _fields = ("phrases", "tips", "exclude", "label")
    __slots__ = _fields

    phrases: str
    tips: str
    exclude: frozenset[str]
    label: str | None

    def __init__(
        self,
        phrases: str = "extend",
        tips: str = "extend",
        exclude: frozenset[str] = frozenset(),
        label: str | None = None,
    ) -> None:
        object.__setattr__(self, "phrases", phrases)
        object.__setattr__(self, "tips", tips)
        object.__setattr__(self, "exclude", exclude)
        object.__setattr__(self, "label", label)

    def mode(self, kind: Kind) -> str:
        """The rule for phrases or for tips."""
        return self.phrases if kind is Kind.PHRASE else self.tips


_EXTEND = StageRule()


class SituationDef(Record):
    """A situation of the taxonomy, as the neutral file defines it."""

    _fields = ("id", "description", "parent", "inherits", "ladder", "stages")
    __slots__ = _fields

    id: str
    description: str
    parent: str | None
    inherits: bool
    ladder: tuple[str, ...]
    stages: Mapping[Stage, StageRule]
    """The stages whose lines do not simply extend the parent's, and how."""

    def __init__(
        self,
        id: str,
        description: str,
        parent: str | None,
        inherits: bool,
        ladder: tuple[str, ...],
        stages: Mapping[Stage, StageRule] = _EMPTY,
    ) -> None:
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "parent", parent)
        object.__setattr__(self, "inherits", inherits)
        object.__setattr__(self, "ladder", ladder)
        object.__setattr__(self, "stages", stages)

    def rule(self, stage: Stage) -> StageRule:
        """How this situation's lines at ``stage`` relate to its parent's."""
        return self.stages.get(stage, _EXTEND)


class EntryDef(Record):
    """An entry's locale-neutral metadata."""

    _fields = (
        "id",
        "kind",
        "stage",
        "situations",
        "channels",
        "flags",
        "placeholders",
        "plural",
        "notes",
        "ladder_step",
        "required",
        "optional",
        "formatters",
        "after",
    )
    __slots__ = _fields
    _compared = tuple(f for f in _fields if f != "formatters")

    id: str
    kind: Kind
    stage: Stage
    situations: tuple[str, ...]
    channels: frozenset[Channel]
    flags: tuple[Flag, ...]
    placeholders: Mapping[str, Placeholder]
    plural: str | None
    notes: str
    ladder_step: int
    """Its step on a situation's escalation ladder (1 = first), or 0."""
    required: frozenset[str]
    optional: frozenset[str]
    formatters: tuple[tuple[str, bool, Formatter], ...]
    """Each placeholder's name, whether it is text, and its bound formatter (made from
    ``placeholders``, so not compared)."""
    after: frozenset[str]
    """Phrases that must have been said first: a conversation says this line only once
    one of them was, and then instead of the stage's other lines (the hand-over to a
    manager follows the line that connects the customer). Pick and playbook, which
    have no history, offer it like any other line."""

    def __init__(
        self,
        id: str,
        kind: Kind,
        stage: Stage,
        situations: tuple[str, ...],
        channels: frozenset[Channel],
        flags: tuple[Flag, ...],
        placeholders: Mapping[str, Placeholder],
        plural: str | None,
        notes: str,
        ladder_step: int = 0,
        required: frozenset[str] = frozenset(),
        optional: frozenset[str] = frozenset(),
        formatters: tuple[tuple[str, bool, Formatter], ...] = (),
        after: frozenset[str] = frozenset(),
    ) -> None:
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "stage", stage)
        object.__setattr__(self, "situations", situations)
        object.__setattr__(self, "channels", channels)
        object.__setattr__(self, "flags", flags)
        object.__setattr__(self, "placeholders", placeholders)
        object.__setattr__(self, "plural", plural)
        object.__setattr__(self, "notes", notes)
        object.__setattr__(self, "ladder_step", ladder_step)
        object.__setattr__(self, "required", required)
        object.__setattr__(self, "optional", optional)
        object.__setattr__(self, "formatters", formatters)
        object.__setattr__(self, "after", after)


class Variant(Record):
    """One way of saying an entry: a template, or a template per plural category."""

    _fields = ("index", "template", "forms", "names")
    __slots__ = _fields

    index: int
    template: Template | None
    forms: Mapping[str, Template] | None
    names: frozenset[str]
    """Every placeholder any form of the variant uses."""

    def __init__(
        self,
        index: int,
        template: Template | None,
        forms: Mapping[str, Template] | None,
        names: frozenset[str],
    ) -> None:
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "template", template)
        object.__setattr__(self, "forms", forms)
        object.__setattr__(self, "names", names)

    @property
    def source(self) -> str | Mapping[str, str]:
        """The text as written in the file."""
        if self.template is not None:
            return self.template.source
        return {category: t.source for category, t in (self.forms or {}).items()}


class GlossaryTerm(Record):
    """The one rendering a locale uses for a recurring term, and words to avoid."""

    _fields = ("use", "avoid")
    __slots__ = _fields

    use: str
    avoid: tuple[str, ...]

    def __init__(self, use: str, avoid: tuple[str, ...]) -> None:
        object.__setattr__(self, "use", use)
        object.__setattr__(self, "avoid", avoid)


class SignalPhrases(Record):
    """A locale's phrases for one signal (see :mod:`deescalate._patterns` for the syntax)."""

    _fields = ("phrases", "cues", "not_")
    __slots__ = _fields

    phrases: tuple[str, ...]
    """Direct phrases: heard with high confidence."""
    cues: tuple[str, ...]
    """Weaker cues: heard with low confidence."""
    not_: tuple[str, ...]
    """Phrases that look like the signal but are not (figures of speech, negations)."""

    def __init__(
        self, phrases: tuple[str, ...], cues: tuple[str, ...], not_: tuple[str, ...]
    ) -> None:
        object.__setattr__(self, "phrases", phrases)
        object.__setattr__(self, "cues", cues)
        object.__setattr__(self, "not_", not_)


class Neutral(Record):
    """The validated locale-neutral file."""

    _fields = ("path", "situations", "entries", "values", "origins", "lines")
    __slots__ = _fields

    path: str
    situations: Mapping[str, SituationDef]
    entries: Mapping[str, EntryDef]
    values: Mapping[str, object]
    """Default placeholder values (``[values]``), used where a caller gives none."""
    origins: Mapping[str, str]
    """Situation or entry id → the overlay file that defines it; others are in ``path``."""
    lines: Mapping[tuple[str, Stage, Kind], tuple[tuple[str, str], ...]]
    """(situation, stage, kind) → the ``(entry id, situation it comes from)`` pairs that
    fit there, the situation's own first: the stage rules applied up the parent chain.
    Every selection starts from this table; see :func:`line_sets`."""

    def __init__(
        self,
        path: str,
        situations: Mapping[str, SituationDef],
        entries: Mapping[str, EntryDef],
        values: Mapping[str, object] = _EMPTY,
        origins: Mapping[str, str] = _EMPTY,
        lines: Mapping[tuple[str, Stage, Kind], tuple[tuple[str, str], ...]] = _EMPTY,
    ) -> None:
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "situations", situations)
        object.__setattr__(self, "entries", entries)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "origins", origins)
        object.__setattr__(self, "lines", lines)

    def origin(self, item_id: str) -> str:
        """The file that defines a situation or entry id."""
        return self.origins.get(item_id, self.path)

    def chain(self, situation: str) -> tuple[str, ...]:
        """``situation`` (a known id) and the ancestors whose content it may use, nearest
        first: the chain stops at a situation that does not inherit."""
        chain = [situation]
        current = self.situations[situation]
        while current.inherits and current.parent is not None:
            chain.append(current.parent)
            current = self.situations[current.parent]
        return tuple(chain)

    def stage_label(self, situation: str, stage: Stage) -> str:
        """The ``[labels]`` key of ``stage``'s heading in ``situation`` (a known id).

        The nearest ``label`` up the situation's chain, else the stage's own name:
        safety-self-harm's apologise stage is "acknowledge", because safety-threat
        says so.
        """
        for sid in self.chain(situation):
            rule = self.situations[sid].stages.get(stage)
            if rule is not None and rule.label is not None:
                return rule.label
        return stage.value

    def line_ids(self, situation: str, stage: Stage, kind: Kind) -> tuple[str, ...]:
        """The entry ids that fit ``situation`` at ``stage``, in order."""
        return tuple(e for e, _ in self.lines.get((situation, stage, kind), ()))


class LocaleData(Record):
    """A validated locale file with its compiled templates."""

    _fields = (
        "id",
        "path",
        "registers",
        "default_register",
        "script",
        "quotes",
        "never_say",
        "labels",
        "situation_names",
        "glossary",
        "texts",
        "fingerprints",
        "text",
        "origins",
        "repetition",
        "signals",
        "formats",
        "usage",
    )
    __slots__ = _fields
    _compared = tuple(f for f in _fields if f != "text")
    _shown = tuple(f for f in _fields if f not in ("text", "origins", "signals"))

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
    text: str
    """The file's text, kept to locate problems found after loading when it was read from
    the TOML (a compiled catalogue keeps none); not part of what the catalogue holds, so
    not compared."""
    origins: Mapping[str, tuple[str, str]]
    """Entry id → (path, text) of the overlay file its texts come from; others are in ``path``."""
    repetition: RepetitionRule | None
    """``[checks] repetition``: how much wording entries may share, or None for the default."""
    signals: Mapping[Signal, SignalPhrases]
    """What the customer's words can signal (``[signals]``), for :meth:`Phrasebook.listen`."""
    formats: Formats
    """``[formats]``: the CLDR forms the locale's values are written in."""
    usage: str | None
    """``[locale] usage``: the territory whose usage the texts follow, or None for any."""

    def __init__(
        self,
        id: str,
        path: str,
        registers: tuple[Register, ...],
        default_register: Register,
        script: str,
        quotes: tuple[str, ...],
        never_say: tuple[str, ...],
        labels: Mapping[str, str],
        situation_names: Mapping[str, str],
        glossary: Mapping[str, GlossaryTerm],
        texts: Mapping[str, Mapping[Register | None, tuple[Variant, ...]]],
        fingerprints: Mapping[str, str],
        text: str = "",
        origins: Mapping[str, tuple[str, str]] = _EMPTY,
        repetition: RepetitionRule | None = None,
        signals: Mapping[Signal, SignalPhrases] = _EMPTY,
        formats: Formats = NO_FORMATS,
        usage: str | None = None,
    ) -> None:
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "registers", registers)
        object.__setattr__(self, "default_register", default_register)
        object.__setattr__(self, "script", script)
        object.__setattr__(self, "quotes", quotes)
        object.__setattr__(self, "never_say", never_say)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "situation_names", situation_names)
        object.__setattr__(self, "glossary", glossary)
        object.__setattr__(self, "texts", texts)
        object.__setattr__(self, "fingerprints", fingerprints)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "origins", origins)
        object.__setattr__(self, "repetition", repetition)
        object.__setattr__(self, "signals", signals)
        object.__setattr__(self, "formats", formats)
        object.__setattr__(self, "usage", usage)

    def origin(self, entry_id: str) -> tuple[str, str]:
        """The path and text of the file that gives an entry's texts in this locale."""
        return self.origins.get(entry_id, (self.path, self.text))


def _frozen(mapping: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(mapping))


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
