"""Small immutable value classes, without the import cost of dataclasses.

A frozen slotted dataclass compiles its methods (``__init__``, ``__eq__``,
``__hash__``, ``__repr__``, ``__setattr__``, ``__delattr__``) from generated
source when its module is imported: about 4 M instructions a class, where the
whole package's import costs about 140 M on top of pydantic and Babel. A
:class:`Record` writes its ``__init__`` by hand (compiled once, into the
module's bytecode cache) and takes the rest from here, with the meaning a
frozen dataclass gives them: equality and hash over the compared fields, a
repr of the shown ones, no assignment, pickling through ``__init__``.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from operator import attrgetter
from typing import Any, ClassVar, TypeVar

__all__ = ["Record", "replace"]

R = TypeVar("R", bound="Record")


class Record:
    """A frozen value: subclasses list their fields in ``_fields`` (in ``__init__``'s
    order; ``__slots__ = _fields``) and set them in ``__init__`` with ``object.__setattr__``.

    ``_compared`` names the fields that equality and hash use (all by default),
    ``_shown`` those the repr shows (all by default).

    >>> class Point(Record):
    ...     _fields = ("x", "y")
    ...     __slots__ = _fields
    ...     def __init__(self, x: int, y: int) -> None:
    ...         object.__setattr__(self, "x", x)
    ...         object.__setattr__(self, "y", y)
    >>> Point(1, 2) == Point(1, 2), Point(1, 2)
    (True, Point(x=1, y=2))
    """

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _compared: ClassVar[tuple[str, ...]] = ()
    _shown: ClassVar[tuple[str, ...]] = ()
    _key: ClassVar[Any]
    _state: ClassVar[Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = cls._fields
        cls._shown = cls.__dict__.get("_shown") or fields
        cls._key = attrgetter(*(cls.__dict__.get("_compared") or fields))
        cls._state = attrgetter(*fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return bool(self._key(self) == self._key(other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key(self))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._shown)
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        state = self._state(self)
        return (type(self), state if len(self._fields) > 1 else (state,))


def replace(record: R, /, **changes: Any) -> R:
    """A copy of ``record`` with the fields named in ``changes`` changed, as
    :func:`dataclasses.replace` makes one of a dataclass.

    >>> from deescalate.catalogue.data import StageRule
    >>> replace(StageRule(), label="acknowledge")
    StageRule(phrases='extend', tips='extend', exclude=frozenset(), label='acknowledge')
    """
    unknown = changes.keys() - set(record._fields)
    if unknown:
        raise TypeError(f"{type(record).__qualname__} has no field {sorted(unknown)[0]!r}")
    return type(record)(*(changes.get(name, getattr(record, name)) for name in record._fields))
