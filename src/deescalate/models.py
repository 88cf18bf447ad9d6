"""The vocabulary of deescalate: enums and the frozen result models.

No I/O happens here. Functions elsewhere accept an enum member or its string
value and normalise once, at the edge, with the ``coerce`` helpers below.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from .errors import InvalidOptionError, UnknownStageError

__all__ = [
    "Channel",
    "Confidence",
    "Event",
    "Fallback",
    "FallbackKind",
    "Flag",
    "Gloss",
    "Kind",
    "Phrase",
    "PlaceholderType",
    "Playbook",
    "PlaybookStage",
    "Register",
    "Signal",
    "SituationInfo",
    "Stage",
    "StageRuleInfo",
    "Tip",
    "coerce_option",
]


class Stage(StrEnum):
    """The seven stages of a de-escalation, in the order they happen."""

    CALM = "calm"
    LISTEN = "listen"
    RESTATE = "restate"
    APOLOGISE = "apologise"
    RESOLVE = "resolve"
    CLOSE = "close"
    COOL_DOWN = "cool-down"

    @classmethod
    def coerce(cls, value: Stage | str) -> Stage:
        """Return the stage for an enum member or its string value.

        >>> Stage.coerce("cool-down")
        <Stage.COOL_DOWN: 'cool-down'>
        """
        try:
            return cls(value)
        except ValueError:
            raise UnknownStageError(value, [s.value for s in cls]) from None


class Register(StrEnum):
    """How the customer is addressed.

    ``neutral`` is the only register of a language that makes no formal/informal
    distinction (English); ``formal`` and ``informal`` are the two forms of "you"
    in languages that have them (af u/jy, da De/du, ro dumneavoastră/tu,
    ko 하십시오체/해요체, zh 您/你).
    """

    NEUTRAL = "neutral"
    FORMAL = "formal"
    INFORMAL = "informal"


class Channel(StrEnum):
    """Where the contact happens."""

    PHONE = "phone"
    CHAT = "chat"
    EMAIL = "email"


class Kind(StrEnum):
    """Who an entry is for: a phrase is said to the customer, a tip advises the agent."""

    PHRASE = "phrase"
    TIP = "tip"


class Flag(StrEnum):
    """Guardrails an entry carries; the picker and the checks honour them."""

    VERBATIM = "verbatim"
    """Safety or legal wording: fixed, reviewed, never rotated into other wording."""
    NO_PROMISE = "no-promise"
    """The text must not promise an outcome the agent cannot guarantee."""
    NO_LIABILITY_ADMISSION = "no-liability-admission"
    """The text must not admit fault or legal liability."""


class PlaceholderType(StrEnum):
    """The declared type of a ``{name}`` placeholder, which decides its formatting."""

    TEXT = "text"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    LIST = "list"


class Signal(StrEnum):
    """What a customer's words can signal, as :meth:`Phrasebook.listen` hears it."""

    SELF_HARM = "self-harm"
    """Talk of suicide or of harming themselves."""
    VIOLENCE = "violence"
    """A threat to hurt someone."""
    ABUSE = "abuse"
    """Insults or obscenities aimed at the agent."""
    WANTS_MANAGER = "wants-manager"
    """A demand for a manager or supervisor."""
    LEGAL_THREAT = "legal-threat"
    """A threat to sue or take legal action."""
    DISTRESSED = "distressed"
    """Tears, despair, being at the end of their tether."""
    CALMED_DOWN = "calmed-down"
    """Signs of calming: thanks, an apology for shouting, agreement."""


class Event(StrEnum):
    """Something that happened in the contact, noted with :meth:`Conversation.note`."""

    INSULT = "insult"
    """The customer insulted or swore at the agent: one step up the abuse ladder."""
    ASKED_FOR_MANAGER = "asked-for-manager"
    """The customer asked for a manager or supervisor (situation ``wants-manager``)."""
    THREATENED_TO_SUE = "threatened-to-sue"
    """The customer threatened legal action (situation ``legal-threat``)."""
    CRIED = "cried"
    """The customer is crying or despairing (situation ``distressed``)."""
    SELF_HARM = "self-harm"
    """The customer spoke of harming themselves: safety mode for the rest of the contact."""
    VIOLENCE = "violence"
    """The customer threatened violence: safety mode for the rest of the contact."""
    CALMED_DOWN = "calmed-down"
    """The customer calmed down: one step back down the abuse ladder."""

    @classmethod
    def coerce(cls, value: Event | str) -> Event:
        """Return the event for a member, its value or a short alias.

        Case, spaces and underscores don't matter; the aliases are ``calm``,
        ``manager``, ``sue``, ``cry``/``crying``, ``suicide`` and ``abuse``.

        >>> Event.coerce("calmed down"), Event.coerce("calm"), Event.coerce("MANAGER")
        (<Event.CALMED_DOWN: 'calmed-down'>, <Event.CALMED_DOWN: 'calmed-down'>, \
<Event.ASKED_FOR_MANAGER: 'asked-for-manager'>)
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            key = "-".join(value.strip().lower().replace("_", " ").split())
            try:
                return cls(key)
            except ValueError:
                alias = _EVENT_ALIASES.get(key)
                if alias is not None:
                    return alias
        raise InvalidOptionError("event", value, [e.value for e in cls])


_EVENT_ALIASES: Mapping[str, Event] = {
    "calm": Event.CALMED_DOWN,
    "calmed": Event.CALMED_DOWN,
    "calm-down": Event.CALMED_DOWN,
    "manager": Event.ASKED_FOR_MANAGER,
    "supervisor": Event.ASKED_FOR_MANAGER,
    "sue": Event.THREATENED_TO_SUE,
    "legal": Event.THREATENED_TO_SUE,
    "cry": Event.CRIED,
    "crying": Event.CRIED,
    "suicide": Event.SELF_HARM,
    "abuse": Event.INSULT,
    "insulted": Event.INSULT,
}


class Confidence(StrEnum):
    """How directly a signal was said."""

    HIGH = "high"
    """A direct phrase of the signal."""
    LOW = "low"
    """A weaker cue: worth a look by the agent, not acted on by itself."""


class FallbackKind(StrEnum):
    """What a result fell back on."""

    LOCALE = "locale"
    SITUATION = "situation"
    REGISTER = "register"


_E = TypeVar("_E", bound=StrEnum)


def coerce_option(enum: type[_E], option: str, value: _E | str | None) -> _E | None:
    """The member of ``enum`` for a member or its string value; ``None`` stays ``None``.

    >>> coerce_option(Channel, "channel", "chat")
    <Channel.CHAT: 'chat'>

    Anything else raises :class:`InvalidOptionError` listing the valid values.
    """
    if value is None or isinstance(value, enum):
        return value
    try:
        return enum(value)
    except ValueError:
        raise InvalidOptionError(option, value, [m.value for m in enum]) from None


class _Frozen(BaseModel):
    # Schemas are built on first use: import stays quick, and a model a program
    # never touches costs nothing.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Fallback(_Frozen):
    """One step where the result differs from what was asked, and why."""

    kind: FallbackKind = Field(description="What fell back: locale, situation or register.")
    requested: str = Field(description="What the caller asked for.")
    used: str = Field(description="What the result actually uses.")
    reason: str = Field(description="Why, in one English sentence.")


class Gloss(_Frozen):
    """The same entry in a second locale, for an agent who reads it better."""

    locale: str = Field(description="The locale of the gloss text.")
    text: str = Field(description="The gloss text.")


class Phrase(_Frozen):
    """A line to say or type to the customer, with how it was chosen."""

    text: str = Field(description="The rendered text, ready to say or send.")
    id: str = Field(description="The entry id, the same in every locale.")
    variant: int = Field(description="Which variant of the entry, counted from 0.")
    stage: Stage = Field(description="The stage the entry belongs to.")
    situation: str = Field(description="The situation whose entry was used.")
    locale: str = Field(description="The catalogue locale actually used, e.g. 'da'.")
    register_: Register = Field(
        alias="register",
        description="The register actually used.",
    )
    channels: tuple[Channel, ...] = Field(description="Channels the entry suits.")
    flags: tuple[Flag, ...] = Field(default=(), description="Guardrail flags.")
    fallback: tuple[Fallback, ...] = Field(
        default=(), description="What was not as requested, and why; empty when nothing was."
    )
    warnings: tuple[str, ...] = Field(default=(), description="Data gaps that were worked around.")
    gloss: Gloss | None = Field(default=None, description="The entry in the gloss locale.")

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        serialize_by_alias=True,
        defer_build=True,
    )

    @property
    def register(self) -> Register:
        """The register actually used (the field is stored as ``register_``)."""
        return self.register_

    @property
    def verbatim(self) -> bool:
        """Whether the wording is fixed (safety or legal) and must not be rephrased."""
        return Flag.VERBATIM in self.flags


class Tip(_Frozen):
    """Advice to the agent for one stage."""

    text: str = Field(description="The advice, in the requested locale.")
    id: str = Field(description="The entry id, the same in every locale.")
    stage: Stage = Field(description="The stage the advice is for.")
    situation: str = Field(description="The situation whose entry this is.")
    locale: str = Field(description="The catalogue locale actually used.")
    fallback: tuple[Fallback, ...] = Field(default=(), description="What fell back, and why.")
    warnings: tuple[str, ...] = Field(default=(), description="Data gaps worked around.")
    gloss: Gloss | None = Field(default=None, description="The tip in the gloss locale.")


class PlaybookStage(_Frozen):
    """Everything for one stage of a playbook."""

    stage: Stage = Field(description="The stage.")
    label: str = Field(description="The stage's name in the playbook's locale.")
    phrases: tuple[Phrase, ...] = Field(description="One line per entry that fits.")
    tips: tuple[Tip, ...] = Field(description="Advice for the agent at this stage.")


class Playbook(_Frozen):
    """Every stage of a contact, in order, for one situation and locale."""

    situation: str = Field(description="The situation requested.")
    title: str = Field(description="The situation's name in the playbook's locale.")
    locale: str = Field(description="The catalogue locale actually used.")
    register_: Register = Field(alias="register", description="The register used.")
    channel: Channel | None = Field(default=None, description="The channel filter, if any.")
    stages: tuple[PlaybookStage, ...] = Field(description="The seven stages, in order.")
    fallback: tuple[Fallback, ...] = Field(default=(), description="What fell back, and why.")
    warnings: tuple[str, ...] = Field(default=(), description="Data gaps worked around.")

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        serialize_by_alias=True,
        defer_build=True,
    )

    @property
    def register(self) -> Register:
        """The register actually used (the field is stored as ``register_``)."""
        return self.register_


class StageRuleInfo(_Frozen):
    """How a situation's lines at one stage relate to its parent's."""

    stage: Stage = Field(description="The stage the rule is for.")
    phrases: Literal["extend", "replace"] = Field(
        description="'extend': its own phrases, then the parent's; 'replace': its own alone."
    )
    tips: Literal["extend", "replace"] = Field(description="The same, for tips.")
    exclude: tuple[str, ...] = Field(
        default=(), description="Entry ids of parent lines left out at this stage."
    )
    label: str | None = Field(
        default=None,
        description="The [labels] key of the stage's heading in this situation and those "
        "below it, where it is not the stage's own name (e.g. 'acknowledge').",
    )


class SituationInfo(_Frozen):
    """A situation of the taxonomy."""

    id: str = Field(description="The situation id, e.g. 'late-delivery'.")
    parent: str | None = Field(description="The situation it refines; None for 'general'.")
    description: str = Field(description="One line, in English.")
    inherits: bool = Field(
        description="Whether stages it has no content for use its parent's content."
    )
    ladder: tuple[str, ...] = Field(
        default=(), description="Entry ids of its escalation ladder, in order."
    )
    stages: tuple[StageRuleInfo, ...] = Field(
        default=(),
        description="Stages whose lines do not simply extend the parent's, and how.",
    )
