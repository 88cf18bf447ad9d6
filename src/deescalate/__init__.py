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
    DetectUnavailableError,
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
    PoFileUnreadableError,
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
    Confidence,
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
    Signal,
    SituationInfo,
    Stage,
    StageRuleInfo,
    Tip,
)
from .picker import Phrasebook, cache_clear, listen, pick, playbook, text, tips
from .render import Money

__all__ = [
    "CatalogueError",
    "CatalogueSyntaxError",
    "CatalogueTooDeepError",
    "CatalogueTooLargeError",
    "Channel",
    "Confidence",
    "Conversation",
    "ConversationState",
    "DeescalateError",
    "DetectUnavailableError",
    "Detected",
    "DuplicateEntryError",
    "Event",
    "Fallback",
    "FallbackKind",
    "Flag",
    "Gloss",
    "Heard",
    "HeardSignal",
    "Hearing",
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
    "PoFileUnreadableError",
    "Register",
    "Signal",
    "SituationInfo",
    "Stage",
    "StageRuleInfo",
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
    "cache_clear",
    "detect_locale",
    "listen",
    "pick",
    "playbook",
    "text",
    "tips",
]

if TYPE_CHECKING:
    from .conversation import (
        Conversation,
        ConversationState,
        Event,
        LogKind,
        LogRecord,
    )
    from .detect import Detected, detect_locale
    from .listening import Heard, HeardSignal, Hearing

# Conversations and listening are imported on first use, so `import deescalate` stays
# quick for callers that only pick.
_LAZY = {
    "Conversation": "conversation",
    "ConversationState": "conversation",
    "Event": "conversation",
    "Hearing": "listening",
    "Detected": "detect",
    "detect_locale": "detect",
    "LogKind": "conversation",
    "LogRecord": "conversation",
    "Heard": "listening",
    "HeardSignal": "listening",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is not None:
        import importlib

        value = getattr(importlib.import_module(f".{module_name}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'deescalate' has no attribute {name!r}")
