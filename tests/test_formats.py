"""Formatting choices: each locale writes money, dates and lists as a native would, via CLDR."""

from __future__ import annotations

import datetime
import re
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

import deescalate as de
from deescalate.errors import CatalogueError
from deescalate.formats import NO_FORMATS, Formats, date_pattern
from deescalate.i18n import get_locale
from deescalate.models import Channel, PlaceholderType
from deescalate.render import MoneyFormat, Placeholder, formatter

BOOK = de.Phrasebook.default()
DATE = datetime.date(2025, 3, 14)
REFUND = "resolve.billing-error.refund"
NEW_DATE = "resolve.late-delivery.new-date"
OPTIONS = "resolve.options"


def _rendered(
    locale: str, entry: str, situation: str, channel: str | None, **values: object
) -> str:
    return BOOK.pick(
        "resolve", situation=situation, locale=locale, channel=channel, entry=entry, values=values
    ).text


@pytest.mark.parametrize(
    ("locale", "amount", "expected", "unwanted"),
    [
        # Korean copy writes won after the figure.
        ("ko", de.Money(15000, "KRW"), "15,000원", "₩"),
        ("ko", de.Money(Decimal("12.5"), "USD"), "US$12.50", "원"),
        # Chinese: whole amounts without .00, cents kept otherwise, in every currency.
        ("zh_Hans", de.Money(200, "CNY"), "¥200", "¥200.00"),
        ("zh_Hans", de.Money(Decimal("12.5"), "CNY"), "¥12.50", "¥12.5的"),
        ("zh_Hans", de.Money(99, "USD"), "US$99", "US$99.00"),
        # Taiwan writes NT$ (CLDR's bare "$" could be US dollars) and no cents when whole.
        ("zh_Hant", de.Money(1200, "TWD"), "NT$1,200的", "NT$1,200.00"),
        ("zh_Hant", de.Money(Decimal("12.5"), "TWD"), "NT$12.50", "NT$13"),
        ("zh_Hant", de.Money(99, "USD"), "US$99", "US$99.00"),
        # Locales without a money choice keep CLDR's own form.
        ("da", de.Money(Decimal("249.5"), "DKK"), "249,50\xa0kr.", "DKK"),
        ("en", de.Money(Decimal("12.5"), "EUR"), "€12.50", "EUR"),
    ],
)
def test_money_is_written_the_locales_way(
    locale: str, amount: de.Money, expected: str, unwanted: str
) -> None:
    """A locale's money choice applies in every channel; others keep CLDR's default."""
    for channel in (None, "phone", "chat", "email"):
        text = _rendered(locale, REFUND, "billing-error", channel, amount=amount)
        assert expected in text and unwanted not in text, (channel, text)


@pytest.mark.parametrize(
    ("locale", "spoken", "written"),
    [
        ("en", "14 March", "14 March 2025"),
        ("af", "14 Maart", "14 Maart 2025"),
        ("da", "14. marts", "14. marts 2025"),
        ("ro", "14 martie", "14 martie 2025"),
        ("ko", "3월 14일", "2025년 3월 14일"),
        ("zh_Hans", "3月14日", "2025年3月14日"),
        ("zh_Hant", "3月14日", "2025年3月14日"),
    ],
)
def test_a_near_date_has_no_year_on_the_phone_or_in_chat(
    locale: str, spoken: str, written: str
) -> None:
    """Phone and chat drop the year (CLDR skeleton MMMMd); email and no channel keep it."""
    for channel in ("phone", "chat"):
        text = _rendered(locale, NEW_DATE, "late-delivery", channel, date=DATE)
        assert spoken in text and "2025" not in text, (channel, text)
    for channel in ("email", None):
        text = _rendered(locale, NEW_DATE, "late-delivery", channel, date=DATE)
        assert written in text, (channel, text)


def test_english_lists_are_british() -> None:
    """The source locale formats with en_GB's CLDR data: no serial comma before "or"."""
    options = ["a refund", "a replacement", "a voucher"]
    text = _rendered("en", OPTIONS, "general", None, options=options)
    assert "a refund, a replacement or a voucher" in text
    assert BOOK.locale_data("en").formats.cldr == "en_GB"


def test_playbooks_use_the_channel_s_date_form() -> None:
    """A playbook for the phone writes dates as a pick on the phone does."""
    book = BOOK.playbook("late-delivery", locale="en", channel="phone", values={"date": DATE})
    texts = [p.text for stage in book.stages for p in stage.phrases]
    assert any("14 March" in t for t in texts)
    assert not any("2025" in t for t in texts)


def test_the_formatting_plan_is_the_plain_one_where_no_choice_applies() -> None:
    """An entry whose placeholders no choice concerns keeps its own formatters (no rebinding)."""
    entry = BOOK.neutral.entries[REFUND]  # money only
    dates_only = Formats(dates={"phone": "MMMMd"})
    en = get_locale("en")
    plain = entry.formatters
    assert dates_only.plan(entry.placeholders, Channel.PHONE, plain, en) is plain
    assert NO_FORMATS.plan(entry.placeholders, None, plain, en) is plain


def test_formatter_binds_each_choice_to_its_type() -> None:
    """The bound formatter applies the money pattern, date skeleton and list style given."""
    ko, gb = get_locale("ko"), get_locale("en_GB")
    money = formatter(
        Placeholder("a", PlaceholderType.MONEY), money={"KRW": MoneyFormat(format="#,##0원")}
    )
    assert money((12500, "KRW"), ko, None) == "12,500원"
    pattern = date_pattern("EEEEMMMMd", gb)
    date = formatter(Placeholder("d", PlaceholderType.DATE), date_format=pattern)
    assert date(DATE, gb, None) == "Friday 14 March"
    items = formatter(Placeholder("l", PlaceholderType.LIST, style="and"), list_style="unit")
    assert items(["a", "b", "c"], gb, None) == "a, b, c"


# --- validation at load -------------------------------------------------------------


def _load(tmp_path: Path, locale: str, formats: str) -> Path:
    directory = tmp_path / "acme"
    directory.mkdir()
    path = directory / f"{locale}.toml"
    path.write_text("[formats]\n" + textwrap.dedent(formats), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("locale", "formats", "message"),
    [
        ("en", 'money.EUR = { format = "abc" }', "not an LDML number pattern"),
        ("en", 'money.EUR = { whole_format = "#,##0.0.0" }', "not an LDML number pattern"),
        ("en", 'money.XYZ = { format = "#,##0" }', "not an ISO 4217 currency code"),
        ("en", 'dates = { phone = "Hm" }', "not a CLDR date skeleton"),
        ("en", 'dates = { phone = "" }', "not a CLDR date skeleton"),
        ("en", 'dates = { fax = "MMMMd" }', "unknown key 'fax'"),
        ("en", 'dates = { chat = "QQQQdw" }', "CLDR has no en date format"),
        ("en", 'lists = { or = "bullets" }', "unknown list style 'bullets'"),
        ("en", 'lists = { maybe = "or" }', "unknown key 'maybe'"),
        ("en", 'cldr = "xx_YY"', "Babel has no CLDR locale"),
        ("en", 'cldr = "de_DE"', "not CLDR data for en"),
        ("zh_Hans", 'cldr = "zh_Hant_TW"', "not CLDR data for zh_Hans"),
        ("zh_Hant", 'cldr = "zh_Hans_CN"', "not CLDR data for zh_Hant"),
        ("en", 'money.EUR = { pattern = "#,##0" }', "unknown key"),
        ("en", 'colour = "blue"', "unknown key"),
    ],
)
def test_a_bad_formatting_choice_is_a_catalogue_error_at_its_line(
    tmp_path: Path, locale: str, formats: str, message: str
) -> None:
    """A pattern, skeleton, style, key or CLDR locale Babel can't use names the file and line."""
    path = _load(tmp_path, locale, formats)
    with pytest.raises(CatalogueError) as caught:
        de.Phrasebook.load(path.parent)
    assert message in caught.value.problem
    assert caught.value.path == str(path)
    assert caught.value.line == 2


def test_an_overlay_adds_formatting_choices_key_by_key(tmp_path: Path) -> None:
    """An overlay's [formats] is laid over the shipped one: new keys added, the rest kept."""
    path = _load(tmp_path, "en", 'money.EUR = { whole_format = "¤#,##0" }\n')
    book = de.Phrasebook.load(path.parent)
    formats = book.locale_data("en").formats
    assert formats.cldr == "en_GB" and formats.dates["phone"] == "MMMMd"
    text = book.pick(
        "resolve",
        situation="billing-error",
        locale="en",
        entry=REFUND,
        values={"amount": de.Money(20, "EUR")},
    ).text
    assert "€20" in text and "€20.00" not in text


def test_the_translators_guide_example_is_a_valid_formats_table(tmp_path: Path) -> None:
    """The [formats] example in docs/translators.md loads, with the choices it describes."""
    guide = (Path(__file__).parent.parent / "docs" / "translators.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```toml\n\[formats\]\n(cldr = .*?)```", guide, re.S)
    path = _load(tmp_path, "en", example)
    formats = de.Phrasebook.load(path.parent).locale_data("en").formats
    assert formats.cldr == "en_GB"
    assert formats.money["KRW"].format == "#,##0원"
    assert formats.lists == {"or": "or", "and": "standard"}
