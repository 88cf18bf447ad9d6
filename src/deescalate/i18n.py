"""Locale tags, negotiation, display names and plural categories.

This is the only module that talks to Babel about locales. Everything here
works on Babel-style identifier strings (``"da_DK"``, ``"zh_Hans_CN"``); the
parsed :class:`babel.Locale` objects come from :func:`get_locale`, which is
cached, so no hot path hands Babel a string to parse.

Negotiation is script-aware and deliberately does not use
:func:`babel.negotiate_locale`, which would hand a Traditional Chinese reader
(``zh-TW``) the Simplified catalogue. Every lookup table and result is cached
with :func:`functools.lru_cache`; :func:`cache_clear` empties all of them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global, get_locale_identifier, parse_locale

from ._records import Record, replace
from .errors import InvalidLocaleError, InvalidValueError
from .limits import MAX_HEADER_LENGTH, MAX_LOCALE_PREFERENCES, MAX_TAG_LENGTH
from .models import Fallback, FallbackKind

__all__ = [
    "MAX_HEADER_LENGTH",
    "MAX_TAG_LENGTH",
    "PLURAL_ORDER",
    "Negotiated",
    "cache_clear",
    "display_name",
    "get_locale",
    "negotiate",
    "parse_preferences",
    "parse_tag",
    "plural_categories",
    "plural_category",
    "with_usage",
]

PLURAL_ORDER: tuple[str, ...] = ("zero", "one", "two", "few", "many", "other")
"""CLDR plural categories in CLDR's own order."""

_SUBTAG = re.compile(r"[A-Za-z0-9]{1,8}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}|[A-Za-z]{5,8}")
# RFC 9110 section 12.4.2: a weight is 0 to 1 with at most three decimals.
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")
# POSIX spellings such as "da_DK.UTF-8" or "de_DE@euro", as found in $LANG.
_POSIX_SUFFIX = re.compile(r"(?:\.[A-Za-z0-9_-]+)?(?:@[A-Za-z0-9_-]+)?\Z")


# --- parsing ---------------------------------------------------------------------


def parse_tag(tag: str) -> str:
    """Return the Babel identifier for one locale tag in any common spelling.

    Accepts BCP 47 (``"da-DK"``, ``"zh-Hans-CN"``), Babel/POSIX (``"da_DK"``,
    ``"da_DK.UTF-8"``) and any letter case. BCP 47 extensions and private-use
    parts (from the first one-character subtag on, as in
    ``"en-US-u-ca-gregory"``) are dropped. A well-formed tag that CLDR does
    not know (``"tlh"``) is returned normalised; it simply matches no catalogue.

    >>> parse_tag("EN-gb")
    'en_GB'
    >>> parse_tag("zh_hans_cn")
    'zh_Hans_CN'
    >>> parse_tag("en-US-u-ca-gregory")
    'en_US'

    Raises :class:`InvalidLocaleError` for input that cannot be a tag at all.
    """
    if not isinstance(tag, str):
        raise InvalidLocaleError(tag, f"a locale tag must be a string, not {type(tag).__name__}")
    return _parse_tag(tag)


@lru_cache(maxsize=1024)
def _parse_tag(tag: str) -> str:
    text = tag.strip()
    if not text:
        raise InvalidLocaleError(tag, "the tag is empty")
    if len(text) > MAX_TAG_LENGTH:
        raise InvalidLocaleError(tag, f"the tag is longer than {MAX_TAG_LENGTH} characters")
    if not text.isascii():
        raise InvalidLocaleError(tag, "a locale tag uses ASCII letters, digits, '-' and '_' only")
    text = _POSIX_SUFFIX.sub("", text, count=1)
    subtags = text.replace("_", "-").split("-")
    for subtag in subtags:
        if not subtag:
            raise InvalidLocaleError(tag, "the tag has an empty subtag (two separators in a row)")
        if not _SUBTAG.fullmatch(subtag):
            raise InvalidLocaleError(
                tag, f"subtag {subtag!r} is not 1 to 8 ASCII letters or digits"
            )
    if not _LANGUAGE.fullmatch(subtags[0]):
        raise InvalidLocaleError(tag, f"language subtag {subtags[0]!r} is not 2-3 or 5-8 letters")
    for index, subtag in enumerate(subtags):
        if index and len(subtag) == 1:
            # A singleton starts an extension ("u-ca-gregory") or private use ("x-...").
            subtags = subtags[:index]
            break
    try:
        parsed = parse_locale("-".join(subtags), sep="-")
    except ValueError:
        raise InvalidLocaleError(
            tag, "the subtags after the language are not script, territory and variant"
        ) from None
    return get_locale_identifier(parsed[:4])


def parse_preferences(locale: str | Sequence[str]) -> tuple[str, ...]:
    """Return normalised identifiers in preference order, without duplicates.

    ``locale`` is one tag, a sequence of tags (most preferred first), or an
    HTTP ``Accept-Language`` header. A header is ordered by weight, keeping the
    written order among equal weights; ``*`` and entries with ``q=0`` are
    dropped, so ``"*"`` alone gives an empty tuple (any catalogue will do).

    >>> parse_preferences("da-DK,da;q=0.9,en;q=0.8,*;q=0.1")
    ('da_DK', 'da', 'en')
    >>> parse_preferences(["zh-TW", "da", "da-dk", "da"])
    ('zh_TW', 'da', 'da_DK')

    Raises :class:`InvalidLocaleError` for an empty input, a bad tag (the
    reason says which) or a malformed weight.
    """
    if isinstance(locale, str):
        return _parse_header(locale)
    if not isinstance(locale, Sequence):
        raise InvalidLocaleError(
            locale,
            "expected a tag, a sequence of tags or an Accept-Language header, "
            f"not {type(locale).__name__}",
        )
    if len(locale) > MAX_LOCALE_PREFERENCES:
        raise InvalidLocaleError(
            locale, f"more than {MAX_LOCALE_PREFERENCES} preferences ({len(locale)})"
        )
    tags = tuple(locale)
    for position, tag in enumerate(tags, start=1):
        if not isinstance(tag, str):
            raise InvalidLocaleError(
                locale, f"preference {position} is a {type(tag).__name__}, not a string"
            )
    return _parse_sequence(tags)


@lru_cache(maxsize=512)
def _parse_sequence(tags: tuple[str, ...]) -> tuple[str, ...]:
    if not tags:
        raise InvalidLocaleError(list(tags), "the list of preferred locales is empty")
    result: dict[str, None] = {}
    for position, tag in enumerate(tags, start=1):
        try:
            result[_parse_tag(tag)] = None
        except InvalidLocaleError as err:
            raise InvalidLocaleError(
                list(tags), f"preference {position} ({tag!r}) is invalid: {err.reason}"
            ) from None
    return tuple(result)


@lru_cache(maxsize=512)
def _parse_header(header: str) -> tuple[str, ...]:
    if not header.strip():
        raise InvalidLocaleError(header, "the locale is empty")
    if len(header) > MAX_HEADER_LENGTH:
        raise InvalidLocaleError(
            header, f"the Accept-Language value is longer than {MAX_HEADER_LENGTH} characters"
        )
    weighted: list[tuple[float, str]] = []
    # RFC 9110 section 5.6.1: recipients accept and ignore empty list elements.
    items = [item.strip() for item in header.split(",")]
    if not any(items):
        raise InvalidLocaleError(header, "the Accept-Language value lists no locale")
    for item in filter(None, items):
        tag, *params = (part.strip() for part in item.split(";"))
        weight = 1.0
        for param in params:
            name, equals, value = param.partition("=")
            if name.strip().lower() != "q" or not equals:
                raise InvalidLocaleError(
                    header,
                    f"unexpected parameter {param!r} in {item!r}; only q=<weight> is allowed",
                )
            if not _QVALUE.fullmatch(value.strip()):
                raise InvalidLocaleError(
                    header, f"malformed weight {param!r} in {item!r}; expected q=0 to q=1"
                )
            weight = float(value)
        if tag == "*" or weight == 0.0:
            continue
        try:
            weighted.append((weight, _parse_tag(tag)))
        except InvalidLocaleError as err:
            raise InvalidLocaleError(header, f"{tag!r} is invalid: {err.reason}") from None
    # sorted() is stable: equal weights keep the order they were written in.
    weighted.sort(key=lambda pair: -pair[0])
    return tuple(dict.fromkeys(identifier for _, identifier in weighted))


@lru_cache(maxsize=256)
def get_locale(identifier: str) -> Locale:
    """Return the cached :class:`babel.Locale` for an identifier or tag.

    >>> get_locale("da-DK").territory
    'DK'

    Raises :class:`InvalidLocaleError` when the tag is malformed or when Babel
    has no CLDR data for it.
    """
    normalised = parse_tag(identifier)
    try:
        return Locale.parse(normalised)
    except UnknownLocaleError:
        raise InvalidLocaleError(identifier, "Babel has no CLDR data for this locale") from None


# --- negotiation -----------------------------------------------------------------

_set = object.__setattr__


class Negotiated(Record):
    """The outcome of :func:`negotiate`.

    A small frozen record rather than a pydantic model: it is built on every
    uncached negotiation and never validated from outside data.
    """

    _fields = ("locale", "fallback", "warnings", "matched")
    __slots__ = _fields
    _compared = _shown = ("locale", "fallback", "warnings")
    # ``matched`` is not compared: two requests served alike (``da`` and ``da_DK``)
    # share cache entries.

    locale: str
    """The catalogue identifier chosen, spelled as in ``available``."""
    fallback: Fallback | None
    """Set when the chosen catalogue does not serve the first preference."""
    warnings: tuple[str, ...]
    """Plain-English notes on preferences that were skipped for a reason worth knowing."""
    matched: str | None
    """The preference (normalised) that the chosen catalogue serves; None for the default."""

    def __init__(
        self,
        locale: str,
        fallback: Fallback | None = None,
        warnings: tuple[str, ...] = (),
        matched: str | None = None,
    ) -> None:
        _set(self, "locale", locale)
        _set(self, "fallback", fallback)
        _set(self, "warnings", warnings)
        _set(self, "matched", matched)


class _Parts(Record):
    _fields = ("language", "script", "territory", "variant")
    __slots__ = _fields
    language: str
    script: str | None
    territory: str | None
    variant: str | None

    def __init__(
        self, language: str, script: str | None, territory: str | None, variant: str | None
    ) -> None:
        _set(self, "language", language)
        _set(self, "script", script)
        _set(self, "territory", territory)
        _set(self, "variant", variant)


@lru_cache(maxsize=1024)
def _parts(identifier: str) -> _Parts:
    """Split an identifier, filling in the script from CLDR's likely subtags."""
    language, territory, script, variant = parse_locale(identifier)[:4]
    if script is None:
        likely = get_global("likely_subtags")
        keys = (f"{language}_{territory}", language) if territory else (language,)
        for key in keys:
            if key in likely:
                script = parse_locale(likely[key])[2]
                break
    return _Parts(language, script, territory, variant)


def _language_name(language: str, script: str | None) -> str:
    names = get_locale("en").languages
    if script is not None and f"{language}_{script}" in names:
        return f"{names[f'{language}_{script}']} ({script})"
    base = names.get(language, language)
    return f"{base} ({script})" if script else base


def _matches(wanted: _Parts, available: tuple[tuple[str, _Parts], ...]) -> str | None:
    best: tuple[int, str] | None = None
    for name, have in available:
        if have.language != wanted.language or have.script != wanted.script:
            continue
        # A catalogue narrowed to a territory or variant serves only that one.
        if have.territory is not None and have.territory != wanted.territory:
            continue
        if have.variant is not None and have.variant != wanted.variant:
            continue
        rank = (have.territory is not None) + (have.variant is not None)
        if best is None or rank > best[0]:
            best = (rank, name)
    return None if best is None else best[1]


def negotiate(
    preferences: str | Sequence[str],
    available: Collection[str],
    *,
    default: str = "en",
) -> Negotiated:
    """Choose the catalogue for the caller's preferred locales, script-aware.

    ``preferences`` is anything :func:`parse_preferences` accepts. For each
    preference in order, a catalogue matches when its language is the same and
    so is its script once CLDR's likely subtags are filled in (``zh``,
    ``zh_CN`` and ``zh_SG`` are Hans; ``zh_TW``, ``zh_HK`` and ``zh_Hant`` are
    Hant). The request's territory and variant are ignored against a catalogue
    that has none, but a catalogue with exactly the requested territory wins;
    a catalogue with some other territory does not match. When nothing
    matches, ``default`` is used as given (it should be one of ``available``).

    ``fallback`` is ``None`` when the chosen catalogue serves the first
    preference; otherwise it says what was requested, what is used and why.

    >>> negotiate("da-DK", ["en", "da", "zh_Hans"])
    Negotiated(locale='da', fallback=None, warnings=())
    >>> negotiate(["zh-CN"], ["en", "zh_Hans"]).locale
    'zh_Hans'
    >>> result = negotiate(["zh-TW", "da"], ["en", "da", "zh_Hans"])
    >>> result.locale, result.fallback.used
    ('da', 'da')
    >>> result.warnings[0].startswith("No Traditional Chinese (Hant) catalogue")
    True
    >>> negotiate("xx", ["en", "da"]).fallback.reason
    "There is no catalogue for 'xx'; using the default catalogue 'en'."
    """
    wanted = parse_preferences(preferences)
    if isinstance(available, str):
        available = (available,)
    names = tuple(available)
    for name in names:
        parse_tag(name)  # a malformed catalogue name is a programming error: say so now
    return _negotiate(wanted, tuple(sorted(set(names))), default)


@lru_cache(maxsize=1024)
def _negotiate(wanted: tuple[str, ...], available: tuple[str, ...], default: str) -> Negotiated:
    if wanted and wanted[0] in available:
        # The first preference is a catalogue, spelled exactly: nothing can serve it
        # better, so CLDR's likely subtags (loading them costs milliseconds) are not needed.
        return Negotiated(locale=wanted[0], matched=wanted[0])
    catalogues = tuple((name, _parts(parse_tag(name))) for name in available)
    warnings: list[str] = []
    chosen: str | None = None
    matched_index = -1
    for index, identifier in enumerate(wanted):
        parts = _parts(identifier)
        chosen = _matches(parts, catalogues)
        if chosen is not None:
            matched_index = index
            break
        other_scripts = [
            name
            for name, have in catalogues
            if have.language == parts.language and have.script != parts.script
        ]
        if other_scripts:
            warnings.append(
                f"No {_language_name(parts.language, parts.script)} catalogue is available "
                f"for {identifier!r}; the "
                + " and ".join(
                    f"{_language_name(parts.language, _parts(parse_tag(n)).script)} catalogue {n!r}"
                    for n in other_scripts
                )
                + " was not used because it is written in a different script."
            )
    matched = wanted[matched_index] if chosen is not None else None
    if not wanted or matched_index == 0:
        return Negotiated(chosen or default, None, tuple(warnings), matched)
    first = wanted[0]
    first_parts = _parts(first)
    if any(
        have.language == first_parts.language and have.script != first_parts.script
        for _, have in catalogues
    ):
        missing = f"There is no {_language_name(first_parts.language, first_parts.script)} "
    else:
        missing = "There is no "
    if chosen is not None:
        reason = (
            f"{missing}catalogue for {first!r}; using {chosen!r}, "
            f"which serves preference {matched_index + 1} ({wanted[matched_index]!r})."
        )
    else:
        chosen = default
        reason = f"{missing}catalogue for {first!r}; using the default catalogue {default!r}."
    fallback = Fallback.model_construct(
        kind=FallbackKind.LOCALE, requested=first, used=chosen, reason=reason
    )
    return Negotiated(chosen, fallback, tuple(warnings), matched)


def with_usage(negotiated: Negotiated, usage: str | None) -> Negotiated:
    """``negotiated`` with a warning when its catalogue follows another territory's usage.

    ``usage`` is the chosen catalogue's ``[locale] usage`` (a CLDR region). A
    request that names no territory, or the same one, is served as it is; a
    request for another territory gets the catalogue all the same (it is the
    closest there is) with a warning saying whose usage it follows.

    >>> chosen = negotiate("zh-HK", ["en", "zh_Hant"])
    >>> for part in with_usage(chosen, "TW").warnings[0].split("; "):
    ...     print(part)
    The 'zh_Hant' catalogue follows Taiwan usage
    there is no catalogue for Hong Kong SAR China yet ('zh_HK').
    >>> with_usage(negotiate("zh-TW", ["en", "zh_Hant"]), "TW").warnings
    ()
    """
    if usage is None or negotiated.matched is None:
        return negotiated
    warning = _usage_warning(negotiated.matched, negotiated.locale, usage)
    if warning is None or warning in negotiated.warnings:
        return negotiated
    return replace(negotiated, warnings=(*negotiated.warnings, warning))


@lru_cache(maxsize=256)
def _usage_warning(requested: str, catalogue: str, usage: str) -> str | None:
    territory = _parts(requested).territory
    if territory is None or territory == usage:
        return None
    return (
        f"The {catalogue!r} catalogue follows {_territory_name(usage)} usage; "
        f"there is no catalogue for {_territory_name(territory)} yet ({requested!r})."
    )


def _territory_name(code: str) -> str:
    """A region's English name from CLDR (the code itself if CLDR has none)."""
    name: str = get_locale("en").territories.get(code, code)
    return name


# --- names and plurals -----------------------------------------------------------


def display_name(identifier: str, in_locale: str | None = None) -> str:
    """Return the locale's name, in its own language unless ``in_locale`` is given.

    >>> display_name("da")
    'dansk'
    >>> display_name("zh_Hans_CN", "en")
    'Chinese (Simplified, China)'
    """
    locale = get_locale(identifier)
    name = locale.get_display_name(get_locale(in_locale) if in_locale is not None else None)
    return name if name is not None else str(locale)


def plural_categories(identifier: str) -> tuple[str, ...]:
    """Return the locale's CLDR plural categories, ``"other"`` included, in CLDR order.

    >>> plural_categories("ro")
    ('one', 'few', 'other')
    >>> plural_categories("ko")
    ('other',)
    """
    return _plural_categories(parse_tag(identifier))


@lru_cache(maxsize=256)
def _plural_categories(identifier: str) -> tuple[str, ...]:
    # Babel's PluralRule.tags leaves out "other", which every locale has.
    tags = get_locale(identifier).plural_form.tags | {"other"}
    return tuple(tag for tag in PLURAL_ORDER if tag in tags)


def plural_category(locale: str | Locale, n: int | float | Decimal) -> str:
    """Return the CLDR plural category of ``n`` in the locale.

    >>> plural_category("ro", 2)
    'few'
    >>> plural_category("en", 1)
    'one'

    Raises :class:`InvalidValueError` when ``n`` is not a finite number.
    """
    if isinstance(n, bool) or not isinstance(n, int | float | Decimal):
        raise InvalidValueError("n", "an int, float or Decimal", n)
    if isinstance(n, float) and not math.isfinite(n):
        raise InvalidValueError("n", "a finite number", n)
    if isinstance(n, Decimal) and not n.is_finite():
        raise InvalidValueError("n", "a finite number", n)
    if isinstance(locale, str):
        locale = get_locale(locale)
    category: str = locale.plural_form(n)
    return category


def cache_clear() -> None:
    """Empty every cache in this module (for tests, or after swapping Babel data)."""
    for cached in (
        _parse_tag,
        _parse_sequence,
        _parse_header,
        get_locale,
        _parts,
        _negotiate,
        _usage_warning,
        _plural_categories,
    ):
        cached.cache_clear()
