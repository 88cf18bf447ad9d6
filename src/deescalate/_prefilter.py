"""Where in a text a signal phrase may start, found with an Aho–Corasick automaton.

This is the ``fast`` extra (``pip install 'deescalate[fast]'``, which brings
``ahocorasick-rs``, the Rust ``aho-corasick`` crate). Listening works the same
without it: one regular expression then scans the folded text for every place
where a phrase starts. With it, an automaton of the literals that begin every
phrase (:func:`start_literals`) reads the text's outline once, natively, and
only the places it names are tried with that expression — most utterances name
none. Both ways find the same places; a test holds them to it.
"""

from __future__ import annotations

import bisect
import importlib
import re
from collections.abc import Iterable
from types import ModuleType

from ._patterns import Style, outline, start_literals

__all__ = ["Prefilter", "available"]


def _load() -> ModuleType | None:
    try:
        return importlib.import_module("ahocorasick_rs")
    except ImportError:
        return None


_AHOCORASICK = _load()
_ALNUM_RUN = re.compile(r"[^\W_]+")
_NOT_SPACE_RUN = re.compile(r"\S+")


def available() -> bool:
    """Whether the ``fast`` extra is installed."""
    return _AHOCORASICK is not None


class Prefilter:
    """An automaton of the start literals of some phrases, in one matching style."""

    __slots__ = ("_automaton", "_style")

    def __init__(self, phrases: Iterable[str], style: Style) -> None:
        if _AHOCORASICK is None:  # pragma: no cover - callers ask available() first
            raise RuntimeError("the 'fast' extra (ahocorasick-rs) is not installed")
        literals = sorted(
            {literal for phrase in phrases for literal in start_literals(phrase, style)}
        )
        # An automaton needs at least one word; with none there is nothing to find.
        self._automaton = _AHOCORASICK.AhoCorasick(literals) if literals else None
        self._style = style

    def starts(self, folded: str) -> list[int]:
        """The places in ``folded`` where a phrase may start, in order (a superset of
        those where one does)."""
        if self._automaton is None:
            return []
        style = self._style
        text = outline(folded, style)
        found = {
            start for _, start, _ in self._automaton.find_matches_as_indexes(text, overlapping=True)
        }
        if not found:
            return []
        if style is Style.EOJEOL:
            # A phrase starts an eojeol: where the letter before is part of a word, it cannot.
            return sorted(
                place
                for place in found
                if not place or not (folded[place - 1].isalnum() or folded[place - 1] == "_")
            )
        if style is Style.SPACED:
            # The outline has one space before each word: count them to know which word.
            wanted = {text.count(" ", 0, place + 1) - 1 for place in found}
            last = max(wanted)
            words: list[int] = []
            for word in _ALNUM_RUN.finditer(folded):
                words.append(word.start())
                if len(words) > last:
                    break
            return sorted(words[index] for index in wanted)
        if len(text) == len(folded):
            return sorted(found)
        runs = [(match.start(), match.end()) for match in _NOT_SPACE_RUN.finditer(folded)]
        firsts: list[int] = []
        total = 0
        for start, end in runs:
            firsts.append(total)
            total += end - start
        places = set()
        for place in found:
            run = bisect.bisect_right(firsts, place) - 1
            places.add(runs[run][0] + place - firsts[run])
        return sorted(places)
