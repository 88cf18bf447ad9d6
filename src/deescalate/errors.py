"""Every error deescalate raises on purpose.

All of them derive from :class:`DeescalateError`, so a caller can catch one
class. Each subclass carries the data it is about as attributes and builds its
message from them, so a program can act on ``err.entry_id`` while a person
reads ``str(err)``. This module imports nothing else from the package.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

__all__ = [
    "CatalogueError",
    "CatalogueSyntaxError",
    "CatalogueTooDeepError",
    "CatalogueTooLargeError",
    "DeescalateError",
    "DuplicateEntryError",
    "InvalidLocaleError",
    "InvalidOptionError",
    "InvalidValueError",
    "LimitError",
    "MissingValueError",
    "NoContentError",
    "NoteTooLongError",
    "PoFileError",
    "PoFileTooLargeError",
    "PoFileUnreadableError",
    "StateError",
    "StateTooLargeError",
    "TemplateError",
    "TextTooLongError",
    "TooManyItemsError",
    "TooManyVariantsError",
    "UnexpectedValueError",
    "UnknownEntryError",
    "UnknownSituationError",
    "UnknownStageError",
    "ValueTooLongError",
]


def _choices(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


def _shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for a message about a caller's argument.

    A hostile argument must not make the message huge or fail to build (the
    ``repr`` of an int of 5,000 digits raises).
    """
    try:
        shown = repr(value)
    except Exception:
        shown = f"<{type(value).__name__} object>"
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def _listed(names: Iterable[str], shown: int = 10) -> str:
    """Names a caller gave, joined: at most ``shown`` of them, each cut to 40 characters."""
    items = [n if len(n) <= 40 else n[:37] + "..." for n in names]
    more = len(items) - shown
    return ", ".join(items[:shown]) + (f" (and {more} more)" if more > 0 else "")


def _where(path: str | PurePath | None, line: int | None) -> str:
    if path is None:
        return ""
    return f"{path}:{line}" if line is not None else str(path)


class DeescalateError(Exception):
    """Base class of every error raised by deescalate."""


class LimitError(DeescalateError):
    """Something over one of the size limits in :mod:`deescalate.limits`.

    Every such error is also of the class that says where the input came from
    (a :class:`CatalogueError`, a :class:`PoFileError`, a :class:`StateError`,
    ...). ``limit_name`` names the constant in :mod:`deescalate.limits`,
    ``size`` is what was found and ``maximum`` the limit, in the limit's unit.
    """

    limit_name: str
    size: int
    maximum: int

    def _set_limit(self, limit_name: str, size: int, maximum: int) -> None:
        self.limit_name = limit_name
        self.size = size
        self.maximum = maximum


# --- bad arguments from a caller -------------------------------------------------


class UnknownStageError(DeescalateError, ValueError):
    """A stage name that is not one of the seven stages."""

    def __init__(self, stage: object, valid: Iterable[str]) -> None:
        self.stage = stage
        self.valid = tuple(valid)
        super().__init__(f"unknown stage {_shown(stage)}; valid stages: {', '.join(self.valid)}")


class UnknownSituationError(DeescalateError, ValueError):
    """A situation id that the loaded catalogues do not define."""

    def __init__(self, situation: object, valid: Iterable[str]) -> None:
        self.situation = situation
        self.valid = tuple(sorted(valid))
        super().__init__(
            f"unknown situation {_shown(situation)}; valid situations: {_choices(self.valid)}"
        )


class UnknownEntryError(DeescalateError, ValueError):
    """An entry id that the loaded catalogues do not define (or not for this stage)."""

    def __init__(self, entry_id: str, reason: str = "no such entry") -> None:
        self.entry_id = entry_id
        self.reason = reason
        super().__init__(f"entry {_shown(entry_id)}: {reason}")


class InvalidOptionError(DeescalateError, ValueError):
    """An option (register, channel, seed, ...) with a value it cannot take."""

    def __init__(self, option: str, value: object, valid: Iterable[str]) -> None:
        self.option = option
        self.value = value
        self.valid = tuple(valid)
        super().__init__(f"invalid {option} {_shown(value)}; valid: {', '.join(self.valid)}")


class InvalidLocaleError(DeescalateError, ValueError):
    """Input that cannot be a locale tag at all (a well-formed unshipped tag is no error)."""

    def __init__(self, tag: object, reason: str) -> None:
        self.tag = tag
        self.reason = reason
        super().__init__(f"invalid locale tag {_shown(tag)}: {reason}")


class NoContentError(DeescalateError, LookupError):
    """Nothing in the catalogues fits the request (for example a channel filter)."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(what)


# --- placeholder values ----------------------------------------------------------


class MissingValueError(DeescalateError, KeyError):
    """A required placeholder was given no value."""

    def __init__(self, entry_id: str, names: Iterable[str]) -> None:
        self.entry_id = entry_id
        self.names = tuple(sorted(names))
        plural = "s" if len(self.names) > 1 else ""
        super().__init__(
            f"entry {entry_id!r} needs a value for placeholder{plural} "
            + ", ".join(f"{{{n}}}" for n in self.names)
        )

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class UnexpectedValueError(DeescalateError, ValueError):
    """A value was given for a placeholder that the entry does not declare."""

    def __init__(self, where: str, names: Iterable[str], accepted: Iterable[str]) -> None:
        self.where = where
        self.names = tuple(sorted(names))
        self.accepted = tuple(sorted(accepted))
        accepted_text = _choices(self.accepted) if self.accepted else "no values"
        super().__init__(
            f"{where}: unexpected value{'s' if len(self.names) > 1 else ''} "
            f"{_listed(self.names)}; it accepts {accepted_text}"
        )


class DetectUnavailableError(DeescalateError, ImportError):
    """Language detection was asked for, but the ``detect`` extra is not installed."""

    def __init__(self, missing: str) -> None:
        self.missing = missing
        super().__init__(
            "detecting the language needs the 'detect' extra "
            f"(pip install 'deescalate[detect]'): {missing!r} is not installed"
        )


class InvalidValueError(DeescalateError, ValueError):
    """A value that does not fit its placeholder's declared type."""

    def __init__(self, name: str, expected: str, value: object) -> None:
        self.name = name
        self.expected = expected
        self.value = value
        label = name if len(name) <= 40 else name[:37] + "..."
        super().__init__(f"value for {{{label}}} must be {expected}, got {_shown(value)}")


class ValueTooLongError(DeescalateError, ValueError):
    """A value or a rendered text over the length limit."""

    def __init__(self, what: str, length: int, limit: int) -> None:
        self.what = what
        self.length = length
        self.limit = limit
        super().__init__(f"{what} is {length} characters long; the limit is {limit}")


class TooManyItemsError(ValueTooLongError):
    """A list value with more items than the limit; ``length`` is the item count."""

    def __init__(self, what: str, length: int, limit: int) -> None:
        super().__init__(what, length, limit)
        self.args = (f"{what} has {length} items; the limit is {limit}",)


# --- catalogue files -------------------------------------------------------------


class CatalogueError(DeescalateError):
    """A catalogue file (shipped or overlay) that is not valid.

    ``path``, ``entry_id``, ``field`` and ``line`` say where; any of them may be
    ``None`` when it does not apply. ``line`` counts from 1.
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | PurePath | None = None,
        entry_id: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.problem = problem
        self.path = str(path) if path is not None else None
        self.entry_id = entry_id
        self.field = field
        self.line = line
        parts = [p for p in (_where(path, line),) if p]
        if entry_id is not None:
            parts.append(f"entry {entry_id!r}")
        if field is not None:
            parts.append(f"field {field!r}")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {problem}" if prefix else problem)


class CatalogueSyntaxError(CatalogueError):
    """A catalogue file that is not valid TOML."""


class DuplicateEntryError(CatalogueError):
    """An entry or situation id defined twice."""


class TemplateError(CatalogueError):
    """A template with a placeholder that is not a plain declared ``{name}``."""


class _CatalogueLimit(CatalogueError, LimitError):
    _limit_name = ""
    _unit = ""

    def __init__(
        self,
        size: int,
        maximum: int,
        *,
        what: str,
        path: str | PurePath | None = None,
        entry_id: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self._set_limit(self._limit_name, size, maximum)
        # A size at or below the maximum means "more than the limit, not counted".
        found = f"{size:,}" if size > maximum else f"more than {maximum:,}"
        super().__init__(
            f"{what} is {found} {self._unit}; the limit is {maximum:,} "
            f"(deescalate.limits.{self._limit_name})",
            path=path,
            entry_id=entry_id,
            field=field,
            line=line,
        )


class CatalogueTooLargeError(_CatalogueLimit):
    """A catalogue file over ``limits.MAX_CATALOGUE_FILE_BYTES``."""

    _limit_name = "MAX_CATALOGUE_FILE_BYTES"
    _unit = "bytes"


class CatalogueTooDeepError(_CatalogueLimit):
    """A catalogue file whose tables and arrays nest deeper than ``limits.MAX_TOML_DEPTH``."""

    _limit_name = "MAX_TOML_DEPTH"
    _unit = "levels deep"


class TooManyVariantsError(_CatalogueLimit):
    """An entry with more variants under one key than ``limits.MAX_VARIANTS``."""

    _limit_name = "MAX_VARIANTS"
    _unit = "variants"


class TextTooLongError(_CatalogueLimit):
    """A catalogue text longer than ``limits.MAX_TEXT_LENGTH``."""

    _limit_name = "MAX_TEXT_LENGTH"
    _unit = "characters long"


# --- other inputs ----------------------------------------------------------------


class StateError(DeescalateError, ValueError):
    """Saved conversation state that cannot be resumed with these catalogues."""


class StateTooLargeError(StateError, LimitError):
    """A conversation state over ``limits.MAX_STATE_BYTES`` (saved, or about to grow past it)."""

    def __init__(self, what: str, size: int, maximum: int) -> None:
        self._set_limit("MAX_STATE_BYTES", size, maximum)
        super().__init__(
            f"{what} is {size:,} bytes as JSON; the limit is {maximum:,} "
            "(deescalate.limits.MAX_STATE_BYTES)"
        )


class NoteTooLongError(ValueTooLongError, LimitError):
    """The words of a note longer than ``limits.MAX_NOTE_LENGTH``."""

    def __init__(self, length: int, limit: int) -> None:
        self._set_limit("MAX_NOTE_LENGTH", length, limit)
        super().__init__("the words of the note", length, limit)


class PoFileError(DeescalateError):
    """A PO file that cannot be imported; ``line`` counts from 1.

    ``problem`` and ``line`` are the first problem; ``problems`` lists every one
    found, as ``(line, problem)`` pairs in the order of the file.
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | PurePath | None,
        line: int | None,
        problems: Iterable[tuple[int | None, str]] = (),
    ) -> None:
        self.problem = problem
        self.path = str(path) if path is not None else None
        self.line = line
        self.problems = tuple(problems) or ((line, problem),)
        where = _where(path, line)
        super().__init__(f"{where}: {problem}" if where else problem)


class PoFileUnreadableError(PoFileError):
    """A PO file that cannot be read at all: missing, a directory, a FIFO, a device, ..."""


class PoFileTooLargeError(PoFileUnreadableError, LimitError):
    """A PO file over ``limits.MAX_PO_FILE_BYTES``."""

    def __init__(self, size: int, maximum: int, *, path: str | PurePath | None) -> None:
        self._set_limit("MAX_PO_FILE_BYTES", size, maximum)
        super().__init__(
            f"the file is over {maximum:,} bytes (deescalate.limits.MAX_PO_FILE_BYTES)",
            path=path,
            line=None,
        )
