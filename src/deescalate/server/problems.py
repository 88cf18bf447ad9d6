"""Errors as RFC 9457 problem documents (``application/problem+json``).

Every :class:`~deescalate.DeescalateError` subclass has its own ``type``
(``urn:deescalate:problem:unknown-situation`` for ``UnknownSituationError``),
found by walking the class's MRO, so a subclass added to the library later
gets a type and a status without a change here. The body carries ``title``,
``status``, ``detail`` (the error's message), ``error`` (the class name) and
the error's own data attributes (``entry_id``, ``locale``, ``field``, ...).
Nothing else of the exception, and never a stack trace, reaches a client.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

import deescalate as de

__all__ = [
    "PROBLEM_JSON",
    "Problem",
    "ProblemError",
    "error_data",
    "problem_body",
    "problem_for",
    "problem_type",
]

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:deescalate:problem:"

# The status of each class; a subclass not listed here takes its nearest listed base's.
_STATUS: dict[type[BaseException], int] = {
    de.DeescalateError: 400,
    de.UnknownStageError: 422,
    de.UnknownSituationError: 422,
    de.UnknownEntryError: 422,
    de.InvalidOptionError: 422,
    de.InvalidLocaleError: 422,
    de.InvalidValueError: 422,
    de.MissingValueError: 422,
    de.UnexpectedValueError: 422,
    de.ValueTooLongError: 422,
    de.NoContentError: 404,
    de.StateError: 409,
    # A broken catalogue is the operator's problem, not the caller's.
    de.CatalogueError: 500,
    de.PoFileError: 422,
}

# Longest text of one data field in a problem document; values are the caller's own,
# but a document must stay small.
_MAX_FIELD = 500


class Problem(BaseModel):
    """An RFC 9457 problem document, with the error's data fields beside the standard ones."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI naming the kind of problem.")
    title: str = Field(description="A short, fixed summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong in this request.")
    error: str | None = Field(default=None, description="The library's error class, if any.")
    instance: str | None = Field(default=None, description="The request path.")


class ProblemError(Exception):
    """Raised in the service to answer with a problem that is not a library error."""

    def __init__(self, status: int, kind: str, title: str, detail: str, **data: object) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.data = data

    @classmethod
    def from_library(cls, err: de.DeescalateError, status: int) -> ProblemError:
        """A library error answered with another status than its class's usual one."""
        body = problem_for(err, status=status)
        kind = body.pop("type")[len(TYPE_PREFIX) :]
        for name in ("status", "title", "detail"):
            body.pop(name)
        return cls(status, kind, _title(type(err)), str(err), **body)


def _kebab(name: str) -> str:
    stem = name[: -len("Error")] if name.endswith("Error") and name != "Error" else name
    return re.sub(r"(?<!^)(?=[A-Z])", "-", stem).lower()


def _nearest(cls: type[BaseException]) -> type[BaseException]:
    for base in cls.__mro__:
        if base in _STATUS:
            return base
    return de.DeescalateError


def problem_type(cls: type[BaseException]) -> str:
    """The ``type`` URI of an error class."""
    return TYPE_PREFIX + _kebab(cls.__name__)


def _title(cls: type[BaseException]) -> str:
    doc = (cls.__doc__ or cls.__name__).strip().splitlines()[0]
    return doc.rstrip(".")


def _json_safe(value: object) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value if not isinstance(value, str) else value[:_MAX_FIELD]
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, tuple | list):
        return [_json_safe(v) for v in value[:50]]
    if isinstance(value, dict):
        return {str(k)[:100]: _json_safe(v) for k, v in list(value.items())[:50]}
    return repr(value)[:_MAX_FIELD]


def error_data(err: BaseException) -> dict[str, Any]:
    """The error's own data attributes, JSON-safe and bounded."""
    reserved = {"type", "title", "status", "detail", "error", "instance"}
    return {
        name: _json_safe(value)
        for name, value in vars(err).items()
        if not name.startswith("_") and name not in reserved
    }


def problem_for(err: de.DeescalateError, *, status: int | None = None) -> dict[str, Any]:
    """The problem document of a library error."""
    cls = type(err)
    body: dict[str, Any] = {
        "type": problem_type(cls),
        "title": _title(cls),
        "status": status or _STATUS[_nearest(cls)],
        "detail": str(err)[: 4 * _MAX_FIELD],
        "error": cls.__name__,
    }
    body.update(error_data(err))
    return body


def problem_body(status: int, kind: str, title: str, detail: str, **data: object) -> dict[str, Any]:
    """A problem document of the service's own (not a library error)."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + kind,
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update({name: _json_safe(value) for name, value in data.items()})
    return body


def encode(body: dict[str, Any]) -> bytes:
    """The document as UTF-8 JSON."""
    return json.dumps(body, ensure_ascii=False).encode()
