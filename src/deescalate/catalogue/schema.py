"""The raw shapes of catalogue files, validated by pydantic.

Kept apart from :mod:`deescalate.catalogue.load` so that a program whose catalogues
come pre-validated (a wheel ships the shipped ones compiled) never builds these
models: :mod:`deescalate.catalogue.load` imports this module the first time it
validates a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import CatalogueError
from ..models import Channel, Flag, Kind, PlaceholderType, Register, Signal, Stage
from .toml import find_line

__all__ = [
    "INHERIT_MODES",
    "LocaleFile",
    "NeutralFile",
    "OverlayNeutralFile",
    "RawVariant",
    "validate",
]

INHERIT_MODES = ("extend", "replace")
"""How a situation's phrases or tips at a stage relate to its parent's."""


class _Strict(BaseModel):
    # Built on first validation (overlay shapes are never built without overlays).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class _PlaceholderSpec(_Strict):
    type: PlaceholderType = Field(description="How values are formatted.")
    optional: bool = Field(default=False, description="Whether variants may do without it.")
    style: str = Field(default="and", description="For lists: 'and' or 'or'.")
    description: str = Field(default="", description="What the value is, for translators.")


class _EntrySpec(_Strict):
    kind: Kind
    stage: Stage
    situations: tuple[str, ...] = ("general",)
    channels: tuple[Channel, ...] = tuple(Channel)
    flags: tuple[Flag, ...] = ()
    placeholders: dict[str, _PlaceholderSpec] = {}
    plural: str | None = None
    notes: str
    after: tuple[str, ...] = Field(
        default=(),
        description="Phrase ids: a conversation says this line only once one of them was "
        "said, and then in place of the stage's other lines.",
    )


class _StageRuleSpec(_Strict):
    phrases: Literal["extend", "replace"] = Field(
        default="extend", description="Whether its phrases add to the parent's or replace them."
    )
    tips: Literal["extend", "replace"] = Field(
        default="extend", description="Whether its tips add to the parent's or replace them."
    )
    exclude: tuple[str, ...] = Field(
        default=(), description="Entry ids of the parent's lines at this stage to leave out."
    )
    label: str | None = Field(
        default=None,
        description="The [labels] key of the stage's heading here, e.g. 'acknowledge'.",
    )


class _SituationSpec(_Strict):
    description: str
    parent: str | None = None
    inherits: bool = True
    ladder: tuple[str, ...] = ()
    # Keyed by stage name; the keys are checked where the error can name the line.
    stages: dict[str, _StageRuleSpec] = {}


class NeutralFile(_Strict):
    schema_version: int = Field(alias="schema")
    situations: dict[str, _SituationSpec] = {}
    entries: dict[str, _EntrySpec] = {}
    values: dict[str, Any] = Field(
        default={}, description="Default placeholder values, e.g. the company name."
    )


class OverlayNeutralFile(NeutralFile):
    schema_version: int = Field(default=1, alias="schema")


RawVariant = str | dict[str, str]


class _LocaleEntrySpec(_Strict):
    text: list[RawVariant] | None = None
    formal: list[RawVariant] | None = None
    informal: list[RawVariant] | None = None
    source: str | None = Field(
        default=None, description="Fingerprint of the English text it was translated from."
    )


class _LocaleMeta(_Strict):
    id: str
    registers: tuple[Register, ...]
    default_register: Register
    usage: str | None = Field(
        default=None,
        description="The territory whose usage the catalogue follows (a CLDR region code, "
        "e.g. TW); a request for another territory is served with a warning.",
    )


class _RepetitionSpec(_Strict):
    length: int = Field(ge=1, le=12, description="Units in a row that count as the same wording.")
    max_entries: int = Field(ge=1, le=100, description="Entries of a group that may share it.")
    opener_length: int = Field(
        ge=1, le=12, description="Units at the start of a text that count as the same opener."
    )


class _Checks(_Strict):
    script: str
    quotes: tuple[str, ...] = ()
    never_say: tuple[str, ...] = ()
    repetition: _RepetitionSpec | None = None


class _MoneyFormatSpec(_Strict):
    format: str | None = Field(default=None, description="An LDML number pattern.")
    currency_digits: bool = Field(default=True, description="Use the currency's decimals.")
    whole_format: str | None = Field(default=None, description="The pattern for whole amounts.")


class _FormatsSpec(_Strict):
    cldr: str | None = Field(default=None, description="The CLDR locale that formats values.")
    money: dict[str, _MoneyFormatSpec] = Field(default={}, description="By currency code or '*'.")
    dates: dict[str, str] = Field(default={}, description="CLDR date skeleton by channel.")
    lists: dict[str, str] = Field(default={}, description="Babel list style by 'and'/'or'.")


class _GlossarySpec(_Strict):
    use: str
    avoid: tuple[str, ...] = ()


class _SignalSpec(_Strict):
    phrases: tuple[str, ...] = Field(default=(), description="Direct phrases of the signal.")
    cues: tuple[str, ...] = Field(default=(), description="Weaker cues (low confidence).")
    not_: tuple[str, ...] = Field(
        default=(), alias="not", description="Phrases that look like the signal but are not."
    )


class LocaleFile(_Strict):
    locale: _LocaleMeta
    formats: _FormatsSpec | None = None
    checks: _Checks
    labels: dict[str, str] = {}
    situations: dict[str, str] = {}
    glossary: dict[str, _GlossarySpec] = {}
    signals: dict[Signal, _SignalSpec] = {}
    entries: dict[str, _LocaleEntrySpec] = {}


_M = TypeVar("_M", bound=BaseModel)


def validate(model: type[_M], data: Mapping[str, Any], *, path: str, text: str) -> _M:
    """Validate parsed TOML as ``model``; a problem is a CatalogueError with its line."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise _validation_error(err, path=path, text=text) from None


def _validation_error(err: ValidationError, *, path: str, text: str) -> CatalogueError:
    """Turn pydantic's first error into a CatalogueError naming file, entry, field, line."""
    errors = err.errors(include_url=False)
    first = errors[0]
    loc = [str(part) for part in first["loc"]]
    entry_id: str | None = None
    field_name: str | None = ".".join(loc) or None
    line: int | None = None
    if len(loc) >= 4 and loc[0] == "situations" and loc[2] == "stages":
        # [situations.id.stages.stage]
        line = find_line(
            text, f"situations.{loc[1]}.stages", loc[3], loc[4] if len(loc) > 4 else None
        ) or find_line(text, "situations", loc[1])
    elif len(loc) >= 2 and loc[0] in ("entries", "situations"):
        # Keyed tables: [entries."id"] or [situations.id].
        line = find_line(text, loc[0], loc[1], loc[2] if len(loc) > 2 else None)
        if loc[0] == "entries":
            entry_id = loc[1]
            field_name = ".".join(loc[2:]) or None
    elif loc:
        line = find_line(text, loc[0], None, loc[1] if len(loc) > 1 else None)
    problem = first["msg"]
    if first["type"] == "extra_forbidden":
        problem = "unknown key (not part of the catalogue format)"
    elif first["type"] == "missing":
        problem = "required key is missing"
    if len(errors) > 1:
        problem += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return CatalogueError(problem, path=path, entry_id=entry_id, field=field_name, line=line)
