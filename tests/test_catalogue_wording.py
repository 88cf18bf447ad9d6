"""Catalogue wording that must fit where it is shown: the channel, the situation, the stage.

Each table lists, per locale, the wordings a review found in the wrong place and that
were rewritten; a test fails if one of them comes back where it doesn't fit.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import pytest

import deescalate as de

BOOK = de.Phrasebook.default()
CHANNELS: list[de.Channel | None] = [None, *de.Channel]

# Words that presume the company was in the wrong ("put this right", "correct it"):
# not for a customer who threatens legal action.
LIABILITY = {
    "en": ["put this right", "put it right", "put things right", "our fault", "our mistake"],
    "af": ["reg te stel", "regstel", "regmaak", "ons fout", "ons skuld"],
    "da": ["få det rettet", "rette op", "gået galt", "vores fejl", "vores skyld"],
    "ko": ["바로잡", "저희 잘못", "저희 실수"],
    "ro": ["îndrepta", "greșeala noastră", "vina noastră"],
    "zh_Hans": ["弥补", "我们的错", "我们的失误"],
    "zh_Hant": ["彌補", "我們的錯", "我們的疏失"],
}

# Hearing the customer, said where nothing is heard (chat, email). "I'm listening" is
# kept on purpose: it reads as "I'm with you" in writing, as the translations guide says.
HEARING = {
    "en": ["I can hear", "I hear", "feeling you hear"],
    "af": ["ek kan hoor", "ek hoor", "gevoel wat jy hoor"],
    "da": ["jeg kan høre", "jeg kan godt høre", "følelse, du hører"],
    "ko": ["말씀 잘 들었", "들은 그대로", "들으니", "듣는 즉시", "들려준"],
    "ro": ["vă aud", "te aud", "ai auzit ce"],
    "zh_Hans": ["听您", "听你", "听起来", "听明白", "听出来"],
    "zh_Hant": ["聽您", "聽你", "聽起來", "聽明白", "聽出來"],
}

# Ringing back, in tips and lines that also reach email.
CALLING_BACK = {
    "en": ["call back", "callback", "call you back", "ring you"],
    "af": ["terugbel", "bel terug"],
    "da": ["ringe tilbage", "ringer tilbage", "ring tilbage"],
    "ko": ["다시 전화", "전화로 다시"],
    "ro": ["suni înapoi", "sună înapoi", "te sun înapoi", "vă sun înapoi"],
    "zh_Hans": ["回电"],
    "zh_Hant": ["回電"],
}

# A phone call named in a tip that also reaches email.
CALLS = {
    "en": ["hard calls", "the call over", "safety call"],
    "af": ["moeilike oproepe kom", "oor die oproep.", "volgende oproep neem"],
    "da": ["opkald"],
    "ko": ["통화"],
    "ro": ["apelurile dificile"],
    "zh_Hans": ["来电"],
    "zh_Hant": ["來電"],
}

# Reading a number out, or staying on the line: the phone's hand-over, where only writing
# reaches the person (the warm hand-over tip of the safety situations).
READING_OUT = {
    "en": ["read out", "on the line"],
    "af": ["nommer aflees", "op die lyn"],
    "da": ["nummer op", "på linjen"],
    "ko": ["읽어 주"],
    "ro": ["a citi un număr", "pe fir"],
    "zh_Hans": ["只报一个号码"],
    "zh_Hant": ["只報一個號碼"],
}

# A colleague "picking up" a transfer, or the agent staying "on the line" for it: the phone's
# warm transfer, where a chat is handed over.
PICKING_UP = {
    "en": ["picks up", "stay on until"],
    "af": ["aan die lyn", "kollega antwoord"],
    "da": ["bliv på,"],
    "ko": ["동료가 받을 때까지"],
    "ro": ["pe linie", "până răspunde"],
    "zh_Hans": ["接起来"],
    "zh_Hant": ["接起來"],
}

# Speaking, or the phone's hold and transfer, in what is written (chat and email): found when
# every locale was read as an agent.
SPEAKING = {
    "en": ["speak to me", "talk this through", "put you through", "on hold"],
    "af": [
        "deurpraat",
        "met mekaar praat",
        "praat stadiger",
        "klaar gepraat",
        "deurgeskakel",
        "op wag",
    ],
    "da": ["tale det igennem", "på hold", "tak for samtalen"],
    "ko": ["이야기 나눠 주셔서", "이야기 나눌 수 있어서", "대기 상태"],
    "ro": [
        "vorbește firesc",
        "vorbiți cu mine",
        "vorbești cu mine",
        "am putut vorbi",
        "pun în așteptare",
        "pui clientul în așteptare",
        "mai pune în așteptare",
    ],
    "zh_Hans": ["把这些都聊一聊", "在线等待"],
    "zh_Hant": ["跟我談這些", "跟我聊這些", "線上等候"],
}

# Calling a crying or despairing customer's trouble an inconvenience, or naming it
# frustration: the apologies a distressed customer must not be shown.
BELITTLING = {
    "en": ["inconvenient", "frustrated", "disappointing"],
    "af": ["ongerieflik"],
    "da": ["til stor gene"],
    "ko": ["번거롭게"],
    "ro": ["neplăcut"],
    "zh_Hans": ["不便"],
    "zh_Hant": ["不便", "不方便"],
}

# The old sample in the "say what you will do" tip: a transfer, quoted where no transfer
# fits (email, and a customer who has been passed around before).
PASSING_ON = {
    "en": ["connect you with someone"],
    "af": ["skakel u deur na iemand"],
    "da": ["i forbindelse med en, der kan hjælpe"],
    "ko": ["담당자에게 연결해 드리겠습니다"],
    "ro": ["pun în legătură cu cineva"],
    "zh_Hans": ["联系能处理的同事"],
    "zh_Hant": ["聯絡能處理的同事"],
}


@functools.cache
def _texts(
    situation: str, locale: str, channel: de.Channel | None, *, tips: bool = True
) -> tuple[tuple[str, str], ...]:
    """(entry id, text) for every variant of every line the playbooks show, both registers
    (made once per argument set: every test here reads the same playbooks)."""
    data = BOOK.locale_data(locale)
    shown: list[tuple[str, str]] = []
    for register in data.registers:
        playbook = BOOK.playbook(situation, locale=locale, register=register, channel=channel)
        for stage in playbook.stages:
            lines = [*stage.phrases, *(stage.tips if tips else ())]
            for line in lines:
                texts = data.texts[line.id]
                variants = texts.get(register) or next(iter(texts.values()))
                for variant in variants:
                    if variant.template is not None:
                        shown.append((line.id, variant.template.source))
                    else:
                        shown.extend((line.id, form) for form in (variant.forms or {}).values())
    return tuple(shown)


def _found(texts: Iterable[tuple[str, str]], words: list[str]) -> list[tuple[str, str]]:
    return [(eid, text) for eid, text in texts if any(w.lower() in text.lower() for w in words)]


def test_every_locale_has_a_wording_list() -> None:
    """Each table covers every shipped locale, so a new locale can't slip past these tests."""
    for table in (
        LIABILITY,
        HEARING,
        CALLING_BACK,
        CALLS,
        PASSING_ON,
        READING_OUT,
        PICKING_UP,
        SPEAKING,
        BELITTLING,
    ):
        assert sorted(table) == sorted(BOOK.locales)


@pytest.mark.parametrize("locale", BOOK.locales)
def test_legal_threat_lines_presume_no_wrong(locale: str) -> None:
    """No line said under a legal threat, in any stage, channel or register, presumes that
    the company did wrong (ST-20: "What would you like us to do to put this right?")."""
    for channel in CHANNELS:
        said = _texts("legal-threat", locale, channel, tips=False)
        assert said
        assert _found(said, LIABILITY[locale]) == [], channel


@pytest.mark.parametrize("locale", BOOK.locales)
def test_the_desired_outcome_question_presumes_no_wrong_anywhere(locale: str) -> None:
    """listen.desired-outcome reaches every situation: none of its variants presumes a wrong,
    and the general lines a customer at fault hears don't either."""
    data = BOOK.locale_data(locale)
    for variants in data.texts["listen.desired-outcome"].values():
        texts = [("listen.desired-outcome", v.template.source) for v in variants if v.template]
        assert len(texts) == 3
        assert _found(texts, LIABILITY[locale]) == []
    general = {e for e, spec in BOOK.neutral.entries.items() if spec.situations == ("general",)}
    for channel in CHANNELS:
        said = [
            t for t in _texts("customer-at-fault", locale, channel, tips=False) if t[0] in general
        ]
        assert _found(said, LIABILITY[locale]) == [], channel


@pytest.mark.parametrize("locale", BOOK.locales)
@pytest.mark.parametrize("channel", [de.Channel.CHAT, de.Channel.EMAIL])
def test_nothing_written_speaks_of_hearing_the_customer(locale: str, channel: de.Channel) -> None:
    """In chat and email no line or tip, in any situation, says the agent hears the customer
    (ST-33: "I can hear how frustrating this has been")."""
    for situation in BOOK.neutral.situations:
        assert _found(_texts(situation, locale, channel), HEARING[locale]) == [], situation


@pytest.mark.parametrize("locale", BOOK.locales)
def test_email_playbooks_never_speak_of_ringing_back(locale: str) -> None:
    """By email the tips say "get back to the customer", not "call back" (the Danish
    repeat-contact tips said *ringe tilbage*), and speak of contacts, not calls, in every
    situation."""
    for situation in BOOK.neutral.situations:
        shown = _texts(situation, locale, de.Channel.EMAIL)
        assert _found(shown, CALLING_BACK[locale]) == [], situation
        assert _found(shown, CALLS[locale]) == [], situation


# What an agent's reading found in written channels, each table a kind of phone wording:
# reading a number out or staying on the line (the warm hand-over), a colleague picking up
# (the long-wait transfer), speaking, talking things through, putting through or on hold.
PHONE_WORDING = {"reading-out": READING_OUT, "picking-up": PICKING_UP, "speaking": SPEAKING}


@pytest.mark.parametrize("locale", BOOK.locales)
@pytest.mark.parametrize("channel", [de.Channel.CHAT, de.Channel.EMAIL])
@pytest.mark.parametrize("kind", sorted(PHONE_WORDING))
def test_nothing_written_uses_the_phones_wording(
    locale: str, channel: de.Channel, kind: str
) -> None:
    """In chat and email no tip or line, in any situation, reads a number out, stays on the
    line until a colleague picks up, speaks, or puts the customer through or on hold: the
    hand-over and the transfer are made in writing."""
    for situation in BOOK.neutral.situations:
        shown = _texts(situation, locale, channel)
        assert _found(shown, PHONE_WORDING[kind][locale]) == [], situation


@pytest.mark.parametrize("locale", BOOK.locales)
def test_a_distressed_customer_is_not_told_it_was_an_inconvenience(locale: str) -> None:
    """The distressed apologies call it hard, not inconvenient or frustrating, on every
    channel (``apologise.feeling`` is left out there, and ``apologise.sorry`` v1 says how
    difficult it has been)."""
    for channel in CHANNELS:
        apologies = _texts("distressed", locale, channel, tips=False)
        shown = [(e, t) for e, t in apologies if e.startswith("apologise.")]
        assert _found(shown, BELITTLING[locale]) == [], channel


@pytest.mark.parametrize("locale", BOOK.locales)
def test_no_transfer_is_quoted_where_none_fits(locale: str) -> None:
    """The "say what you will do" tip no longer quotes "I'll connect you with someone who can":
    not by email, and not to a customer who has been passed around before."""
    for situation in BOOK.neutral.situations:
        shown = _texts(situation, locale, de.Channel.EMAIL)
        assert _found(shown, PASSING_ON[locale]) == [], situation
    for channel in CHANNELS:
        shown = _texts("repeat-contact", locale, channel)
        assert _found(shown, PASSING_ON[locale]) == [], channel
    # The tip is still shown, and the live transfer line still exists where a transfer fits.
    phone = {eid for eid, _ in _texts("general", locale, de.Channel.PHONE)}
    assert {"resolve.no-false-promises", "resolve.connect-right-person"} <= phone


@pytest.mark.parametrize("locale", BOOK.locales)
def test_general_calm_thanks_nobody_for_waiting(locale: str) -> None:
    """calm.here-to-help, said before anyone has waited, thanks nobody for their patience
    (ST-33); the long-wait thank-you is in that situation's apology."""
    waiting = {
        "en": ["bearing with", "for waiting", "your patience"],
        "af": ["geduld", "dat u wag", "dat jy wag"],
        "da": ["tålmodighed", "fordi du venter", "fordi De venter", "holdt ud"],
        "ko": ["기다려 주셔서"],
        "ro": ["răbdare", "că așteptați", "că aștepți"],
        "zh_Hans": ["耐心", "久等"],
        "zh_Hant": ["耐心", "久等"],
    }[locale]
    for channel in CHANNELS:
        calm = [
            t for t in _texts("general", locale, channel, tips=False) if t[0].startswith("calm.")
        ]
        assert calm
        assert _found(calm, waiting) == [], channel
    long_wait = _texts("long-wait", locale, de.Channel.PHONE, tips=False)
    assert _found([t for t in long_wait if t[0] == "apologise.long-wait.wait"], waiting)


HANDING_OVER = {
    de.Channel.PHONE: "close.wants-manager.handing-over",
    de.Channel.CHAT: "close.wants-manager.handing-over-chat",
}


@pytest.mark.parametrize("locale", BOOK.locales)
def test_a_transfer_to_the_manager_has_its_own_close_on_live_channels(locale: str) -> None:
    """wants-manager's close offers the hand-over line for its own channel (ST-27): the call
    line by phone, the chat line in chat, neither by email (which has its escalation line)
    nor in any other situation."""
    for register in BOOK.locale_data(locale).registers:
        for channel in CHANNELS:
            playbook = BOOK.playbook(
                "wants-manager", locale=locale, register=register, channel=channel
            )
            close = {line.id for line in playbook.stages[5].phrases}
            wanted = {HANDING_OVER[channel]} if channel in HANDING_OVER else set()
            assert close & set(HANDING_OVER.values()) == wanted, (register, channel)
        for channel in de.Channel:
            general = BOOK.playbook("general", locale=locale, register=register, channel=channel)
            assert not {line.id for line in general.stages[5].phrases} & set(HANDING_OVER.values())
    line = BOOK.pick(
        de.Stage.CLOSE,
        situation="wants-manager",
        locale=locale,
        channel="phone",
        entry="close.wants-manager.handing-over",
    )
    assert line.text and line.id == "close.wants-manager.handing-over"


def _distance(a: str, b: str) -> int:
    """Levenshtein distance between two labels."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


@pytest.mark.parametrize("locale", BOOK.locales)
def test_the_acknowledge_heading_cannot_be_misread_as_the_apology(locale: str) -> None:
    """The safety stage's heading is a word of its own, not the apology heading with one
    character changed (zh_Hans 致谢共情 next to 致歉共情): at a glance it would read "apologise"."""
    labels = BOOK.locale_data(locale).labels
    acknowledge, apologise = labels["acknowledge"], labels["apologise"]
    assert _distance(acknowledge, apologise) > max(len(acknowledge), len(apologise)) // 2
    playbook = BOOK.playbook("safety-violence", locale=locale, channel="phone")
    assert playbook.stages[3].label == acknowledge


@pytest.mark.parametrize("locale", BOOK.locales)
def test_a_threat_against_others_is_not_thanked(locale: str) -> None:
    """Under a threat of violence the acknowledge stage neither says nor advises a thank-you
    (ST-02): its tip says to take the threat seriously; a disclosure of self-harm keeps both."""
    for channel in CHANNELS:
        violence = BOOK.playbook("safety-violence", locale=locale, channel=channel).stages[3]
        shown = {line.id for line in (*violence.phrases, *violence.tips)}
        assert "apologise.safety-violence.take-seriously" in shown
        assert not shown & {"apologise.safety-threat.thank", "apologise.safety-threat.thank-you"}
        harm = BOOK.playbook("safety-self-harm", locale=locale, channel=channel).stages[3]
        assert "apologise.safety-threat.thank" in {line.id for line in harm.tips}
