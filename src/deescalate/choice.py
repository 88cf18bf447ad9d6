"""The one seeded chooser and the one seed check, shared by picks, playbooks and conversations."""

from __future__ import annotations

from .errors import InvalidOptionError

__all__ = ["check_seed", "choose"]


def choose(seed: int, n: int, salt: int = 0) -> int:
    """The one seeded choice in ``range(n)``: stable across processes and Python versions.

    Fibonacci hashing of the seed (``salt`` separates independent choices made
    with one seed: the turns of a conversation, the entries of a playbook), so
    consecutive seeds spread over the choices.

    >>> [choose(seed, 3) for seed in range(6)]
    [0, 0, 0, 1, 1, 2]
    """
    return (((seed + salt * 0x632BE59BD9B4E019) * 0x9E3779B97F4A7C15) >> 32) % n


def check_seed(seed: object) -> int | None:
    """``seed`` if it is an int or None (not a bool); anything else is an InvalidOptionError."""
    if seed is None or (isinstance(seed, int) and not isinstance(seed, bool)):
        return seed
    raise InvalidOptionError("seed", seed, ["an int", "None"])
