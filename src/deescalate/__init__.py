"""deescalate: what to say to an upset customer, in their own language.

Seven stages (calm, listen, restate, apologise, resolve, close, cool-down),
localized catalogues of phrases (said to the customer) and tips (advice to the
agent), and a picker that returns the right words for a stage, a situation and
a locale::

    >>> import deescalate as de
    >>> book = de.Phrasebook.default()
    >>> book.pick(de.Stage.APOLOGISE, situation="late-delivery", locale="en", seed=3).id
    'apologise.late-delivery.delay'

Importing the package loads no catalogue: each locale is read and validated
the first time it is used.
"""

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    CatalogueError,
    CatalogueSyntaxError,
    CatalogueTooDeepError,
    CatalogueTooLargeError,
    DeescalateError,
    DuplicateEntryError,
    InvalidLocaleError,
    InvalidOptionError,
    InvalidValueError,
    LimitError,
    MissingValueError,
    NoContentError,
    NoteTooLongError,
    PoFileError,
    PoFileTooLargeError,
    StateError,
    StateTooLargeError,
    TemplateError,
    TextTooLongError,
    TooManyVariantsError,
    UnexpectedValueError,
    UnknownEntryError,
    UnknownSituationError,
    UnknownStageError,
    ValueTooLongError,
)
from .models import (
    Channel,
    Fallback,
    FallbackKind,
    Flag,
    Gloss,
    Kind,
    Phrase,
    PlaceholderType,
    Playbook,
    PlaybookStage,
    Register,
    SituationInfo,
    Stage,
    Tip,
)
from .picker import Phrasebook, pick, playbook, text, tips
from .render import Money

__all__ = [
    "CatalogueError",
    "CatalogueSyntaxError",
    "CatalogueTooDeepError",
    "CatalogueTooLargeError",
    "Channel",
    "Conversation",
    "ConversationState",
    "DeescalateError",
    "DuplicateEntryError",
    "Event",
    "Fallback",
    "FallbackKind",
    "Flag",
    "Gloss",
    "InvalidLocaleError",
    "InvalidOptionError",
    "InvalidValueError",
    "Kind",
    "LimitError",
    "LogKind",
    "LogRecord",
    "MissingValueError",
    "Money",
    "NoContentError",
    "NoteTooLongError",
    "Phrase",
    "Phrasebook",
    "PlaceholderType",
    "Playbook",
    "PlaybookStage",
    "PoFileError",
    "PoFileTooLargeError",
    "Register",
    "SituationInfo",
    "Stage",
    "StateError",
    "StateTooLargeError",
    "TemplateError",
    "TextTooLongError",
    "Tip",
    "TooManyVariantsError",
    "UnexpectedValueError",
    "UnknownEntryError",
    "UnknownSituationError",
    "UnknownStageError",
    "ValueTooLongError",
    "__version__",
    "pick",
    "playbook",
    "text",
    "tips",
]

if TYPE_CHECKING:
    from .conversation import Conversation, ConversationState, Event, LogKind, LogRecord

# Conversations are imported on first use, so `import deescalate` stays quick for
# callers that only pick.
_LAZY = frozenset({"Conversation", "ConversationState", "Event", "LogKind", "LogRecord"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import conversation

        value = getattr(conversation, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'deescalate' has no attribute {name!r}")
