"""Tests for deescalate.render: templates, typed values and plural choice."""

from __future__ import annotations

import datetime
import doctest
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deescalate import Phrasebook, render
from deescalate.errors import (
    CatalogueError,
    InvalidValueError,
    MissingValueError,
    TemplateError,
    TooManyItemsError,
    ValueTooLongError,
)
from deescalate.i18n import get_locale
from deescalate.models import PlaceholderType
from deescalate.render import (
    MAX_LIST_ITEMS,
    MAX_RENDERED_LENGTH,
    MAX_VALUE_LENGTH,
    Money,
    Placeholder,
    Template,
    choose_plural,
    compile_template,
    format_value,
)

TEXT = Placeholder("name", PlaceholderType.TEXT)
NUMBER = Placeholder("count", PlaceholderType.NUMBER)
MONEY = Placeholder("amount", PlaceholderType.MONEY)
DATE = Placeholder("when", PlaceholderType.DATE)
AND_LIST = Placeholder("items", PlaceholderType.LIST)
OR_LIST = Placeholder("options", PlaceholderType.LIST, style="or")
DECLARED = {ph.name: ph for ph in (TEXT, NUMBER, MONEY, DATE, AND_LIST, OR_LIST)}
NBSP = "\xa0"


def test_docstring_examples() -> None:
    """The examples in the module's docstrings are true."""
    assert doctest.testmod(render).failed == 0


# --- placeholders ----------------------------------------------------------------


def test_placeholder_coerces_type_string() -> None:
    """A type given as its string value becomes the PlaceholderType member."""
    ph = Placeholder("n", "number")  # type: ignore[arg-type]
    assert ph.type is PlaceholderType.NUMBER


@pytest.mark.parametrize(
    ("kwargs", "problem_part"),
    [
        ({"name": "Name", "type": PlaceholderType.TEXT}, "placeholder name 'Name'"),
        ({"name": "1st", "type": PlaceholderType.TEXT}, "placeholder name '1st'"),
        ({"name": "", "type": PlaceholderType.TEXT}, "placeholder name ''"),
        ({"name": "a-b", "type": PlaceholderType.TEXT}, "placeholder name 'a-b'"),
        ({"name": "a", "type": "colour"}, "unknown type 'colour'"),
        ({"name": "a", "type": PlaceholderType.LIST, "style": "nor"}, "unknown list style"),
    ],
)
def test_placeholder_rejects_bad_declarations(kwargs: dict[str, object], problem_part: str) -> None:
    """A bad name, type or list style is a TemplateError."""
    with pytest.raises(TemplateError, match=problem_part):
        Placeholder(**kwargs)  # type: ignore[arg-type]


def test_placeholder_is_frozen() -> None:
    """A Placeholder cannot be changed after it is declared."""
    with pytest.raises(AttributeError):
        TEXT.name = "other"  # type: ignore[misc]


# --- compiling and rendering -----------------------------------------------------


@pytest.mark.parametrize(
    ("source", "values", "expected", "names"),
    [
        ("Hello.", {}, "Hello.", frozenset()),
        ("", {}, "", frozenset()),
        ("Hello, {name}.", {"name": "Ana"}, "Hello, Ana.", frozenset({"name"})),
        ("{name}", {"name": "Ana"}, "Ana", frozenset({"name"})),
        ("{name} and {name}", {"name": "Ana"}, "Ana and Ana", frozenset({"name"})),
        ("{count}{name}", {"count": "3", "name": "x"}, "3x", frozenset({"count", "name"})),
        # doubled braces are literal braces
        ("{{x}}", {}, "{x}", frozenset()),
        ("{{name}}", {}, "{name}", frozenset()),
        ("{{{name}}}", {"name": "Ana"}, "{Ana}", frozenset({"name"})),
        ("a }} b {{ c", {}, "a } b { c", frozenset()),
        # unused values are simply not used
        ("Hi.", {"name": "Ana"}, "Hi.", frozenset()),
        # multi-line and non-ASCII text is fine
        ("Tak, {name}!\nVi ringer.", {"name": "Søren"}, "Tak, Søren!\nVi ringer.", {"name"}),
        ("您好，{name}。", {"name": "李"}, "您好，李。", frozenset({"name"})),
    ],
)
def test_render(source: str, values: dict[str, str], expected: str, names: frozenset[str]) -> None:
    """A compiled template renders its literal text with the values put in."""
    template = compile_template(source, DECLARED)
    assert template.source == source
    assert template.names == names
    assert template.is_static == (not names)
    assert template.render(values) == expected


@pytest.mark.parametrize(
    "value", ["{name}", "{{name}}", "{0}", "}{", "{", "{count.__class__}", "%s", "{!r}"]
)
def test_value_with_braces_is_literal(value: str) -> None:
    """A value containing braces goes in as it is and is never read as a template."""
    template = compile_template("<{name}|{count}>", DECLARED)
    assert template.render({"name": value, "count": "1"}) == f"<{value}|1>"


@pytest.mark.parametrize(
    ("source", "problem_part"),
    [
        ("Hi {name.upper}", "attribute access in '{name.upper}'"),
        ("Hi {name.__class__}", "attribute access in '{name.__class__}'"),
        ("Hi {name[0]}", "index access in '{name[0]}'"),
        ("Hi {0}", "positional placeholder '{0}'"),
        ("Hi {12}", "positional placeholder '{12}'"),
        ("Hi {}", "empty placeholder '{}'"),
        ("Hi {name!r}", "a conversion in '{name!r}'"),
        ("Hi {name:>10}", "a format spec in '{name:>10}'"),
        ("Hi {name:{count}}", "unmatched '{' at character 4"),
        ("Hi {nme}", "placeholder '{nme}' is not declared (declared: {amount}, {count}"),
        ("Hi {Name}", "'{Name}' is not a valid placeholder"),
        ("Hi { name }", "'{ name }' is not a valid placeholder"),
        ("Hi {na-me}", "'{na-me}' is not a valid placeholder"),
        ("Hi {naïve}", "'{naïve}' is not a valid placeholder"),
        ("Hi {name", "unmatched '{' at character 4"),
        ("Hi name}", "unmatched '}' at character 8"),
        ("Hi {", "unmatched '{'"),
        ("}", "unmatched '}' at character 1"),
        ("{name}{{{", "unmatched '{' at character 9"),
        ("{name}}}}", "unmatched '}' at character 9"),
    ],
)
def test_compile_rejects(source: str, problem_part: str) -> None:
    """Anything but a declared plain {name} or doubled brace is a TemplateError that shows it."""
    with pytest.raises(TemplateError) as info:
        compile_template(source, DECLARED)
    assert problem_part in info.value.problem


def test_compile_error_says_where() -> None:
    """A TemplateError carries the file, entry, field and line it was given."""
    with pytest.raises(TemplateError) as info:
        compile_template(
            "{x}", {}, path="locales/da.toml", entry_id="calm.a", field="text", line=12
        )
    err = info.value
    assert isinstance(err, CatalogueError)
    assert (err.path, err.entry_id, err.field, err.line) == (
        "locales/da.toml",
        "calm.a",
        "text",
        12,
    )
    assert "this entry declares no placeholders" in err.problem
    assert str(err).startswith("locales/da.toml:12, entry 'calm.a', field 'text': ")


def test_render_missing_value() -> None:
    """A value missing at render time raises MissingValueError naming it."""
    template = compile_template("{name} {count}", DECLARED, entry_id="resolve.x")
    with pytest.raises(MissingValueError) as info:
        template.render({"name": "Ana"})
    assert info.value.names == ("count",)
    assert info.value.entry_id == "resolve.x"


def test_render_non_str_value() -> None:
    """A value that is not formatted text raises InvalidValueError, not TypeError."""
    template = compile_template("{name} {count}", DECLARED)
    with pytest.raises(InvalidValueError, match="count"):
        template.render({"name": "Ana", "count": 3})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("source", "value_length", "ok"),
    [
        ("{name}", MAX_RENDERED_LENGTH, True),
        ("{name}", MAX_RENDERED_LENGTH + 1, False),
        ("ab{name}", MAX_RENDERED_LENGTH - 2, True),
        ("ab{name}", MAX_RENDERED_LENGTH - 1, False),
        ("x" * (MAX_RENDERED_LENGTH + 1), 0, False),
    ],
)
def test_render_length_limit(source: str, value_length: int, ok: bool) -> None:
    """A rendered text longer than MAX_RENDERED_LENGTH raises ValueTooLongError."""
    template = compile_template(source, DECLARED)
    values = {"name": "v" * value_length}
    if ok:
        assert len(template.render(values)) == MAX_RENDERED_LENGTH
    else:
        with pytest.raises(ValueTooLongError) as info:
            template.render(values)
        assert info.value.limit == MAX_RENDERED_LENGTH


def test_template_is_frozen() -> None:
    """A compiled Template cannot be changed."""
    template = compile_template("Hi", {})
    assert isinstance(template, Template)
    with pytest.raises(AttributeError):
        template.source = "Bye"  # type: ignore[misc]


@given(st.text(max_size=MAX_VALUE_LENGTH))
def test_text_value_appears_verbatim(value: str) -> None:
    """Any text value is rendered exactly as given, between the literal parts."""
    template = compile_template("« {name} » {{ok}}", DECLARED)
    formatted = format_value(TEXT, value, get_locale("da"))
    assert template.render({"name": formatted}) == f"« {value} » {{ok}}"


_TEMPLATE_PIECES = ["{", "}", "name", "count", "nme", "a", " ", ".", "0", ":", "!", "[", "é"]


@given(st.lists(st.sampled_from(_TEMPLATE_PIECES), max_size=12).map("".join) | st.text(max_size=40))
def test_compile_returns_template_or_raises(source: str) -> None:
    """Any template text either compiles or raises TemplateError, and renders like str.format."""
    try:
        template = compile_template(source, DECLARED)
    except TemplateError:
        return
    values = {name: f"<{name}>" for name in template.names}
    # str.format agrees on every template we accept (it also accepts much more).
    assert template.render(values) == source.format_map(values)


# --- choose_plural ---------------------------------------------------------------

FORMS_RO = {
    "one": compile_template("un minut", {}),
    "few": compile_template("{count} minute", DECLARED),
    "other": compile_template("{count} de minute", DECLARED),
}


@pytest.mark.parametrize(
    ("locale", "n", "expected"),
    [
        ("ro", 1, "un minut"),
        ("ro", 2, "{count} minute"),
        ("ro", 19, "{count} minute"),
        ("ro", 20, "{count} de minute"),
        ("ro", 100, "{count} de minute"),
        ("ro", 101, "{count} minute"),
        ("ro", Decimal("1.5"), "{count} minute"),
        # a locale's category missing from the forms falls back to "other"
        ("ar", 2, "{count} de minute"),
        ("ko", 1, "{count} de minute"),
    ],
)
def test_choose_plural(locale: str, n: int | Decimal, expected: str) -> None:
    """The form is chosen by the CLDR plural category, else 'other'."""
    assert choose_plural(FORMS_RO, get_locale(locale), n).source == expected


def test_choose_plural_without_other() -> None:
    """Forms with neither the category nor 'other' raise TemplateError."""
    with pytest.raises(TemplateError, match="no 'other' form"):
        choose_plural({"one": FORMS_RO["one"]}, get_locale("ro"), 5)


@pytest.mark.parametrize("n", [True, "2", float("nan"), None])
def test_choose_plural_rejects_non_numbers(n: object) -> None:
    """A count that is not a finite number raises InvalidValueError."""
    with pytest.raises(InvalidValueError):
        choose_plural(FORMS_RO, get_locale("ro"), n)  # type: ignore[arg-type]


# --- Money -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("12.5"), "RON", Decimal("12.5")),
        (12, "EUR", Decimal(12)),
        (0.1, "USD", Decimal("0.1")),
        ("12.50", "DKK", Decimal("12.50")),
        (-3, "KRW", Decimal(-3)),
    ],
)
def test_money(amount: object, currency: str, expected: Decimal) -> None:
    """Money stores its amount as a Decimal and keeps a valid currency code."""
    money = Money(amount, currency)  # type: ignore[arg-type]
    assert money.amount == expected
    assert isinstance(money.amount, Decimal)
    assert money.currency == currency


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        (Decimal(1), "eur", "currency"),
        (Decimal(1), "EURO", "currency"),
        (Decimal(1), "ZZZ", "currency"),
        (Decimal(1), "", "currency"),
        (Decimal(1), None, "currency"),
        (Decimal("NaN"), "EUR", "amount"),
        (float("inf"), "EUR", "amount"),
        (True, "EUR", "amount"),
        ("twelve", "EUR", "amount"),
        (None, "EUR", "amount"),
        (10**18, "EUR", "amount"),
    ],
)
def test_money_rejects(amount: object, currency: object, field: str) -> None:
    """A bad amount or an unknown currency code raises InvalidValueError naming the field."""
    with pytest.raises(InvalidValueError) as info:
        Money(amount, currency)  # type: ignore[arg-type]
    assert info.value.name == field


# --- format_value ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("ph", "value", "locale", "currency", "expected"),
    [
        # text
        (TEXT, "pakken", "da", None, "pakken"),
        (TEXT, "", "da", None, ""),
        (TEXT, "a{b}c", "en", None, "a{b}c"),
        # numbers
        (NUMBER, 1234567.891, "en", None, "1,234,567.891"),
        (NUMBER, 1234567.891, "da", None, "1.234.567,891"),
        (NUMBER, 1234567.891, "ro", None, "1.234.567,891"),
        (NUMBER, 1234567.891, "af", None, f"1{NBSP}234{NBSP}567,891"),
        (NUMBER, 1234567.891, "ko", None, "1,234,567.891"),
        (NUMBER, 1234567.891, "zh_Hans", None, "1,234,567.891"),
        (NUMBER, 3, "da", None, "3"),
        (NUMBER, -3, "en", None, "-3"),
        (NUMBER, Decimal("2.50"), "da", None, "2,5"),
        (NUMBER, "12.5", "ro", None, "12,5"),
        (NUMBER, " 7 ", "en", None, "7"),
        (NUMBER, "1e3", "en", None, "1,000"),
        # money from Money, pairs and currency=
        (MONEY, Money(Decimal("12.5"), "RON"), "ro", None, f"12,50{NBSP}RON"),
        (MONEY, (Decimal("12.5"), "RON"), "ro", None, f"12,50{NBSP}RON"),
        (MONEY, 12.5, "ro", "RON", f"12,50{NBSP}RON"),
        (MONEY, "12.5", "ro", "RON", f"12,50{NBSP}RON"),
        (MONEY, 12500, "ko", "KRW", "₩12,500"),
        (MONEY, (12500, "KRW"), "ko", None, "₩12,500"),
        (MONEY, (12500, "KRW"), "da", None, f"12.500{NBSP}₩"),
        (MONEY, ("12.5", "EUR"), "en", None, "€12.50"),
        (MONEY, ("12.5", "EUR"), "da", None, f"12,50{NBSP}€"),
        (MONEY, ("12.5", "EUR"), "af", None, "€12,50"),
        (MONEY, ("12.5", "EUR"), "zh_Hans", None, "€12.50"),
        # the value's own currency wins over currency=
        (MONEY, Money(Decimal(1), "EUR"), "en", "USD", "€1.00"),
        # dates
        (DATE, datetime.date(2024, 3, 5), "en", None, "March 5, 2024"),
        (DATE, datetime.date(2024, 3, 5), "af", None, "05 Maart 2024"),
        (DATE, datetime.date(2024, 3, 5), "da", None, "5. marts 2024"),
        (DATE, datetime.date(2024, 3, 5), "ro", None, "5 martie 2024"),
        (DATE, datetime.date(2024, 3, 5), "ko", None, "2024년 3월 5일"),
        (DATE, datetime.date(2024, 3, 5), "zh_Hans", None, "2024年3月5日"),
        (DATE, datetime.datetime(2024, 3, 5, 23, 59), "da", None, "5. marts 2024"),
        (DATE, "2024-03-05", "ro", None, "5 martie 2024"),
        # lists
        (AND_LIST, ["a", "b", "c"], "en", None, "a, b, and c"),
        (AND_LIST, ["a", "b", "c"], "af", None, "a, b en c"),
        (AND_LIST, ["a", "b", "c"], "da", None, "a, b og c"),
        (AND_LIST, ["a", "b", "c"], "ro", None, "a, b și c"),
        (AND_LIST, ["a", "b", "c"], "ko", None, "a, b 및 c"),
        (AND_LIST, ["a", "b", "c"], "zh_Hans", None, "a、b和c"),
        (OR_LIST, ["a", "b", "c"], "en", None, "a, b, or c"),
        (OR_LIST, ["a", "b", "c"], "af", None, "a, b of c"),
        (OR_LIST, ("a", "b", "c"), "da", None, "a, b eller c"),
        (OR_LIST, ["a", "b", "c"], "ro", None, "a, b sau c"),
        (OR_LIST, ["a", "b", "c"], "ko", None, "a, b 또는 c"),
        (OR_LIST, ["a", "b", "c"], "zh_Hans", None, "a、b或c"),
        (OR_LIST, ["a", "b"], "da", None, "a eller b"),
        (AND_LIST, ["pakken"], "da", None, "pakken"),
        (AND_LIST, "pakken", "da", None, "pakken"),
    ],
)
def test_format_value(
    ph: Placeholder, value: object, locale: str, currency: str | None, expected: str
) -> None:
    """Values are formatted by declared type exactly as Babel's CLDR data says."""
    assert format_value(ph, value, get_locale(locale), currency=currency) == expected


@pytest.mark.parametrize(
    ("ph", "value", "currency", "expected_part"),
    [
        # text
        (TEXT, 3, None, "text"),
        (TEXT, None, None, "text"),
        (TEXT, ["a"], None, "text"),
        # numbers
        (NUMBER, True, None, "a number"),
        (NUMBER, None, None, "a number"),
        (NUMBER, float("nan"), None, "finite"),
        (NUMBER, float("-inf"), None, "finite"),
        (NUMBER, Decimal("sNaN"), None, "finite"),
        (NUMBER, "NaN", None, "a number"),
        (NUMBER, "Infinity", None, "a number"),
        (NUMBER, "twelve", None, "a number"),
        (NUMBER, "1,5", None, "a number"),
        (NUMBER, "١٢", None, "a number"),
        (NUMBER, "", None, "a number"),
        (NUMBER, "1e999999", None, "smaller than 10**18"),
        (NUMBER, 10**30, None, "smaller than 10**18"),
        (NUMBER, -1e19, None, "smaller than 10**18"),
        (NUMBER, [1], None, "a number"),
        # money
        (MONEY, 12.5, None, "currency"),
        (MONEY, "12.5", None, "currency"),
        (MONEY, 12.5, "ron", "ISO 4217"),
        (MONEY, 12.5, "XYZ", "ISO 4217"),
        (MONEY, (12.5,), None, "money"),
        (MONEY, (12.5, "RON", "x"), None, "money"),
        (MONEY, (12.5, "lei"), None, "ISO 4217"),
        (MONEY, ("x", "RON"), None, "money"),
        (MONEY, True, "RON", "money"),
        (MONEY, float("nan"), "RON", "finite"),
        (MONEY, {"amount": 1, "currency": "RON"}, None, "money"),
        # dates
        (DATE, "5 March 2024", None, "a date"),
        (DATE, "20240305", None, "a date"),
        (DATE, "2024-02-30", None, "a real calendar date"),
        (DATE, "2024-03-05T10:00", None, "a date"),
        (DATE, 20240305, None, "a date"),
        (DATE, None, None, "a date"),
        # lists
        (AND_LIST, [], None, "non-empty list"),
        (AND_LIST, (), None, "non-empty list"),
        (AND_LIST, "", None, "non-blank"),
        (AND_LIST, ["a", " "], None, "non-blank"),
        (AND_LIST, ["a", 1], None, "list of non-blank strings"),
        (AND_LIST, {"a", "b"}, None, "list"),
        (AND_LIST, None, None, "list"),
    ],
)
def test_format_value_rejects_wrong_types(
    ph: Placeholder, value: object, currency: str | None, expected_part: str
) -> None:
    """A value that does not fit the declared type raises InvalidValueError naming it."""
    with pytest.raises(InvalidValueError) as info:
        format_value(ph, value, get_locale("ro"), currency=currency)
    assert info.value.name == ph.name
    assert expected_part in info.value.expected


@pytest.mark.parametrize(
    ("ph", "value", "limit"),
    [
        (TEXT, "x" * (MAX_VALUE_LENGTH + 1), MAX_VALUE_LENGTH),
        (NUMBER, "1" * (MAX_VALUE_LENGTH + 1), MAX_VALUE_LENGTH),
        (AND_LIST, ["x" * (MAX_VALUE_LENGTH + 1)], MAX_VALUE_LENGTH),
        (AND_LIST, "x" * (MAX_VALUE_LENGTH + 1), MAX_VALUE_LENGTH),
        (AND_LIST, ["x"] * (MAX_LIST_ITEMS + 1), MAX_LIST_ITEMS),
    ],
)
def test_format_value_length_limits(ph: Placeholder, value: object, limit: int) -> None:
    """Values over the documented limits raise ValueTooLongError."""
    with pytest.raises(ValueTooLongError) as info:
        format_value(ph, value, get_locale("en"))
    assert info.value.limit == limit


@pytest.mark.parametrize(
    ("ph", "value"),
    [
        (TEXT, "x" * MAX_VALUE_LENGTH),
        (AND_LIST, ["x" * MAX_VALUE_LENGTH]),
        (AND_LIST, ["x"] * MAX_LIST_ITEMS),
    ],
)
def test_format_value_at_limits(ph: Placeholder, value: object) -> None:
    """Values exactly at the limits are accepted."""
    assert format_value(ph, value, get_locale("en"))


def test_too_many_items_message() -> None:
    """The list-length error counts items, not characters."""
    with pytest.raises(TooManyItemsError, match=r"has 21 items; the limit is 20"):
        format_value(AND_LIST, ["x"] * 21, get_locale("en"))


@pytest.mark.parametrize("locale_id", Phrasebook.default().locales)
def test_money_is_formatted_exactly_as_babel_formats_it(locale_id: str) -> None:
    """Each shipped locale's money (its own formatting choices included) reads exactly
    as Babel's format_currency writes it, for every currency and amount shape tried."""
    from decimal import Decimal

    from babel.numbers import format_currency

    data = Phrasebook.default().locale_data(locale_id)
    babel = get_locale(data.formats.locale(data.id))
    choices = [None, *data.formats.money.values()]
    amounts = [0, 1, 12.5, Decimal("12.5"), -3.25, 1234567.891, 200, Decimal("0.005")]
    for code in ["EUR", "DKK", "KRW", "JPY", "RON", "ZAR", "CNY", "USD", "BHD"]:
        for amount in amounts:
            for choice in choices:
                if choice is None:
                    want = format_currency(amount, code, locale=babel)
                elif choice.whole_format is not None and amount == int(amount):
                    want = format_currency(
                        amount, code, format=choice.whole_format, currency_digits=False,
                        locale=babel,
                    )  # fmt: skip
                else:
                    want = format_currency(
                        amount, code, format=choice.format,
                        currency_digits=choice.currency_digits, locale=babel,
                    )  # fmt: skip
                got = render._formatted_money(amount, code, babel, choice)
                assert got == want, (code, amount, choice)
