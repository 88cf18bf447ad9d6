"""The one place the public entry points check the types of their arguments.

Each argument name that the public API uses has one rule here, and a wrong
type is a specific :class:`~deescalate.DeescalateError` (an
:class:`InvalidOptionError`, :class:`InvalidLocaleError`,
:class:`InvalidValueError` or :class:`UnknownStageError`), never a bare
``TypeError`` or ``AttributeError`` from deep inside.

Two ways in, one set of rules:

* :func:`entry_point` wraps a public function or method and checks every
  argument it is given before the call;
* the picker's hot path (``pick``, ``text``, ``options``, ``tips``) cannot
  afford a wrapper, so it calls :func:`check_arguments` whenever its cache
  misses (every argument the cache key holds is checked before a result is
  cached under it), and the checks of the arguments the key does not hold
  (:func:`check_values_mapping`, :func:`check_seed`, :func:`check_variant`).

Only types and ranges are checked here; whether a situation or an entry id
exists is for the catalogues to say.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Final, ParamSpec, TypeVar

from .catalogue.store import Store
from .errors import (
    InvalidLocaleError,
    InvalidOptionError,
    InvalidValueError,
    UnknownStageError,
)
from .limits import MAX_LOCALE_PREFERENCES, MAX_SEED, MIN_SEED
from .models import Channel, Register, Stage

__all__ = [
    "MISS",
    "check_arguments",
    "check_seed",
    "check_values_mapping",
    "check_variant",
    "entry_point",
    "with_front",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _enum_option(enum: type[StrEnum], option: str) -> Callable[[object], None]:
    def check(value: object) -> None:
        if value is not None and not isinstance(value, str):
            raise InvalidOptionError(option, value, [m.value for m in enum])

    return check


def _check_stage(value: object) -> None:
    if not isinstance(value, str):
        raise UnknownStageError(value, [s.value for s in Stage])


def _check_id(option: str) -> Callable[[object], None]:
    def check(value: object) -> None:
        if value is not None and not isinstance(value, str):
            raise InvalidOptionError(option, value, [f"a {option} id (a str)"])

    return check


def _check_locale(value: object) -> None:
    if isinstance(value, str):
        return
    if not isinstance(value, Sequence) or isinstance(value, bytes | bytearray):
        raise InvalidLocaleError(
            value,
            "expected a tag, a sequence of tags or an Accept-Language header, "
            f"not {type(value).__name__}",
        )
    if len(value) > MAX_LOCALE_PREFERENCES:
        raise InvalidLocaleError(
            value, f"more than {MAX_LOCALE_PREFERENCES} preferences ({len(value)})"
        )
    for position, tag in enumerate(value, start=1):
        if not isinstance(tag, str):
            raise InvalidLocaleError(
                value, f"preference {position} is a {type(tag).__name__}, not a string"
            )


def _check_gloss(value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise InvalidLocaleError(value, f"a gloss is one tag (a str), not {type(value).__name__}")


def check_values_mapping(value: object) -> None:
    """``values=`` must be ``None`` or a mapping from placeholder names (``str``) to values."""
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise InvalidOptionError(
            "values", value, ["a mapping of placeholder names to values", "None"]
        )
    for name in value:
        if not isinstance(name, str):
            raise InvalidValueError(str(name), "named by a str (a placeholder name)", name)


def check_seed(value: object) -> int | None:
    """``value`` if it is ``None`` or an ``int`` (not a ``bool``) in ``MIN_SEED..MAX_SEED``."""
    if value is None:
        return None
    if value.__class__ is not int or not MIN_SEED <= value <= MAX_SEED:
        raise InvalidOptionError("seed", value, [f"an int from {MIN_SEED} to {MAX_SEED}", "None"])
    return value


def check_variant(value: object) -> None:
    """A variant is ``None`` or an ``int`` (not a ``bool`` or a ``float``) from 0."""
    if value is None:
        return
    if value.__class__ is not int or value < 0:
        raise InvalidOptionError("variant", value, ["an int from 0", "None"])


def _check_flag(option: str) -> Callable[[object], None]:
    def check(value: object) -> None:
        if value.__class__ is not bool:
            raise InvalidOptionError(option, value, ["True", "False"])

    return check


def _check_text_option(name: str) -> Callable[[object], None]:
    def check(value: object) -> None:
        if value is not None and not isinstance(value, str):
            raise InvalidValueError(name, "text (a str)", value)

    return check


def _check_clock(value: object) -> None:
    if value is not None and not callable(value):
        raise InvalidOptionError("clock", value, ["a function returning a datetime", "None"])


def _check_book(value: object) -> None:
    # A Phrasebook holds its Store; the translator tools take either.
    if not isinstance(value, Store) and not isinstance(getattr(value, "store", None), Store):
        raise InvalidOptionError("book", value, ["a Phrasebook", "a catalogue Store"])


def _check_locale_ids(value: object) -> None:
    if value is None:
        return
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidOptionError("locales", value, ["a sequence of locale ids", "None"])
    for item in value:
        if not isinstance(item, str):
            raise InvalidOptionError("locales", value, ["a sequence of locale ids (str)"])


def _check_path(option: str, optional: bool = False) -> Callable[[object], None]:
    def check(value: object) -> None:
        if optional and value is None:
            return
        if not isinstance(value, str | os.PathLike):
            raise InvalidOptionError(option, value, ["a path (str or os.PathLike)"])

    return check


_RULES: Mapping[str, Callable[[object], object]] = {
    "stage": _check_stage,
    "situation": _check_id("situation"),
    "entry": _check_id("entry"),
    "locale": _check_locale,
    "gloss": _check_gloss,
    "register": _enum_option(Register, "register"),
    "channel": _enum_option(Channel, "channel"),
    "values": check_values_mapping,
    "defaults": check_values_mapping,
    "seed": check_seed,
    "variant": check_variant,
    "strict": _check_flag("strict"),
    "repair": _check_flag("repair"),
    "include_default": _check_flag("include_default"),
    "customer_name": _check_text_option("name"),
    "words": _check_text_option("words"),
    "clock": _check_clock,
    "book": _check_book,
    "locales": _check_locale_ids,
    "locale_id": _check_id("locale"),
    "path": _check_path("path"),
    "directory": _check_path("directory"),
    "out": _check_path("out"),
    "previous_source": _check_path("previous_source", optional=True),
    "dry_run": _check_flag("dry_run"),
}
"""The rule for each argument name of the public API."""


def check_arguments(**arguments: object) -> None:
    """Check each named argument by its rule; names without a rule are left alone."""
    for name, value in arguments.items():
        rule = _RULES.get(name)
        if rule is not None:
            rule(value)


MISS: Final = object()
"""What a front (see :func:`with_front`) returns when it has no answer."""


def with_front(front: Callable[..., object]) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """:func:`entry_point` that first asks ``front``, called with the same arguments.

    ``front`` returns an answer it kept for arguments checked before, or
    :data:`MISS`; on a miss (or a ``TypeError``: arguments it cannot bind or
    hash) every argument is checked and ``func`` called. A front must answer
    only for arguments equal to ones checked before, and must tell apart
    arguments that are equal but would not pass the checks (``True == 1``).
    """

    def decorate(func: Callable[_P, _R]) -> Callable[_P, _R]:
        return entry_point(func, front=front)

    return decorate


def entry_point(
    func: Callable[_P, _R], *, front: Callable[..., object] | None = None
) -> Callable[_P, _R]:
    """Check every argument of each call to ``func`` by its rule, then call it.

    An unexpected keyword argument is an :class:`InvalidOptionError` naming the
    accepted ones, not a ``TypeError``. ``front``: see :func:`with_front`.
    """
    signature = inspect.signature(func)
    parameters = signature.parameters
    accepted = [
        name for name, p in parameters.items() if name != "self" and p.kind is not p.VAR_KEYWORD
    ]
    # The usual call (no *args or **kwargs in the signature, every required argument
    # given) is bound here without inspect, which costs more than most checks; the
    # rules run in the signature's order either way, so the same error comes first.
    plain = all(p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters.values())
    positional = [
        name
        for name, p in parameters.items()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    keyword = [name for name, p in parameters.items() if p.kind is p.KEYWORD_ONLY]
    by_keyword = [frozenset(positional[n:] + keyword) for n in range(len(positional) + 1)]
    required = frozenset(name for name, p in parameters.items() if p.default is p.empty)
    ruled = [(name, _RULES[name]) for name in parameters if name in _RULES]

    @functools.wraps(func)
    def checked(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if front is not None:
            try:
                answer = front(*args, **kwargs)
            except TypeError:
                answer = MISS
            if answer is not MISS:
                return answer  # type: ignore[return-value]  # the front keeps func's answers
        given = len(args)
        if plain and given <= len(positional) and by_keyword[given].issuperset(kwargs):
            named = dict(zip(positional, args, strict=False))
            named.update(kwargs)
            if required.issubset(named):
                for name, check in ruled:
                    if name in named:
                        check(named[name])
                return func(*args, **kwargs)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as err:
            raise InvalidOptionError(
                f"argument to {func.__qualname__}() ({err})", "", accepted
            ) from None
        for name, value in bound.arguments.items():
            parameter = signature.parameters[name]
            if parameter.kind is parameter.VAR_KEYWORD and isinstance(value, dict):
                check_arguments(**value)
            else:
                rule = _RULES.get(name)
                if rule is not None:
                    rule(value)
        return func(*args, **kwargs)

    return checked
