"""A locale's formatting choices: which CLDR data and patterns Babel applies to values.

Values are formatted by Babel from CLDR, never by hand. What a locale file may
choose is *which* CLDR form a native writes in this kind of copy, in its
``[formats]`` table:

.. code-block:: toml

    [formats]
    cldr = "en_GB"                                  # the CLDR locale whose data formats values
    money.KRW = { format = "#,##0원" }              # an LDML number pattern for one currency
    money.CNY = { whole_format = "¤#,##0" }         # whole amounts without .00
    dates = { phone = "MMMMd", chat = "MMMMd" }     # a CLDR date skeleton per channel
    lists = { or = "or" }                           # the Babel list style for "or" lists

Everything is validated when the file is loaded (:func:`parse_formats`): a
pattern Babel cannot read as a number, a skeleton with no CLDR date format in
the locale, an unknown list style or a CLDR locale of another language is a
:class:`~deescalate.errors.CatalogueError` naming the file and line.
:meth:`Formats.plan` binds the choices into each placeholder's formatter once
per candidate line, so a pick pays nothing for them.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from babel import Locale

from ._records import Record
from .errors import CatalogueError, InvalidLocaleError
from .i18n import get_locale
from .models import Channel, PlaceholderType
from .render import Formatter, MoneyFormat, Placeholder, formatter

__all__ = [
    "DATE_KEYS",
    "LIST_STYLES",
    "Formats",
    "MoneyFormat",
    "date_pattern",
    "parse_formats",
]

LIST_STYLES = (
    "standard",
    "standard-short",
    "standard-narrow",
    "or",
    "or-short",
    "or-narrow",
    "unit",
    "unit-short",
    "unit-narrow",
)
"""The CLDR list styles Babel's ``format_list`` knows."""

DATE_KEYS = (*(c.value for c in Channel), "default")
"""Keys of ``dates``: a channel, or ``default`` for a pick with no channel."""

# Patterns kept as strings: ``re`` compiles each on first use (and caches it), so an
# import does not pay for the ones a first pick never needs.
# Date fields only (era, year, quarter, month, week, day, weekday): no times.
_SKELETON = r"[GyYuUQqMLlwWdDFgEec]+"
# The number part of an LDML pattern: grouping, at least one 0, optional decimals.
_NUMBER = r"[#,]*0[0,]*(?:\.0*#*)?"
_CURRENCY = r"[A-Z]{3}"
_SAMPLE_DATE = datetime.date(2025, 3, 14)


_NONE: Mapping[str, Any] = MappingProxyType({})


class Formats(Record):
    """The formatting choices of one locale file (all optional)."""

    _fields = ("cldr", "money", "dates", "lists")
    __slots__ = _fields
    cldr: str | None
    """The CLDR locale whose data formats values, e.g. ``en_GB`` for British English."""
    money: Mapping[str, MoneyFormat]
    """Currency code (or ``"*"`` for any other) → its number patterns."""
    dates: Mapping[str, str]
    """Channel (or ``"default"``) → CLDR date skeleton; unnamed ones use CLDR's long date."""
    lists: Mapping[str, str]
    """A placeholder's list style (``"and"``, ``"or"``) → the Babel list style to use."""

    def __init__(
        self,
        cldr: str | None = None,
        money: Mapping[str, MoneyFormat] = _NONE,
        dates: Mapping[str, str] = _NONE,
        lists: Mapping[str, str] = _NONE,
    ) -> None:
        object.__setattr__(self, "cldr", cldr)
        object.__setattr__(self, "money", money)
        object.__setattr__(self, "dates", dates)
        object.__setattr__(self, "lists", lists)

    def over(self, base: Formats) -> Formats:
        """These choices laid over ``base``'s (an overlay's over the shipped file's), key by key."""
        return Formats(
            cldr=self.cldr or base.cldr,
            money=MappingProxyType({**base.money, **self.money}),
            dates=MappingProxyType({**base.dates, **self.dates}),
            lists=MappingProxyType({**base.lists, **self.lists}),
        )

    def locale(self, locale_id: str) -> str:
        """The CLDR locale that formats the values of the catalogue ``locale_id``."""
        return self.cldr or locale_id

    def skeleton(self, channel: Channel | None) -> str | None:
        """The date skeleton for a pick on ``channel`` (None: CLDR's long date)."""
        if channel is not None and channel.value in self.dates:
            return self.dates[channel.value]
        return self.dates.get("default")

    def plan(
        self,
        placeholders: Mapping[str, Placeholder],
        channel: Channel | None,
        default: tuple[tuple[str, bool, Formatter], ...],
        locale: Locale,
    ) -> tuple[tuple[str, bool, Formatter], ...]:
        """Each placeholder's (name, is text, formatter) with these choices bound.

        ``default`` is the plan without choices (an entry's ``formatters``); it is
        returned as it is when nothing here concerns the entry's placeholders.
        ``locale`` (the one that formats the values) resolves a date skeleton to
        its CLDR pattern here, once, rather than on every value.
        """
        skeleton = self.skeleton(channel)
        concerned = {
            PlaceholderType.MONEY: bool(self.money),
            PlaceholderType.DATE: skeleton is not None,
            PlaceholderType.LIST: bool(self.lists),
        }
        if not any(concerned.get(p.type, False) for p in placeholders.values()):
            return default
        pattern = None if skeleton is None else date_pattern(skeleton, locale)
        return tuple(
            (
                name,
                p.type is PlaceholderType.TEXT,
                formatter(
                    p, money=self.money, date_format=pattern, list_style=self.lists.get(p.style)
                ),
            )
            for name, p in placeholders.items()
        )


NO_FORMATS = Formats()
"""The choices of a locale file without ``[formats]``: CLDR's defaults throughout."""


def parse_formats(
    raw: Mapping[str, Any],
    *,
    locale_id: str,
    path: str,
    line_of: Callable[[str], int | None],
) -> Formats:
    """Validate the shape-checked ``[formats]`` table of the locale file ``locale_id``.

    ``raw`` has the keys of the file's table (``cldr``, ``money``, ``dates``,
    ``lists``) with plain values; ``line_of(field)`` finds a field's line.
    Raises :class:`CatalogueError` naming the file, field and line.
    """

    def fail(problem: str, where: str) -> CatalogueError:
        return CatalogueError(problem, path=path, field=f"formats.{where}", line=line_of(where))

    cldr = raw.get("cldr")
    own = get_locale(locale_id)
    if cldr is not None:
        try:
            chosen = get_locale(cldr)
        except InvalidLocaleError:
            raise fail(f"Babel has no CLDR locale {cldr!r}", "cldr") from None
        if chosen.language != own.language or (
            own.script is not None and chosen.script not in (None, own.script)
        ):
            raise fail(f"{cldr!r} is not CLDR data for {locale_id}'s language and script", "cldr")
        cldr = str(chosen)
    formatting = get_locale(cldr or locale_id)
    money: dict[str, MoneyFormat] = {}
    for code, spec in (raw.get("money") or {}).items():
        where = f"money.{code}"
        if code != "*" and not _known_currency(code):
            raise fail(f"{code!r} is not an ISO 4217 currency code Babel knows (or '*')", where)
        for key in ("format", "whole_format"):
            pattern = spec.get(key)
            if pattern is not None:
                problem = _pattern_problem(pattern)
                if problem:
                    raise fail(f"{key} {pattern!r}: {problem}", where)
        money[code] = MoneyFormat(
            format=spec.get("format"),
            currency_digits=spec.get("currency_digits", True),
            whole_format=spec.get("whole_format"),
        )
    dates: dict[str, str] = {}
    for key, skeleton in (raw.get("dates") or {}).items():
        if key not in DATE_KEYS:
            raise fail(f"unknown key {key!r}; expected one of {', '.join(DATE_KEYS)}", "dates")
        if not re.fullmatch(_SKELETON, skeleton):
            raise fail(
                f"{skeleton!r} is not a CLDR date skeleton (date fields such as y, M, d, E; "
                "no times)",
                "dates",
            )
        if _skeleton_problem(skeleton, formatting):
            raise fail(
                f"CLDR has no {formatting} date format for the skeleton {skeleton!r}", "dates"
            )
        dates[key] = skeleton
    lists: dict[str, str] = {}
    for key, style in (raw.get("lists") or {}).items():
        if key not in ("and", "or"):
            raise fail(f"unknown key {key!r}; expected 'and' or 'or'", "lists")
        if style not in LIST_STYLES:
            raise fail(
                f"unknown list style {style!r}; Babel's styles: {', '.join(LIST_STYLES)}", "lists"
            )
        lists[key] = style
    if not (cldr or money or dates or lists):
        return NO_FORMATS
    return Formats(
        cldr=cldr,
        money=MappingProxyType(money),
        dates=MappingProxyType(dates),
        lists=MappingProxyType(lists),
    )


def date_pattern(skeleton: str, locale: Locale) -> object:
    """The CLDR date pattern ``locale`` has for ``skeleton``, found as Babel's
    ``format_skeleton`` finds it (the closest skeleton when there is no exact one).

    Raises ``KeyError`` when CLDR has none (:func:`parse_formats` rejects such a skeleton).
    """
    from babel.dates import match_skeleton

    skeletons = locale.datetime_skeletons
    if skeleton not in skeletons:
        skeleton = match_skeleton(skeleton, skeletons) or skeleton
    return skeletons[skeleton]


def _known_currency(code: str) -> bool:
    from babel.numbers import is_currency

    return bool(re.fullmatch(_CURRENCY, code)) and is_currency(code)


def _pattern_problem(pattern: str) -> str | None:
    """What is wrong with an LDML number pattern for money, or None."""
    from babel.numbers import NumberFormatError, parse_pattern

    try:
        parsed = parse_pattern(pattern)
    except (NumberFormatError, ValueError, TypeError) as err:
        return f"Babel cannot read it as a number pattern ({err})"
    if not re.fullmatch(_NUMBER, parsed.number_pattern or ""):
        return (
            "not an LDML number pattern: it needs digits such as '#,##0' or '#,##0.00' "
            "(quote literal text)"
        )
    return None


def _skeleton_problem(skeleton: str, locale: Locale) -> bool:
    from babel.dates import format_date

    try:
        # Babel's hints name only strings; its parse_pattern takes a parsed pattern too.
        pattern: Any = date_pattern(skeleton, locale)
        format_date(_SAMPLE_DATE, pattern, locale=locale)
    except (KeyError, ValueError):
        return True
    return False
