"""The detect extra: which shipped locale a customer's message is written in.

The labelled lines are ``tests/data/detect/utterances.toml``: short customer
messages in every shipped language, and in Dutch, Norwegian and Swedish, which
have no catalogue and must not be taken for Afrikaans or Danish.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import deescalate as de
from deescalate.cli import main
from deescalate.detect import AUTO, MIN_CONFIDENCE, detect_locale

DATA = Path(__file__).parent / "data" / "detect" / "utterances.toml"
LOCALES = de.Phrasebook.default().locales


def _labelled() -> list[tuple[str, str]]:
    data = tomllib.loads(DATA.read_text(encoding="utf-8"))
    return [(item["language"], item["text"]) for item in data["utterance"]]


def test_the_set_has_twenty_lines_per_language_and_the_distractors() -> None:
    """At least 20 lines for each shipped locale and for nl, nb and sv."""
    counts: dict[str, int] = {}
    for language, _ in _labelled():
        counts[language] = counts.get(language, 0) + 1
    for language in ("af", "da", "en", "ko", "ro", "zh_Hans", "nl", "nb", "sv"):
        assert counts.get(language, 0) >= 20, language


def test_detection_is_right_on_the_labelled_lines() -> None:
    """≥ 95 % right overall, ≥ 90 % for each language; no Dutch line is taken for
    Afrikaans, and no more than one Norwegian or Swedish line for Danish."""
    right: dict[str, list[bool]] = {}
    wrong_danish = 0
    for language, text in _labelled():
        detected = detect_locale(text, among=LOCALES)
        if language in LOCALES:
            ok = detected.locale == language
        else:
            ok = detected.locale is None
            assert detected.locale != "af", text
            wrong_danish += detected.locale == "da"
        right.setdefault(language, []).append(ok)
    flat = [ok for oks in right.values() for ok in oks]
    assert sum(flat) / len(flat) >= 0.95
    for language, oks in right.items():
        assert sum(oks) / len(oks) >= 0.9, language
    assert wrong_danish <= 1


def test_a_language_without_a_catalogue_is_unsure_and_named() -> None:
    """Dutch comes back with no locale, the language named and the reason."""
    detected = detect_locale("Ik wil graag de manager spreken, nu meteen.", among=LOCALES)
    assert detected.locale is None
    assert detected.language == "nl"
    assert detected.candidates == ()
    assert "Dutch" in detected.reason


@pytest.mark.parametrize("text", ["", "   ", "?!...", "12345", "😀😀"])
def test_text_with_no_words_is_unsure(text: str) -> None:
    """Nothing to tell by: unsure, with no language."""
    detected = detect_locale(text, among=LOCALES)
    assert (detected.locale, detected.language, detected.confidence) == (None, None, 0.0)


def test_a_weak_guess_is_unsure() -> None:
    """Below MIN_CONFIDENCE the best guess is named, and its catalogue is only a candidate."""
    detected = detect_locale("OK thanks", among=LOCALES)
    assert detected.locale is None
    assert detected.language == "en" and detected.confidence < MIN_CONFIDENCE
    assert detected.candidates == ("en",)
    assert detected.reason.startswith("too little to tell by")


def test_the_script_decides_between_two_chinese_catalogues() -> None:
    """With zh_Hans and zh_Hant both shipped, OpenCC tells the script; a text that reads
    the same in both is unsure between them."""
    among = ["en", "zh_Hans", "zh_Hant"]
    assert detect_locale("我的快递到哪了？昨天就该到了。", among=among).locale == "zh_Hans"
    assert detect_locale("我的快遞到哪了？昨天就該到了。", among=among).locale == "zh_Hant"
    same = detect_locale("我要退款。", among=among)
    assert same.locale is None
    assert same.candidates == ("zh_Hans", "zh_Hant")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (b"bytes", de.InvalidValueError),
        ("x" * 10_001, de.ValueTooLongError),
        ("bad \ud800", de.InvalidValueError),
    ],
)
def test_bad_text_is_a_specific_error(text: object, error: type[Exception]) -> None:
    """Not a str, too long, or a lone surrogate: the same errors as listen."""
    with pytest.raises(error):
        detect_locale(text, among=LOCALES)  # type: ignore[arg-type]


def test_listen_with_auto_detects_the_language_first(book: de.Phrasebook) -> None:
    """locale='auto' listens with the detected catalogue and says what it detected."""
    heard = book.listen("Ek gaan julle hof toe vat oor hierdie rekening!", locale=AUTO)
    assert heard.locale == "af"
    assert heard.detected is not None and heard.detected.locale == "af"
    assert de.Signal.LEGAL_THREAT in {s.signal for s in heard.signals}


def test_listen_with_auto_when_unsure_listens_in_the_default_and_warns(
    book: de.Phrasebook,
) -> None:
    """Unsure (Dutch): the default catalogue's phrases, a fallback and a warning that says why."""
    heard = book.listen("Ik wil nu meteen de manager spreken.", locale=AUTO)
    assert heard.locale == "en"
    assert heard.detected is not None and heard.detected.locale is None
    assert heard.fallback is not None
    assert any("Dutch" in warning for warning in heard.warnings)


def test_the_missing_extra_is_a_specific_error() -> None:
    """Without py3langid, detect_locale raises DetectUnavailableError naming the extra."""
    code = (
        "import sys; sys.modules['py3langid'] = None\n"
        "import deescalate as de\n"
        "from deescalate.detect import detect_locale\n"
        "try:\n"
        "    detect_locale('hello there', among=['en'])\n"
        "except de.DetectUnavailableError as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("DetectUnavailableError")
    assert "deescalate[detect]" in out


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_cli_detect_prints_the_locale_or_unsure() -> None:
    """`deescalate detect` prints the locale and why, or 'unsure' and why; --json the model."""
    code, out = _cli("detect", "Vreau să vorbesc cu un superior, acum!")
    assert code == 0 and out.startswith("ro: the text looks like Romanian")
    code, out = _cli("detect", "Ik wil graag de manager spreken.")
    assert code == 0 and out.startswith("unsure: the text looks like Dutch")
    code, out = _cli("detect", "我要找你们经理。", "--json")
    assert json.loads(out)["locale"] == "zh_Hans"


def test_cli_listen_with_locale_auto() -> None:
    """`deescalate listen --locale auto` listens in the detected language."""
    code, out = _cli(
        "listen", "Ek wil met die bestuurder praat, nou!", "--locale", "auto", "--json"
    )
    heard = json.loads(out)
    assert code == 0
    assert heard["locale"] == "af" and heard["detected"]["locale"] == "af"
    assert [s["signal"] for s in heard["signals"]] == ["wants-manager"]
