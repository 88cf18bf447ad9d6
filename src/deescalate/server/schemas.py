"""Request and response bodies of the service that are not the library's own models.

Results (``Phrase``, ``Tip``, ``Playbook``, ``ConversationState``, ...) are the
library's models, sent as ``model_dump_json`` writes them; this module holds
only what HTTP adds around them. Every size that enters from the network is
bounded here, before the library sees it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

import deescalate as de
from deescalate import Channel, Register, Stage

__all__ = [
    "ChoicesResponse",
    "ConversationCreate",
    "ConversationView",
    "EventRequest",
    "EventResponse",
    "LocaleInfo",
    "MoneyValue",
    "PickQuery",
    "PickRequest",
    "SayRequest",
    "SayResponse",
    "SituationLabel",
    "StageInfo",
    "StageRequest",
    "TipsResponse",
    "to_library_values",
]

# Limits on what a request may carry; the library has its own on rendered text.
MAX_NAME = 64
MAX_TEXT = 1000
MAX_LOCALE = 256
MAX_LOCALES = 16
MAX_VALUES = 32
MAX_LIST = 32
MAX_WORDS = 2000
SEED_MIN = -(2**63)
SEED_MAX = 2**63 - 1

Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
LocaleTag = Annotated[str, StringConstraints(min_length=1, max_length=MAX_LOCALE)]
Seed = Annotated[int, Field(ge=SEED_MIN, le=SEED_MAX)]


class _Body(BaseModel):
    # A field called `register` shadows BaseModel.register: such fields are
    # named `register_` and aliased.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class MoneyValue(_Body):
    """An amount of money: ``{"amount": "12.50", "currency": "EUR"}``."""

    amount: Annotated[str, StringConstraints(max_length=40)] | int | float = Field(
        description="The amount; a decimal string keeps every digit."
    )
    currency: Annotated[str, StringConstraints(max_length=3)] = Field(
        description="An ISO 4217 code such as 'EUR'."
    )


Value = Text | int | float | datetime.date | list[Text] | MoneyValue
"""A placeholder value: text, a number, a date ('YYYY-MM-DD'), a list of texts, or money."""

Values = Annotated[dict[Name, Value], Field(max_length=MAX_VALUES)]
Locale = LocaleTag | Annotated[list[LocaleTag], Field(min_length=1, max_length=MAX_LOCALES)]


def to_library_values(values: dict[str, Any] | None) -> dict[str, object]:
    """Values as the library takes them: money becomes :class:`deescalate.Money`."""
    converted: dict[str, object] = {}
    for name, value in (values or {}).items():
        if isinstance(value, MoneyValue):
            try:
                amount = Decimal(str(value.amount))
            except InvalidOperation:
                raise de.InvalidValueError(
                    name, "an amount such as '12.50'", value.amount
                ) from None
            converted[name] = de.Money(amount, value.currency)
        else:
            converted[name] = value
    return converted


class PickQuery(_Body):
    """The query of ``GET /v1/pick``: the same options, values as ``NAME=VALUE`` pairs."""

    stage: Stage = Field(description="The stage to pick a line for.")
    situation: Name = Field(default="general", description="A situation id.")
    locale: LocaleTag | None = Field(
        default=None, description="A tag or an Accept-Language value; default: the header."
    )
    register_: Register | None = Field(default=None, alias="register")
    channel: Channel | None = None
    value: Annotated[list[Text], Field(max_length=MAX_VALUES)] = Field(
        default_factory=list, description="NAME=VALUE, repeatable (twice for a list)."
    )
    seed: Seed | None = None
    gloss: LocaleTag | None = None
    strict: bool = False
    entry: Name | None = None
    variant: Annotated[int, Field(ge=0, le=1000)] | None = None


class PickRequest(_Body):
    """The body of ``POST /v1/pick``: the same options as ``Phrasebook.pick``."""

    stage: Stage = Field(description="The stage to pick a line for.")
    situation: Name = Field(default="general", description="A situation id.")
    locale: Locale | None = Field(
        default=None,
        description="A tag, a list of tags or an Accept-Language value; "
        "default: the Accept-Language header, then 'en'.",
    )
    register_: Register | None = Field(
        default=None, alias="register", description="formal, informal or neutral."
    )
    channel: Channel | None = Field(default=None, description="phone, chat or email.")
    values: Values = Field(default_factory=dict, description="Placeholder values, typed.")
    seed: Seed | None = Field(default=None, description="Makes the choice deterministic.")
    gloss: LocaleTag | None = Field(default=None, description="Also the line in this locale.")
    strict: bool = Field(default=False, description="The register must match exactly.")
    entry: Name | None = Field(default=None, description="Pick from this entry only.")
    variant: Annotated[int, Field(ge=0, le=1000)] | None = Field(
        default=None, description="This variant of the entry (with entry)."
    )


class LocaleInfo(_Body):
    """A locale with a catalogue."""

    locale: str = Field(description="The catalogue's locale id, e.g. 'da'.")
    name: str = Field(description="Its name in English.")
    native_name: str = Field(description="Its name in itself.")
    registers: tuple[Register, ...] = Field(description="The registers it distinguishes.")
    default_register: Register = Field(description="The register used when none is asked.")
    usage: str | None = Field(
        default=None,
        description="The territory whose usage its texts follow (a CLDR region code, e.g. "
        "'TW'); requests for other territories are served with a warning. Null for any.",
    )


class StageInfo(_Body):
    """A stage and its name in the requested locale."""

    stage: Stage = Field(description="The stage id.")
    label: str = Field(description="Its name in the locale.")
    locale: str = Field(description="The catalogue locale of the label.")


class SituationLabel(_Body):
    """A situation of the taxonomy, with its name in the requested locale."""

    id: str
    parent: str | None
    description: str = Field(description="One line, in English.")
    inherits: bool
    ladder: tuple[str, ...]
    label: str = Field(description="The situation's name in the locale.")
    stage_labels: dict[str, str] = Field(
        default={},
        description="The stages whose heading in this situation is not the stage's own name "
        "(stage → heading in the locale), e.g. safety's apologise stage is 'Acknowledge'.",
    )
    locale: str = Field(description="The catalogue locale of the label.")


# --- conversations --------------------------------------------------------------------


class ConversationCreate(_Body):
    """The body of ``POST /v1/conversations``."""

    situation: Name = Field(default="general", description="What the contact is about.")
    locale: Locale | None = Field(
        default=None, description="As for pick; default: the Accept-Language header, then 'en'."
    )
    register_: Register | None = Field(default=None, alias="register")
    channel: Channel | None = Field(default=None, description="Give it: phone, chat or email.")
    gloss: LocaleTag | None = Field(default=None, description="Every line also in this locale.")
    customer_name: Text | None = Field(default=None, description="For lines that take {name}.")
    values: Annotated[dict[Name, Text], Field(max_length=MAX_VALUES)] = Field(
        default_factory=dict, description="Text values for the whole contact."
    )
    warnings: Annotated[int, Field(ge=0, le=10)] | None = Field(
        default=None, description="Abuse-ladder warnings before ending (default 3)."
    )
    seed: Seed | None = Field(default=None, description="Makes every choice deterministic.")


class SayRequest(_Body):
    """The body of ``POST /v1/conversations/{id}/say``."""

    stage: Stage | None = Field(
        default=None,
        description="Default: the stage of `entry` when one is given, else the recommended "
        "next stage.",
    )
    values: Values = Field(default_factory=dict, description="Values for this line only.")
    entry: Name | None = Field(
        default=None,
        description="Say a line of this entry: one of the choices the conversation offers "
        "at the stage now (GET …/choices), where only the agent knows which fits.",
    )


class StageRequest(_Body):
    """A body naming a stage (``tips``: default the recommended one)."""

    stage: Stage | None = None


class EventRequest(_Body):
    """The body of ``POST /v1/conversations/{id}/events``."""

    event: Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)] = Field(
        description="insult, calmed-down, asked-for-manager, threatened-to-sue, cried, "
        "self-harm, violence (or an alias)."
    )
    words: Annotated[str, StringConstraints(max_length=MAX_WORDS)] | None = Field(
        default=None, description="The customer's exact words, for the record."
    )


class ConversationView(_Body):
    """Where a conversation stands."""

    id: str = Field(description="The conversation id (use it in the URL).")
    version: int = Field(description="The stored version; the ETag is this number, quoted.")
    topic: str = Field(description="What the contact is about (never changes).")
    situation: str = Field(description="The situation now.")
    locale: str | tuple[str, ...] = Field(description="The locale requested.")
    register_: Register | None = Field(alias="register", description="The register requested.")
    channel: Channel | None
    safety: bool = Field(description="Whether safety mode is on (for good).")
    ended: bool = Field(description="Whether the ladder's ending line was said.")
    ladder_step: int
    ladder: tuple[str, ...] = Field(description="The entry ids of the abuse ladder.")
    next_stage: Stage | None = Field(description="The stage to go to now; null when over.")
    turns: int = Field(description="Records in the log.")

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True
    )


class ConversationDetail(ConversationView):
    """A conversation with its whole saved state."""

    state: de.ConversationState = Field(description="The state, as Phrasebook.resume takes it.")


class SayResponse(_Body):
    """A line said in a conversation."""

    phrase: de.Phrase
    conversation: ConversationView


class ChoicesResponse(_Body):
    """The lines a conversation chooses from at a stage now, one for each entry."""

    stage: Stage
    phrases: tuple[de.Phrase, ...]


class TipsResponse(_Body):
    """Advice shown in a conversation."""

    tips: tuple[de.Tip, ...]
    stage: Stage
    conversation: ConversationView


class EventResponse(_Body):
    """An event noted in a conversation."""

    event: de.Event
    conversation: ConversationView
