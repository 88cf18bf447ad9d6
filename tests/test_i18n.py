"""Tests for deescalate.i18n: tags, preferences, negotiation, names and plurals."""

from __future__ import annotations

import doctest
from collections.abc import Iterator, Sequence
from decimal import Decimal

import pytest
from babel import Locale
from hypothesis import given
from hypothesis import strategies as st

from deescalate import i18n
from deescalate.errors import InvalidLocaleError, InvalidValueError
from deescalate.i18n import (
    Negotiated,
    display_name,
    get_locale,
    negotiate,
    parse_preferences,
    parse_tag,
    plural_categories,
    plural_category,
)
from deescalate.models import FallbackKind

SHIPPED = ("en", "af", "da", "ro", "ko", "zh_Hans", "zh_Hant")
# A catalogue set with Simplified Chinese only (a company directory, say): what a
# Traditional request gets where no Hant catalogue exists.
NO_HANT = tuple(c for c in SHIPPED if c != "zh_Hant")


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Each test starts and ends with empty caches."""
    i18n.cache_clear()
    yield
    i18n.cache_clear()


def test_docstring_examples() -> None:
    """The examples in the module's docstrings are true."""
    assert doctest.testmod(i18n).failed == 0


# --- parse_tag -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        # plain languages
        ("en", "en"),
        ("EN", "en"),
        ("af", "af"),
        ("ko", "ko"),
        (" da ", "da"),
        # language and territory, any separator and case
        ("da-DK", "da_DK"),
        ("da_DK", "da_DK"),
        ("EN-gb", "en_GB"),
        ("ro-ro", "ro_RO"),
        ("es-419", "es_419"),
        # scripts
        ("zh-Hans", "zh_Hans"),
        ("zh-Hans-CN", "zh_Hans_CN"),
        ("zh_hans_cn", "zh_Hans_CN"),
        ("ZH-HANT-TW", "zh_Hant_TW"),
        ("sr-Latn", "sr_Latn"),
        # variants
        ("de-DE-1996", "de_DE_1996"),
        ("en-US-POSIX", "en_US_POSIX"),
        # extensions and private use are dropped
        ("en-US-u-ca-gregory", "en_US"),
        ("en-US-x-twain", "en_US"),
        ("da-DK-t-en", "da_DK"),
        # POSIX spellings, as found in $LANG
        ("da_DK.UTF-8", "da_DK"),
        ("de_DE@euro", "de_DE"),
        ("en.UTF-8", "en"),
        # well-formed tags unknown to CLDR are still tags
        ("xx", "xx"),
        ("tlh", "tlh"),
        ("abcde", "abcde"),
    ],
)
def test_parse_tag_normalises(tag: str, expected: str) -> None:
    """Every common spelling of a tag becomes the same Babel identifier."""
    assert parse_tag(tag) == expected


@pytest.mark.parametrize(
    ("tag", "reason_part"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x", "2-3 or 5-8 letters"),
        ("abcd", "2-3 or 5-8 letters"),
        ("abcdefghi", "1 to 8"),
        ("e1", "2-3 or 5-8 letters"),
        ("12", "2-3 or 5-8 letters"),
        ("x-private", "2-3 or 5-8 letters"),
        ("en--GB", "empty subtag"),
        ("en-", "empty subtag"),
        ("-en", "empty subtag"),
        ("en:GB", "ASCII letters or digits"),
        ("en.", "ASCII letters or digits"),
        ("dänisch", "ASCII"),
        ("zh-漢", "ASCII"),
        ("en-abc", "script, territory and variant"),
        ("en-Latn-Cyrl", "script, territory and variant"),
        ("en-" + "-".join(["Latn"] * 20), "longer than 64"),
        ("en\x00", "ASCII letters or digits"),
    ],
)
def test_parse_tag_rejects_non_tags(tag: str, reason_part: str) -> None:
    """Input that cannot be a locale tag raises InvalidLocaleError saying why."""
    with pytest.raises(InvalidLocaleError) as info:
        parse_tag(tag)
    assert reason_part in info.value.reason
    assert info.value.tag == tag


@pytest.mark.parametrize("tag", [None, 7, b"en", ["en"], 1.5])
def test_parse_tag_rejects_non_strings(tag: object) -> None:
    """A value that is not a str raises InvalidLocaleError, not TypeError."""
    with pytest.raises(InvalidLocaleError, match="must be a string"):
        parse_tag(tag)  # type: ignore[arg-type]


@given(st.text(max_size=80))
def test_parse_tag_returns_str_or_raises_invalid_locale(text: str) -> None:
    """Any string either parses to an identifier or raises InvalidLocaleError."""
    try:
        result = parse_tag(text)
    except InvalidLocaleError:
        return
    assert isinstance(result, str)
    assert parse_tag(result) == result


@given(
    st.from_regex(r"[a-zA-Z]{2,3}([-_][A-Za-z]{4})?([-_]([A-Za-z]{2}|[0-9]{3}))?", fullmatch=True)
)
def test_parse_tag_accepts_generated_tags(tag: str) -> None:
    """Well-formed language-script-territory tags always parse, and idempotently."""
    result = parse_tag(tag)
    assert parse_tag(result) == result


# --- parse_preferences -----------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        # one tag
        ("da-DK", ("da_DK",)),
        ("zh-TW", ("zh_TW",)),
        # sequences keep their order and lose duplicates
        (["zh-TW", "da"], ("zh_TW", "da")),
        (("fr", "ro"), ("fr", "ro")),
        (["da", "da-dk", "DA", "da_DK"], ("da", "da_DK")),
        # Accept-Language headers
        ("da-DK,da;q=0.9,en;q=0.8,*;q=0.1", ("da_DK", "da", "en")),
        ("en;q=0.1, ro;q=0.9, ko", ("ko", "ro", "en")),
        ("da, en, ro", ("da", "en", "ro")),
        ("en;q=0.5,da;q=0.5,ro;q=0.5", ("en", "da", "ro")),
        ("da;q=1.000, en;q=0.001", ("da", "en")),
        ("da;q=1, en;Q=0", ("da",)),
        ("ro;q=0.0, en", ("en",)),
        ("da,,en,", ("da", "en")),
        ("da ; q=0.7 , en", ("en", "da")),
        ("en-US,en;q=0.9,en-GB;q=0.8", ("en_US", "en", "en_GB")),
        ("*", ()),
        ("*;q=0.5", ()),
    ],
)
def test_parse_preferences(locale: str | Sequence[str], expected: tuple[str, ...]) -> None:
    """A tag, a list or an Accept-Language header gives identifiers in preference order."""
    assert parse_preferences(locale) == expected


@pytest.mark.parametrize(
    ("locale", "reason_part"),
    [
        ("", "empty"),
        ("  ", "empty"),
        ([], "list of preferred locales is empty"),
        ((), "list of preferred locales is empty"),
        (["da", "x"], "preference 2 ('x')"),
        (["", "da"], "preference 1 ('')"),
        (["da", None], "preference 2 is a NoneType"),
        (",", "lists no locale"),
        (" , ,", "lists no locale"),
        ("da;q=2", "malformed weight"),
        ("da;q=0.1234", "malformed weight"),
        ("da;q=", "malformed weight"),
        ("da;q=abc", "malformed weight"),
        ("da;q=-0.5", "malformed weight"),
        ("da;q=1.5", "malformed weight"),
        ("da;level=1", "unexpected parameter"),
        ("da;q", "unexpected parameter"),
        ("da,en--GB;q=0.5", "'en--GB' is invalid"),
        ("da;q=0.5,x", "'x' is invalid"),
        ("da," * 2000, "longer than 4096"),
        (42, "not int"),
        (None, "not NoneType"),
    ],
)
def test_parse_preferences_rejects(locale: object, reason_part: str) -> None:
    """Empty input, a bad tag or a malformed weight raises InvalidLocaleError saying which."""
    with pytest.raises(InvalidLocaleError) as info:
        parse_preferences(locale)  # type: ignore[arg-type]
    assert reason_part in info.value.reason


@given(st.text(max_size=120))
def test_parse_preferences_returns_tuple_or_raises(text: str) -> None:
    """Any string either gives a tuple of identifiers or raises InvalidLocaleError."""
    try:
        result = parse_preferences(text)
    except InvalidLocaleError:
        return
    assert isinstance(result, tuple)
    assert all(parse_tag(identifier) == identifier for identifier in result)
    assert len(set(result)) == len(result)


@given(st.lists(st.text(max_size=12), max_size=5))
def test_parse_preferences_lists_return_tuple_or_raise(tags: list[str]) -> None:
    """Any list of strings either gives a tuple of identifiers or raises InvalidLocaleError."""
    try:
        result = parse_preferences(tags)
    except InvalidLocaleError:
        return
    assert 1 <= len(result) <= len(tags)


# --- get_locale ------------------------------------------------------------------


@pytest.mark.parametrize("identifier", [*SHIPPED, "da-DK", "zh_Hans_CN"])
def test_get_locale_is_cached(identifier: str) -> None:
    """The same Locale object comes back for the same identifier."""
    locale = get_locale(identifier)
    assert isinstance(locale, Locale)
    assert get_locale(identifier) is locale


@pytest.mark.parametrize("identifier", ["xx", "tlh", "x", ""])
def test_get_locale_without_cldr_data(identifier: str) -> None:
    """A tag with no CLDR data (or no tag at all) raises InvalidLocaleError."""
    with pytest.raises(InvalidLocaleError):
        get_locale(identifier)


# --- negotiate -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preferences", "expected"),
    [
        # territory ignored against territory-less catalogues: no fallback
        ("da-DK", "da"),
        ("da", "da"),
        ("en-GB", "en"),
        ("en-US-u-ca-gregory", "en"),
        ("ro-RO", "ro"),
        ("ko-KR", "ko"),
        ("af-ZA", "af"),
        # Simplified Chinese, however spelled
        ("zh", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh-SG", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh-Hans-CN", "zh_Hans"),
        ("zh_hans_sg", "zh_Hans"),
        # Traditional Chinese for Taiwan, however spelled
        ("zh-TW", "zh_Hant"),
        ("zh-Hant", "zh_Hant"),
        ("zh-Hant-TW", "zh_Hant"),
        ("zh_hant_tw", "zh_Hant"),
        # the first preference matches, whatever follows
        (["da", "en"], "da"),
        ("ko;q=0.9, zh-TW;q=0.5", "ko"),
    ],
)
def test_negotiate_matches_first_preference(
    preferences: str | Sequence[str], expected: str
) -> None:
    """A catalogue that serves the first preference is chosen with no fallback."""
    result = negotiate(preferences, SHIPPED)
    assert result == Negotiated(expected, None, ())


@pytest.mark.parametrize("preferences", ["zh-TW", "zh-HK", "zh-Hant", "zh-MO", "zh-Hant-CN"])
def test_negotiate_never_gives_simplified_to_traditional(preferences: str) -> None:
    """Without a Hant catalogue, a Traditional request falls back to the default and warns."""
    result = negotiate(preferences, NO_HANT)
    assert result.locale == "en"
    assert result.fallback is not None
    assert result.fallback.kind is FallbackKind.LOCALE
    assert result.fallback.used == "en"
    assert "Traditional Chinese (Hant)" in result.fallback.reason
    (warning,) = result.warnings
    assert "No Traditional Chinese (Hant) catalogue" in warning
    assert "Simplified Chinese" in warning
    assert "was not used" in warning


@pytest.mark.parametrize("preferences", ["zh", "zh-CN", "zh-SG", "zh-Hans", "zh-Hans-TW"])
def test_negotiate_never_gives_traditional_to_simplified(preferences: str) -> None:
    """Without a Hans catalogue, a Simplified request falls back too: never to zh_Hant."""
    no_hans = tuple(c for c in SHIPPED if c != "zh_Hans")
    result = negotiate(preferences, no_hans)
    assert result.locale == "en"
    assert result.fallback is not None
    assert "Simplified Chinese (Hans)" in result.fallback.reason
    (warning,) = result.warnings
    assert "'zh_Hant' was not used" in warning


@pytest.mark.parametrize(
    ("preferences", "expected"),
    [("zh-TW", "zh_Hant"), ("zh_Hant", "zh_Hant"), ("zh-CN", "zh_Hans"), ("zh", "zh_Hans")],
)
def test_shipped_chinese_catalogues_each_serve_their_script(
    preferences: str, expected: str
) -> None:
    """With both shipped, each script's requests reach their own catalogue, not the other."""
    result = negotiate(preferences, SHIPPED)
    assert result.locale == expected
    assert result.fallback is None


@pytest.mark.parametrize(
    ("preferences", "expected", "requested", "reason_part"),
    [
        (["fr-CA", "da"], "da", "fr_CA", "which serves preference 2 ('da')"),
        ("pt-BR,ro;q=0.5", "ro", "pt_BR", "which serves preference 2 ('ro')"),
        ("xx", "en", "xx", "There is no catalogue for 'xx'; using the default catalogue 'en'"),
        ("tlh-Latn", "en", "tlh_Latn", "no catalogue for 'tlh_Latn'"),
        (["fr", "ro"], "ro", "fr", "There is no catalogue for 'fr'; using 'ro'"),
        (["fr-CA", "de", "ko-KR"], "ko", "fr_CA", "preference 3 ('ko_KR')"),
        ("sr-Latn", "en", "sr_Latn", "no catalogue for 'sr_Latn'"),
    ],
)
def test_negotiate_falls_back(
    preferences: str | Sequence[str], expected: str, requested: str, reason_part: str
) -> None:
    """When the first preference has no catalogue, the fallback says what was used and why."""
    result = negotiate(preferences, SHIPPED)
    assert result.locale == expected
    assert result.fallback is not None
    assert result.fallback.kind is FallbackKind.LOCALE
    assert result.fallback.requested == requested
    assert result.fallback.used == expected
    assert reason_part in result.fallback.reason
    assert result.fallback.reason.endswith(".")


def test_negotiate_fallback_warns_about_script() -> None:
    """Skipping a Traditional preference for a later one still warns about Hant."""
    result = negotiate(["zh-TW", "da"], NO_HANT)
    assert len(result.warnings) == 1
    assert "Traditional Chinese (Hant)" in result.warnings[0]


@pytest.mark.parametrize(
    ("preferences", "available", "expected"),
    [
        # an exact territory wins over the territory-less catalogue
        ("en-GB", ("en", "en_GB"), "en_GB"),
        ("en-US", ("en", "en_GB"), "en"),
        ("pt-BR", ("pt", "pt_BR", "pt_PT"), "pt_BR"),
        # a catalogue for another territory does not serve the request
        ("pt-PT", ("en", "pt_BR"), "en"),
        # a Traditional catalogue serves Traditional requests only
        ("zh-TW", ("en", "zh_Hans", "zh_Hant"), "zh_Hant"),
        ("zh-HK", ("en", "zh_Hans", "zh_Hant"), "zh_Hant"),
        ("zh", ("en", "zh_Hans", "zh_Hant"), "zh_Hans"),
        # catalogues spelled in BCP 47 come back as spelled
        ("da-DK", ("en", "da-DK"), "da-DK"),
        # a custom default
        ("xx", ("da", "ro"), "da"),
    ],
)
def test_negotiate_against_other_catalogue_sets(
    preferences: str, available: tuple[str, ...], expected: str
) -> None:
    """Negotiation works for any set of catalogues, not only the shipped ones."""
    default = "da" if "en" not in available else "en"
    assert negotiate(preferences, available, default=default).locale == expected


def test_negotiate_any_locale_gives_default() -> None:
    """An Accept-Language of '*' accepts anything: the default, with no fallback."""
    assert negotiate("*", SHIPPED) == Negotiated("en", None, ())


def test_negotiate_is_cached() -> None:
    """The same question gets the same result object."""
    first = negotiate(["zh-TW", "da"], SHIPPED)
    assert negotiate(("zh-TW", "da"), list(reversed(SHIPPED))) is first


@pytest.mark.parametrize(
    ("preferences", "available"),
    [([], SHIPPED), ("", SHIPPED), (["da", "x"], SHIPPED), ("da", ("en", "x"))],
)
def test_negotiate_rejects_bad_input(
    preferences: Sequence[str], available: tuple[str, ...]
) -> None:
    """Bad preferences or a malformed catalogue name raise InvalidLocaleError."""
    with pytest.raises(InvalidLocaleError):
        negotiate(preferences, available)


def test_negotiated_is_frozen() -> None:
    """A Negotiated result cannot be changed."""
    result = negotiate("da", SHIPPED)
    with pytest.raises(AttributeError):
        result.locale = "en"  # type: ignore[misc]


# --- display names and plurals ---------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "in_locale", "expected"),
    [
        ("en", None, "English"),
        ("da", None, "dansk"),
        ("ro", None, "română"),
        ("ko", None, "한국어"),
        ("af", None, "Afrikaans"),
        ("zh_Hans", None, "中文 (简体)"),
        ("da", "en", "Danish"),
        ("zh_Hans", "en", "Chinese (Simplified)"),
        ("zh_Hans_CN", "en", "Chinese (Simplified, China)"),
        ("ro", "da", "rumænsk"),
        ("da-DK", "en", "Danish (Denmark)"),
    ],
)
def test_display_name(identifier: str, in_locale: str | None, expected: str) -> None:
    """Display names come from CLDR, in the locale's own language by default."""
    assert display_name(identifier, in_locale) == expected


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("en", ("one", "other")),
        ("af", ("one", "other")),
        ("da", ("one", "other")),
        ("ro", ("one", "few", "other")),
        ("ko", ("other",)),
        ("zh_Hans", ("other",)),
        ("zh", ("other",)),
        ("ar", ("zero", "one", "two", "few", "many", "other")),
        ("ro-RO", ("one", "few", "other")),
    ],
)
def test_plural_categories(identifier: str, expected: tuple[str, ...]) -> None:
    """Plural categories include 'other' and follow CLDR's order."""
    assert plural_categories(identifier) == expected


@pytest.mark.parametrize(
    ("identifier", "n", "expected"),
    [
        # Romanian: one for 1, few for 0 and n % 100 in 2..19 (and decimals), other otherwise
        ("ro", 1, "one"),
        ("ro", 2, "few"),
        ("ro", 19, "few"),
        ("ro", 20, "other"),
        ("ro", 100, "other"),
        ("ro", 101, "few"),
        ("ro", 0, "few"),
        ("ro", 1.5, "few"),
        # English: one only for integer 1
        ("en", 1, "one"),
        ("en", 0, "other"),
        ("en", 2, "other"),
        ("en", Decimal("1.0"), "other"),
        ("en", Decimal(1), "one"),
        ("en", -1, "one"),
        # Danish: 1.5 is one (t != 0)
        ("da", 1.5, "one"),
        ("da", 2, "other"),
        # no distinctions
        ("ko", 1, "other"),
        ("zh_Hans", 1, "other"),
    ],
)
def test_plural_category(identifier: str, n: int | float | Decimal, expected: str) -> None:
    """The plural category is what Babel's CLDR rules say, given a name or a Locale."""
    assert plural_category(identifier, n) == expected
    assert plural_category(get_locale(identifier), n) == expected


@pytest.mark.parametrize(
    "n", [True, "1", None, float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity")]
)
def test_plural_category_rejects_non_numbers(n: object) -> None:
    """A bool, a string or a non-finite number raises InvalidValueError."""
    with pytest.raises(InvalidValueError):
        plural_category("en", n)  # type: ignore[arg-type]
