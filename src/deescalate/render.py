"""Compiled templates, typed placeholder values and plural choice.

A catalogue text such as ``"Your refund of {amount} is on its way"`` is
compiled once, at load, by :func:`compile_template` into literal pieces and
placeholder names. Only a plain ``{name}`` that the entry declares is allowed;
``{{`` and ``}}`` are literal braces; anything else is a :class:`TemplateError`
that names the offending piece. Rendering joins the precomputed pieces, so a
value is inserted as it is and never interpreted again, and ``str.format`` is
never run on anything.

Values are formatted by their declared :class:`PlaceholderType` through
Babel's CLDR data for a :class:`babel.Locale` (get one from
:func:`deescalate.i18n.get_locale`): the output is whatever Babel produces,
never adjusted by hand.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache, partial
from typing import Literal

from babel import Locale
from babel.numbers import (
    NumberPattern,
    format_currency,
    format_decimal,
    get_currency_symbol,
    is_currency,
    parse_pattern,
)

from ._records import Record
from .errors import (
    InvalidValueError,
    MissingValueError,
    TemplateError,
    TooManyItemsError,
    ValueTooLongError,
)
from .i18n import plural_category
from .limits import MAX_LIST_ITEMS, MAX_NUMBER, MAX_RENDERED_LENGTH, MAX_VALUE_LENGTH
from .models import PlaceholderType

__all__ = [
    "MAX_LIST_ITEMS",
    "MAX_NUMBER",
    "MAX_RENDERED_LENGTH",
    "MAX_VALUE_LENGTH",
    "Money",
    "MoneyFormat",
    "Placeholder",
    "Template",
    "check_text",
    "choose_plural",
    "compile_template",
    "format_value",
    "formatter",
    "has_surrogate",
]


# Patterns kept as strings: ``re`` compiles each on first use (and caches it), so an
# import does not pay for the ones a first pick never needs.
_NAME = r"[a-z][a-z0-9_]*"
# "{{" and "}}" first, so that doubled braces are never read as a placeholder.
_TOKEN = r"\{\{|\}\}|\{[^{}]*\}|[{}]"
_NUMERIC = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
_LIST_STYLES: dict[str, Literal["standard", "or"]] = {"and": "standard", "or": "or"}
_NOT_ALLOWED = {
    ".": "attribute access",
    "[": "index access",
    "!": "a conversion",
    ":": "a format spec",
}


# --- declarations and templates --------------------------------------------------


class Placeholder(Record):
    """The declaration of one ``{name}`` placeholder of an entry.

    ``style`` joins list values: ``"and"`` gives "a, b and c" (CLDR's standard
    list), ``"or"`` gives "a, b or c". A string ``type`` is converted to
    :class:`PlaceholderType`; a bad name, type or style is a :class:`TemplateError`.
    """

    _fields = ("name", "type", "optional", "style", "description")
    __slots__ = _fields
    name: str
    type: PlaceholderType
    optional: bool
    style: Literal["and", "or"]
    description: str

    def __init__(
        self,
        name: str,
        type: PlaceholderType | str,
        optional: bool = False,
        style: Literal["and", "or"] = "and",
        description: str = "",
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "optional", optional)
        object.__setattr__(self, "style", style)
        object.__setattr__(self, "description", description)
        self._check()

    def _check(self) -> None:
        if not isinstance(self.name, str) or not re.fullmatch(_NAME, self.name):
            raise TemplateError(
                f"placeholder name {self.name!r} is not lowercase ASCII letters, digits "
                "and '_', starting with a letter"
            )
        try:
            object.__setattr__(self, "type", PlaceholderType(self.type))
        except ValueError:
            valid = ", ".join(t.value for t in PlaceholderType)
            raise TemplateError(
                f"placeholder {{{self.name}}} has unknown type {self.type!r}; valid types: {valid}"
            ) from None
        if self.style not in _LIST_STYLES:
            raise TemplateError(
                f"placeholder {{{self.name}}} has unknown list style {self.style!r}; "
                "valid styles: and, or"
            )


class Template(Record):
    """A compiled template; build one with :func:`compile_template`.

    ``source`` is the text as written and ``names`` the placeholders it uses.
    The pieces are kept as literals interleaved with names, so :meth:`render`
    is a single join.
    """

    _fields = ("source", "names", "literals", "keys", "entry_id")
    __slots__ = _fields
    _compared = ("source", "names", "literals", "keys")
    _shown = ("source", "names")

    source: str
    names: frozenset[str]
    literals: tuple[str, ...]
    """The literal text before, between and after the placeholders (one more than keys)."""
    keys: tuple[str, ...]
    """The placeholder names in the order they appear (a name may repeat)."""
    entry_id: str | None
    """The entry the template belongs to, for error messages (not compared)."""

    def __init__(
        self,
        source: str,
        names: frozenset[str],
        literals: tuple[str, ...],
        keys: tuple[str, ...],
        entry_id: str | None = None,
    ) -> None:
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "literals", literals)
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "entry_id", entry_id)

    @property
    def is_static(self) -> bool:
        """Whether the template has no placeholders at all."""
        return not self.keys

    def render(self, formatted: Mapping[str, str]) -> str:
        """Join the pieces with the already formatted values.

        ``formatted`` maps each name in :attr:`names` to its text (see
        :func:`format_value`); the text goes in literally, braces and all.

        >>> t = compile_template("Hi {name}!", {"name": Placeholder("name", PlaceholderType.TEXT)})
        >>> t.render({"name": "{x}"})
        'Hi {x}!'

        Raises :class:`MissingValueError` for a missing value and
        :class:`ValueTooLongError` when the result is over
        :data:`MAX_RENDERED_LENGTH` characters.
        """
        literals = self.literals
        keys = self.keys
        if not keys:
            text = literals[0]
        elif len(keys) == 1:
            try:
                value = formatted[keys[0]]
            except KeyError:
                raise MissingValueError(self.entry_id or "template", self.names) from None
            return self.join_one(value)
        else:
            try:
                values = [formatted[key] for key in self.keys]
            except KeyError:
                missing = self.names.difference(formatted.keys())
                raise MissingValueError(self.entry_id or "template", missing) from None
            pieces = [literals[0]]
            for value, literal in zip(values, literals[1:], strict=True):
                pieces.append(value)
                pieces.append(literal)
            try:
                text = "".join(pieces)
            except TypeError:
                key, value = next(
                    (k, v) for k, v in zip(self.keys, values, strict=True) if not isinstance(v, str)
                )
                raise InvalidValueError(key, "formatted text (a str)", value) from None
        if len(text) > MAX_RENDERED_LENGTH:
            raise ValueTooLongError("the rendered text", len(text), MAX_RENDERED_LENGTH)
        return text

    def join_one(self, value: str) -> str:
        """The text of a template with one placeholder, given its formatted value.

        The same checks as :meth:`render`: ``value`` must be a plain ``str`` (a
        subclass could rewrite itself when joined), and the result is bounded by
        :data:`MAX_RENDERED_LENGTH`.
        """
        if value.__class__ is not str:
            raise InvalidValueError(self.keys[0], "formatted text (a str)", value)
        before, after = self.literals
        text = f"{before}{value}{after}"
        if len(text) > MAX_RENDERED_LENGTH:
            raise ValueTooLongError("the rendered text", len(text), MAX_RENDERED_LENGTH)
        return text


def _problem(body: str, piece: str, declared: Mapping[str, Placeholder]) -> str | None:
    """Return what is wrong with one ``{...}`` piece, or None when it is fine."""
    if re.fullmatch(_NAME, body):
        if body in declared:
            return None
        names = ", ".join(f"{{{name}}}" for name in sorted(declared))
        known = f"declared: {names}" if names else "this entry declares no placeholders"
        return f"placeholder {piece!r} is not declared ({known})"
    if not body:
        return (
            f"empty placeholder {piece!r}: write a declared {{name}}, "
            "or '{{' and '}}' for literal braces"
        )
    if body.isdecimal():
        return f"positional placeholder {piece!r} is not allowed: use a declared {{name}}"
    # Report the first offending character, as Python's format mini-language would read it.
    offending = [(body.index(c), c) for c in _NOT_ALLOWED if c in body]
    if offending:
        return (
            f"{_NOT_ALLOWED[min(offending)[1]]} in {piece!r} is not allowed: "
            "only a plain declared {name} may appear in braces"
        )
    return (
        f"{piece!r} is not a valid placeholder: a name is lowercase ASCII letters, "
        "digits and '_', starting with a letter"
    )


@lru_cache(maxsize=256)
def _shared_names(names: frozenset[str]) -> frozenset[str]:
    """The first equal set of names seen: templates share one object per set (most
    have none), and a frozenset takes 216 bytes even when it is empty."""
    return names


def compile_template(
    text: str,
    declared: Mapping[str, Placeholder],
    *,
    path: str | None = None,
    entry_id: str | None = None,
    field: str | None = None,
    line: int | None = None,
) -> Template:
    """Compile a template string against the entry's declared placeholders.

    ``path``, ``entry_id``, ``field`` and ``line`` only locate errors.

    >>> compile_template("{{literal}} {n}", {"n": Placeholder("n", PlaceholderType.NUMBER)}).keys
    ('n',)

    Raises :class:`TemplateError` for anything but plain declared ``{name}``
    placeholders and doubled braces, showing the offending piece.
    """

    def fail(problem: str) -> TemplateError:
        return TemplateError(problem, path=path, entry_id=entry_id, field=field, line=line)

    if not isinstance(text, str):
        raise fail(f"a template must be a string, not {type(text).__name__}")
    literals: list[str] = []
    keys: list[str] = []
    current: list[str] = []
    position = 0
    for match in re.finditer(_TOKEN, text):
        current.append(text[position : match.start()])
        position = match.end()
        piece = match.group()
        if piece == "{{":
            current.append("{")
        elif piece == "}}":
            current.append("}")
        elif len(piece) == 1:
            near = text[max(match.start() - 10, 0) : match.start() + 10]
            raise fail(
                f"unmatched {piece!r} at character {match.start() + 1} (near {near!r}); "
                f"write {piece * 2!r} for a literal brace"
            )
        else:
            problem = _problem(piece[1:-1], piece, declared)
            if problem is not None:
                raise fail(problem)
            literals.append("".join(current))
            current = []
            keys.append(piece[1:-1])
    current.append(text[position:])
    literals.append("".join(current))
    return Template(
        source=text,
        names=_shared_names(frozenset(keys)),
        literals=tuple(literals),
        keys=tuple(keys),
        entry_id=entry_id,
    )


def choose_plural(
    forms: Mapping[str, Template], locale: Locale, n: int | float | Decimal
) -> Template:
    """Return the form for ``n``'s CLDR plural category, or the ``"other"`` form.

    Raises :class:`InvalidValueError` when ``n`` is not a finite number and
    :class:`TemplateError` when the needed form and ``"other"`` are both missing.
    """
    category = plural_category(locale, n)
    chosen = forms.get(category)
    if chosen is None:
        chosen = forms.get("other")
    if chosen is None:
        raise TemplateError(
            f"the plural forms ({', '.join(sorted(forms)) or 'none'}) have no "
            f"{category!r} form and no 'other' form"
        )
    return chosen


# --- values ----------------------------------------------------------------------


@lru_cache(maxsize=64)
def _known_currency(code: str) -> bool:
    return bool(_CURRENCY_CODE.fullmatch(code)) and is_currency(code)


Number = int | float | Decimal


_DECIMAL_LIMIT = Decimal(MAX_NUMBER)


def _number(name: str, value: object, expected: str) -> Number:
    """Return a finite, bounded number for an int, float, Decimal or numeric string."""
    # The usual money amount, a finite Decimal in range, skips the tests below.
    if (
        isinstance(value, Decimal)
        and value.__class__ is Decimal
        and value.is_finite()
        and -_DECIMAL_LIMIT < value < _DECIMAL_LIMIT
    ):
        return value
    if isinstance(value, bool):
        raise InvalidValueError(name, expected, value)
    number: Number
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValueError(name, f"{expected} (finite)", value)
        number = value
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidValueError(name, f"{expected} (finite)", value)
        number = value
    elif isinstance(value, str):
        if len(value) > MAX_VALUE_LENGTH:
            raise ValueTooLongError(f"the value for {{{name}}}", len(value), MAX_VALUE_LENGTH)
        text = value.strip()
        if not re.fullmatch(_NUMERIC, text):
            raise InvalidValueError(name, expected, value)
        number = Decimal(text)
    else:
        raise InvalidValueError(name, expected, value)
    # Compare like with like: a Decimal against an int converts the int every time.
    limit = _DECIMAL_LIMIT if number.__class__ is Decimal else MAX_NUMBER
    if not -limit < number < limit:
        raise InvalidValueError(name, f"{expected} smaller than 10**18", value)
    return number


def _currency(name: str, code: object) -> str:
    if not isinstance(code, str) or not _known_currency(code):
        raise InvalidValueError(name, "an ISO 4217 currency code such as 'EUR'", code)
    return code


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of money in one currency.

    ``amount`` is stored as a :class:`~decimal.Decimal` (an int, a float or a
    numeric string is converted); ``currency`` is an ISO 4217 code that CLDR
    knows, in capitals. A frozen dataclass rather than a pydantic model, so
    building one costs next to nothing. Bad input raises :class:`InvalidValueError`.

    >>> Money(Decimal("12.5"), "RON")
    Money(amount=Decimal('12.5'), currency='RON')
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        amount = _number("amount", self.amount, "a number")
        if not isinstance(amount, Decimal):
            # str() first, so 0.1 becomes Decimal("0.1") and not its binary expansion.
            try:
                amount = Decimal(str(amount))
            except InvalidOperation:  # pragma: no cover - _number accepted it already
                raise InvalidValueError("amount", "a number", self.amount) from None
        object.__setattr__(self, "amount", amount)
        _currency("currency", self.currency)


# babel.dates and babel.lists are imported on first use, to keep them off
# `import deescalate`; the caches make later calls a dictionary hit rather than an
# import statement (which costs about 1.5 µs each time).


@cache
def _babel_format_date() -> Callable[..., str]:
    from babel.dates import format_date

    return format_date


@cache
def _babel_format_list() -> Callable[..., str]:
    from babel.lists import format_list

    return format_list


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate, which no UTF-8 or JSON output can carry.

    >>> has_surrogate("café"), has_surrogate("\\udc80")
    (False, True)
    """
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_text(name: str, value: object, limit: int = MAX_VALUE_LENGTH) -> str:
    """``value`` if it is a ``str`` of at most ``limit`` characters that can be saved.

    Raises :class:`InvalidValueError` for anything but a ``str`` and for text
    with a lone surrogate (it could never be written as JSON or UTF-8), and
    :class:`ValueTooLongError` past ``limit``.
    """
    if not isinstance(value, str):
        raise InvalidValueError(name, "text (a str)", value)
    if len(value) > limit:
        raise ValueTooLongError(f"the value for {{{name}}}", len(value), limit)
    if has_surrogate(value):
        raise InvalidValueError(name, "valid Unicode text (it has a lone surrogate)", value)
    return value


def _format_text(ph: Placeholder, value: object, locale: Locale, currency: str | None) -> str:
    return check_text(ph.name, value)


def _format_number(ph: Placeholder, value: object, locale: Locale, currency: str | None) -> str:
    number = _number(ph.name, value, "a number (int, float, Decimal or numeric string)")
    return format_decimal(number, locale=locale)


class MoneyFormat(Record):
    """A locale's choice for one currency's amounts: CLDR number patterns Babel applies.

    ``format`` is an LDML number pattern (``"#,##0원"``, ``"¤#,##0.00"``) passed to
    Babel's ``format_currency(..., format=...)``, or None for the locale's own;
    ``currency_digits`` is Babel's choice of the currency's usual decimals (True)
    or the pattern's (False); ``whole_format``, when given, is the pattern for
    whole amounts (``"¤#,##0"`` writes ¥200, not ¥200.00), with the pattern's digits.
    """

    _fields = ("format", "currency_digits", "whole_format")
    __slots__ = _fields
    format: str | None
    currency_digits: bool
    whole_format: str | None

    def __init__(
        self,
        format: str | None = None,
        currency_digits: bool = True,
        whole_format: str | None = None,
    ) -> None:
        object.__setattr__(self, "format", format)
        object.__setattr__(self, "currency_digits", currency_digits)
        object.__setattr__(self, "whole_format", whole_format)


MONEY_MEMO_SIZE = 1024
"""How many formatted money amounts are remembered (the oldest go first)."""


def _money_text(
    amount: Number, code: str, locale: Locale, choices: Mapping[str, MoneyFormat] | None
) -> str:
    choice = None if choices is None else choices.get(code) or choices.get("*")
    return _formatted_money(amount, code, locale, choice)


@lru_cache(maxsize=MONEY_MEMO_SIZE, typed=True)
def _formatted_money(amount: Number, code: str, locale: Locale, choice: MoneyFormat | None) -> str:
    """One amount in one currency for one locale, formatted once: an amount that comes
    back (the same refund, the same fee) costs a dictionary hit, not Babel's formatting.
    ``typed``: 12.5 and Decimal("12.5") are formatted, and remembered, apart."""
    if choice is None:
        pattern_text, digits = None, True
    elif choice.whole_format is not None and amount == int(amount):
        pattern_text, digits = choice.whole_format, False
    else:
        pattern_text, digits = choice.format, choice.currency_digits
    pattern = _currency_pattern(code, locale, pattern_text)
    if pattern is None:  # a pattern that spells out the currency's name
        return format_currency(
            amount, code, format=pattern_text, currency_digits=digits, locale=locale
        )
    # What format_currency does, with the currency already written into the pattern.
    text: str = pattern.apply(amount, locale, currency=code, currency_digits=digits)
    return text


@lru_cache(maxsize=256)
def _currency_pattern(code: str, locale: Locale, pattern_text: str | None) -> NumberPattern | None:
    """The currency pattern (the locale's, or ``pattern_text``) with ``code``'s symbol
    and ISO code written in, as Babel's ``NumberPattern.apply`` would write them.

    Babel writes the currency into every formatted amount, and looks up the
    currency's plural name for that even when the pattern has no ``¤¤¤``: about
    half of ``format_currency``'s time. Writing the symbol in once per (currency,
    locale, pattern) gives the same text without that lookup. A pattern with
    ``¤¤¤`` (the name, which depends on the amount) gets None: Babel formats it.
    """
    pattern = parse_pattern(pattern_text) if pattern_text else locale.currency_formats["standard"]
    affixes = (*pattern.prefix, *pattern.suffix)
    if any("¤¤¤" in affix for affix in affixes):
        return None
    symbol = get_currency_symbol(code, locale)
    upper = code.upper()

    def written(affix: str) -> str:
        return affix.replace("¤¤", upper).replace("¤", symbol)

    prefix = (written(pattern.prefix[0]), written(pattern.prefix[1]))
    suffix = (written(pattern.suffix[0]), written(pattern.suffix[1]))
    return NumberPattern(
        pattern.pattern,
        prefix,
        suffix,
        pattern.grouping,
        pattern.int_prec,
        pattern.frac_prec,
        pattern.exp_prec,
        pattern.exp_plus,
        pattern.number_pattern,
    )


def _format_money(
    ph: Placeholder,
    value: object,
    locale: Locale,
    currency: str | None,
    choices: Mapping[str, MoneyFormat] | None = None,
) -> str:
    expected = "money (a Money, an (amount, currency) pair, or a number with a currency)"
    if isinstance(value, Money):
        return _money_text(value.amount, value.currency, locale, choices)
    if isinstance(value, tuple):
        if len(value) != 2:
            raise InvalidValueError(ph.name, expected, value)
        amount = _number(ph.name, value[0], expected)
        return _money_text(amount, _currency(ph.name, value[1]), locale, choices)
    amount = _number(ph.name, value, expected)
    if currency is None:
        raise InvalidValueError(
            ph.name, "money with a currency: pass a Money, a pair or currency=", value
        )
    return _money_text(amount, _currency(ph.name, currency), locale, choices)


def _format_date(
    ph: Placeholder,
    value: object,
    locale: Locale,
    currency: str | None,
    date_format: object = "long",
) -> str:
    expected = "a date (datetime.date, datetime.datetime or 'YYYY-MM-DD')"
    if isinstance(value, str):
        if not re.fullmatch(_ISO_DATE, value):
            raise InvalidValueError(ph.name, expected, value)
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            raise InvalidValueError(ph.name, "a real calendar date", value) from None
    if not isinstance(value, datetime.date):
        raise InvalidValueError(ph.name, expected, value)
    return _babel_format_date()(value, format=date_format, locale=locale)


def _format_list(
    ph: Placeholder,
    value: object,
    locale: Locale,
    currency: str | None,
    style: str | None = None,
) -> str:
    expected = "a non-empty list of non-blank strings"
    if isinstance(value, str):
        items: list[str] | tuple[str, ...] = [value]
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise InvalidValueError(ph.name, expected, value)
    if not items:
        raise InvalidValueError(ph.name, expected, value)
    if len(items) > MAX_LIST_ITEMS:
        raise TooManyItemsError(f"the list for {{{ph.name}}}", len(items), MAX_LIST_ITEMS)
    for item in items:
        # A blank item would leave a hole such as "a, , b" in the text.
        if not isinstance(item, str) or not item.strip():
            raise InvalidValueError(ph.name, expected, value)
        if len(item) > MAX_VALUE_LENGTH:
            raise ValueTooLongError(
                f"an item of the list for {{{ph.name}}}", len(item), MAX_VALUE_LENGTH
            )
    return _babel_format_list()(items, style=style or _LIST_STYLES[ph.style], locale=locale)


_FORMATTERS: dict[PlaceholderType, Callable[..., str]] = {
    PlaceholderType.TEXT: _format_text,
    PlaceholderType.NUMBER: _format_number,
    PlaceholderType.MONEY: _format_money,
    PlaceholderType.DATE: _format_date,
    PlaceholderType.LIST: _format_list,
}


def format_value(
    ph: Placeholder, value: object, locale: Locale, *, currency: str | None = None
) -> str:
    """Format one value by its placeholder's declared type, through Babel.

    - text: a str, returned as it is;
    - number: an int, float or Decimal (not a bool, not NaN or infinite) or a
      numeric string such as ``"12.5"``;
    - money: a :class:`Money`, an ``(amount, currency)`` pair, or a number with
      ``currency=`` (a Money's or pair's own currency wins over ``currency=``);
    - date: a date or datetime, or ``"YYYY-MM-DD"``; CLDR's long date format;
    - list: a non-empty list or tuple of strings, or one string; joined with
      "and" or "or" as the placeholder's ``style`` says.

    >>> from deescalate.i18n import get_locale
    >>> format_value(Placeholder("sum", PlaceholderType.MONEY), (12500, "KRW"), get_locale("ko"))
    '₩12,500'

    Raises :class:`InvalidValueError` for a value of the wrong type and
    :class:`ValueTooLongError` past :data:`MAX_VALUE_LENGTH` or :data:`MAX_LIST_ITEMS`.
    """
    return _FORMATTERS[ph.type](ph, value, locale, currency)


Formatter = Callable[[object, Locale, str | None], str]
"""A placeholder's formatter with the declaration bound: ``(value, locale, currency)``."""


def formatter(
    ph: Placeholder,
    *,
    money: Mapping[str, MoneyFormat] | None = None,
    date_format: object = None,
    list_style: str | None = None,
) -> Formatter:
    """The formatter of one placeholder, bound once so a hot path skips the dispatch.

    ``formatter(ph)(value, locale, currency)`` is ``format_value(ph, value, locale,
    currency=currency)``. A locale's formatting choices (see
    :class:`deescalate.formats.Formats`) are bound here too: ``money`` maps a
    currency code (or ``"*"``) to its :class:`MoneyFormat`, ``date_format`` is
    what Babel's ``format_date`` takes as ``format`` (a CLDR pattern, such as
    the one a skeleton resolves to: see :func:`deescalate.formats.date_pattern`)
    instead of the long date, and ``list_style`` a Babel list style instead of
    the placeholder's own. Choices that don't apply to the type are ignored.
    """
    function = _FORMATTERS[ph.type]
    if ph.type is PlaceholderType.MONEY and money:
        return partial(function, ph, choices=money)
    if ph.type is PlaceholderType.DATE and date_format is not None:
        return partial(function, ph, date_format=date_format)
    if ph.type is PlaceholderType.LIST and list_style is not None:
        return partial(function, ph, style=list_style)
    return partial(function, ph)


def cache_clear() -> None:
    """Empty this module's caches (the package's :func:`~deescalate.cache_clear` calls it)."""
    _known_currency.cache_clear()
    _shared_names.cache_clear()
    _formatted_money.cache_clear()
    _currency_pattern.cache_clear()
