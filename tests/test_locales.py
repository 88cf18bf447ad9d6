"""Every shipped locale, every stage, situation, register and channel: complete and its own."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest

import deescalate as de
from deescalate.checks import Severity, check

BOOK = de.Phrasebook.default()
LOCALES = BOOK.locales
PHRASE_STAGES = [s for s in de.Stage if s is not de.Stage.COOL_DOWN]
SITUATIONS = list(BOOK.neutral.situations)
LEFTOVER = re.compile(r"\{[a-z_]+\}")

SAMPLES: dict[str, object] = {
    "summary": "SUMMARY",
    "name": "Sam",
    "company": "Acme",
    "date": datetime.date(2026, 11, 30),
    "days": 3,
    "amount": de.Money(Decimal("12.5"), "EUR"),
    "options": ["A", "B", "C"],
    "crisis_line": "0800 000 000",
}


def _registers(locale: str) -> tuple[de.Register, ...]:
    return BOOK.locale_data(locale).registers


def test_every_locale_is_shipped() -> None:
    """The seven locales ship, each Chinese catalogue under its script."""
    assert set(LOCALES) == {"af", "da", "en", "ko", "ro", "zh_Hans", "zh_Hant"}


@pytest.mark.parametrize("locale", LOCALES)
def test_check_is_clean_and_complete(locale: str) -> None:
    """deescalate check reports 100% coverage and no problem for the locale.

    Two findings are allowed: repeated wording, a warning for the translator to
    weigh (an apology says "sorry"), and a `stale` warning, a translation made
    from an earlier English text that keeps working until its translator has
    reviewed it (gettext's "fuzzy"). check still lists both; the English, the
    source, is never stale.
    """
    report = check(BOOK, (locale,))
    assert report.ok
    allowed = {"repetition"} if locale == "en" else {"repetition", "stale"}
    problems = [
        p for p in report.problems if not (p.code in allowed and p.severity is Severity.WARNING)
    ]
    assert [str(p) for p in problems] == []
    assert report.coverage[0].percent == 100.0


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("situation", SITUATIONS)
def test_every_stage_and_register_is_served_in_the_locale(locale: str, situation: str) -> None:
    """Each stage of each situation, in each register and channel, comes from the locale itself."""
    for stage in PHRASE_STAGES:
        for register in _registers(locale):
            for channel in (None, *de.Channel):
                try:
                    options = BOOK.options(
                        stage,
                        situation=situation,
                        locale=locale,
                        register=register,
                        channel=channel,
                    )
                except de.NoContentError:
                    continue  # e.g. nothing phone-free at this stage; the no-channel call covers it
                for entry_id, variant in options:
                    phrase = BOOK.pick(
                        stage,
                        situation=situation,
                        locale=locale,
                        register=register,
                        channel=channel,
                        entry=entry_id,
                        variant=variant,
                    )
                    assert phrase.locale == locale
                    assert phrase.register is register
                    assert not any(f.kind is not de.FallbackKind.SITUATION for f in phrase.fallback)
                    assert not LEFTOVER.search(phrase.text)
            # without a channel, there is always something to say
            assert BOOK.options(stage, situation=situation, locale=locale, register=register)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_variant_renders_with_all_placeholders(locale: str) -> None:
    """Every variant of every phrase renders with sample values, leaving no placeholder."""
    for entry in BOOK.neutral.entries.values():
        if entry.kind is not de.Kind.PHRASE:
            continue
        values = {name: SAMPLES[name] for name in entry.placeholders}
        # A line for some channels only is asked for on one of them.
        channel = None if entry.channels == frozenset(de.Channel) else min(entry.channels)
        for register in _registers(locale):
            for entry_id, variant in BOOK.options(
                entry.stage,
                situation=entry.situations[0],
                locale=locale,
                register=register,
                channel=channel,
                values=values,
                entry=entry.id,
            ):
                phrase = BOOK.pick(
                    entry.stage,
                    situation=entry.situations[0],
                    locale=locale,
                    register=register,
                    channel=channel,
                    values=values,
                    entry=entry_id,
                    variant=variant,
                )
                assert phrase.locale == locale, phrase
                assert not LEFTOVER.search(phrase.text), phrase.text
                for name in ("summary", "crisis_line"):
                    if name in values and "{" + name + "}" in str(
                        BOOK.locale_data(locale).texts[entry.id]
                    ):
                        assert str(values[name]) in phrase.text


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != "en"])
def test_no_text_repeats_another_locale(locale: str) -> None:
    """No phrase or tip text of a locale is the same as another locale's."""

    def texts(loc: str) -> set[str]:
        data = BOOK.locale_data(loc)
        out: set[str] = set()
        for by_register in data.texts.values():
            for variants in by_register.values():
                for v in variants:
                    src = v.source
                    out.update([src] if isinstance(src, str) else src.values())
        return {t for t in out if re.search(r"\w{4,}", LEFTOVER.sub("", t))}

    mine = texts(locale)
    for other in LOCALES:
        if other != locale:
            assert not (mine & texts(other)), (locale, other, sorted(mine & texts(other))[:3])


@pytest.mark.parametrize("locale", LOCALES)
def test_playbook_for_every_situation_is_fully_localised(locale: str) -> None:
    """A playbook in the locale uses only the locale's own texts and labels."""
    for situation in SITUATIONS:
        for register in _registers(locale):
            pb = BOOK.playbook(situation, locale=locale, register=register)
            assert pb.locale == locale
            assert pb.fallback == ()
            data = BOOK.locale_data(locale)
            # Labels come from the locale's own file (a word may coincide with English).
            assert pb.title == data.situation_names[situation]
            for stage in pb.stages:
                heading = BOOK.neutral.stage_label(situation, stage.stage)
                assert stage.label == data.labels[heading]
                for phrase in stage.phrases:
                    assert phrase.locale == locale
                for tip in stage.tips:
                    assert tip.locale == locale


@pytest.mark.parametrize(
    ("locale", "amount", "expected"),
    [
        ("da", ("12.5", "DKK"), "12,50\xa0kr."),
        ("ro", ("12.5", "RON"), "12,50\xa0RON"),
        ("af", ("12.5", "ZAR"), "R12,50"),
        ("ko", ("12500", "KRW"), "12,500원"),  # the locale's [formats] choice
        ("zh_Hans", ("12.5", "CNY"), "¥12.50"),
        ("zh_Hant", ("1200", "TWD"), "NT$1,200"),  # the locale's [formats] choice
        ("en", ("12.5", "EUR"), "€12.50"),
    ],
)
def test_money_reads_as_the_locale_writes_it(
    locale: str, amount: tuple[str, str], expected: str
) -> None:
    """Money in a refund line is CLDR's form for the locale, or the CLDR pattern it chose."""
    phrase = BOOK.pick(
        "resolve",
        situation="billing-error",
        locale=locale,
        entry="resolve.billing-error.refund",
        values={"amount": de.Money(Decimal(amount[0]), amount[1])},
        seed=0,
    )
    assert expected in phrase.text


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("da", "A, B eller C"),
        ("ro", "A, B sau C"),
        ("af", "A, B of C"),
        ("zh_Hans", "A、B或C"),
        ("zh_Hant", "A、B或C"),
        ("ko", "A, B 또는 C"),
    ],
)
def test_option_lists_use_the_locales_or(locale: str, expected: str) -> None:
    """The options list is joined with the locale's word for 'or'."""
    phrase = BOOK.pick("resolve", locale=locale, values={"options": ["A", "B", "C"]}, seed=0)
    assert expected in phrase.text


@pytest.mark.parametrize(
    ("locale", "days", "category"),
    [
        ("ro", 1, "one"),
        ("ro", 2, "few"),
        ("ro", 20, "other"),
        ("da", 1, "one"),
        ("da", 3, "other"),
        ("af", 1, "one"),
        ("ko", 1, "other"),
        ("zh_Hans", 1, "other"),
        ("zh_Hant", 3, "other"),
    ],
)
def test_plural_forms_by_cldr_category(locale: str, days: int, category: str) -> None:
    """The replacement line uses the form of the number's CLDR plural category."""
    data = BOOK.locale_data(locale)
    variants = next(iter(data.texts["apologise.faulty-product.replacement"].values()))
    forms = variants[0].forms
    assert forms is not None
    phrase = BOOK.pick(
        "apologise",
        situation="faulty-product",
        locale=locale,
        values={"days": days},
        entry="apologise.faulty-product.replacement",
        variant=0,
        register=next(iter(data.texts["apologise.faulty-product.replacement"])),
    )
    expected = forms[category].render({"days": str(days)})
    assert phrase.text == expected


def test_simplified_chinese_is_purely_simplified() -> None:
    """Every zh_Hans text is unchanged by a Traditional-to-Simplified conversion."""
    import opencc

    converter = opencc.OpenCC("t2s")
    data = BOOK.locale_data("zh_Hans")
    for entry_id, by_register in data.texts.items():
        for variants in by_register.values():
            for v in variants:
                src = v.source
                for text in [src] if isinstance(src, str) else src.values():
                    assert converter.convert(text) == text, (entry_id, text)


# OpenCC's Simplified-to-Taiwan conversion also prefers one of two spellings that
# are both standard in Taiwan (了解/瞭解, 白癡/白痴, 么/麼 in 靠么): such a change
# is no Simplified character, so it is allowed; any other change is.
TAIWAN_VARIANTS = frozenset({("了", "瞭"), ("癡", "痴"), ("么", "麼")})


def _hant_strings() -> list[tuple[str, str]]:
    """Every text of the zh_Hant catalogue a person reads, with where it is."""
    data = BOOK.locale_data("zh_Hant")
    found: list[tuple[str, str]] = []
    for entry_id, by_register in data.texts.items():
        for variants in by_register.values():
            for v in variants:
                src = v.source
                for text in [src] if isinstance(src, str) else src.values():
                    found.append((entry_id, text))
    found += [(f"labels.{k}", v) for k, v in data.labels.items()]
    found += [(f"situations.{k}", v) for k, v in data.situation_names.items()]
    found += [("never_say", phrase) for phrase in data.never_say]
    return found


def test_traditional_chinese_is_purely_traditional() -> None:
    """Every zh_Hant text is unchanged by OpenCC's Simplified-to-Traditional (Taiwan) conversion.

    The mirror of the Simplified test: a Simplified character (这, 们, 软) would be
    converted, so a text that comes back unchanged has none. Every character is
    also in Big5, the Traditional character set of Taiwan.
    """
    import opencc

    converter = opencc.OpenCC("s2tw")
    for where, text in _hant_strings():
        converted = converter.convert(text)
        assert len(converted) == len(text), (where, text, converted)
        changed = {(a, b) for a, b in zip(text, converted, strict=True) if a != b}
        assert changed <= TAIWAN_VARIANTS, (where, text, converted)
        text.encode("big5")


def test_traditional_chinese_is_not_converted_simplified() -> None:
    """zh_Hant is its own text: no entry is a character-for-character conversion of zh_Hans.

    Taiwan vocabulary differs (訊息, 聯絡, 貨態, 工作天), so at least most variants
    differ from what OpenCC makes of the Simplified line.
    """
    import opencc

    converter = opencc.OpenCC("s2tw")
    hans = BOOK.locale_data("zh_Hans")
    hant = BOOK.locale_data("zh_Hant")
    same = total = 0
    for entry_id, by_register in hant.texts.items():
        for register, variants in by_register.items():
            theirs = hans.texts[entry_id].get(register) or next(iter(hans.texts[entry_id].values()))
            for mine, other in zip(variants, theirs, strict=False):
                if isinstance(mine.source, str) and isinstance(other.source, str):
                    total += 1
                    same += converter.convert(other.source) == mine.source
    assert total > 300
    assert same / total < 0.25, f"{same} of {total} variants are OpenCC conversions"


def test_traditional_chinese_quotes_are_corner_brackets() -> None:
    """zh_Hant quotes with 「」 (『』 inside), as Taiwan does: never “” or ‘’."""
    data = BOOK.locale_data("zh_Hant")
    assert data.quotes == ("「」", "『』")
    quoted = [text for _, text in _hant_strings() if "「" in text]
    assert quoted, "the tips quote sample lines"
    for where, text in _hant_strings():
        assert not set(text) & set('“”‘’"'), (where, text)
        assert text.count("「") == text.count("」"), (where, text)


# Mainland words a Traditional conversion keeps but a Taiwanese agent does not say, each with
# the Taiwan word the catalogue uses instead.
MAINLAND_WORDS = {
    "信息": "訊息/資訊",
    "聯繫": "聯絡",
    "反饋": "回饋/意見",
    "質量": "品質",
    "視頻": "影片",
    "網絡": "網路",
    "軟件": "軟體",
    "短信": "簡訊",
    "渠道": "管道",
    "默認": "預設",
    "登錄": "登入",
    "工單": "案件",
    "快遞": "宅配/物流",
    "投訴": "客訴/申訴",
    "套餐": "方案",
    "營業廳": "門市",
    "保安": "保全",
    "窗口": "視窗",
    "通過": "透過",
    "復盤": "回顧",
    "咱們": "我們",
    "領導": "主管",
    "女士": "小姐",
    "在線等待": "線上等候",
    "到賬": "入帳",
    "工作日": "工作天",
    "共情": "同理",
}


def test_traditional_chinese_uses_taiwan_words() -> None:
    """No zh_Hant line, label or name uses a mainland word where Taiwan has its own."""
    data = BOOK.locale_data("zh_Hant")
    texts = [(w, t) for w, t in _hant_strings() if w != "never_say"]
    texts += [(f"glossary.{term}", rule.use) for term, rule in data.glossary.items()]
    found = [
        (where, word, MAINLAND_WORDS[word])
        for where, text in texts
        for word in MAINLAND_WORDS
        if word in text
    ]
    assert found == []
