"""Which shipped locale a customer's message is written in: the ``detect`` extra.

For chat, where nobody said which language the customer writes in,
:func:`detect_locale` suggests the catalogue to answer and listen with. It asks
py3langid (``pip install 'deescalate[detect]'``), a naive Bayes language
identifier over byte n-grams whose model ships inside its package (nothing is
fetched at run time), and answers with a shipped locale only when the
identifier is fairly sure and names a language we have a catalogue for. Dutch is
not taken for Afrikaans, nor Norwegian for Danish: they come back *unsure*, with
the language the identifier named, so a caller can say so. Where two catalogues
share the language (Simplified and Traditional Chinese), OpenCC's conversion
tables tell the script, and a text that reads the same in both is unsure
between them.

The result is a suggestion for a person, like everything listening says: a short
message can be in more than one language, or in none we know.

>>> import deescalate as de
>>> shipped = de.Phrasebook.default().locales
>>> detected = detect_locale("Ek wil asseblief met die bestuurder praat.", among=shipped)
>>> detected.locale, detected.language
('af', 'af')
>>> detect_locale("Ik wil graag de manager spreken.", among=["af", "en"]).locale is None
True
"""

from __future__ import annotations

import importlib
import threading
import unicodedata
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .errors import DetectUnavailableError, InvalidValueError, ValueTooLongError
from .i18n import get_locale
from .limits import MAX_UTTERANCE_LENGTH
from .render import has_surrogate

__all__ = ["AUTO", "MIN_CONFIDENCE", "Detected", "check_utterance", "detect_locale"]

AUTO = "auto"
"""The locale to pass to :meth:`Phrasebook.listen` to have the language detected first."""

MIN_CONFIDENCE = 0.5
"""The least probability the identifier must give a language for it to be suggested."""

_READ = 1000
"""How many characters of a text the identifier reads (the start says the language)."""

# Languages the identifier tells apart that one catalogue serves: Chinese in writing,
# whether Mandarin, Cantonese or Wu.
_SAME = {"yue": "zh", "wuu": "zh"}


class Detected(BaseModel):
    """What :func:`detect_locale` made of a text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    locale: str | None = Field(
        description="The shipped catalogue the text is written for, or None when unsure."
    )
    language: str | None = Field(
        description="The language the identifier named (an ISO 639 code such as 'nl'), "
        "shipped or not; None when the text has nothing to tell by."
    )
    confidence: float = Field(ge=0.0, le=1.0, description="The identifier's probability for it.")
    candidates: tuple[str, ...] = Field(
        description="The shipped catalogues it could be: one when sure, several when the "
        "script could not be told, none when the language has no catalogue."
    )
    reason: str = Field(description="Why, in a sentence a developer or an agent can read.")


_LOCK = threading.Lock()
_IDENTIFIER: Any = None


def _module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise DetectUnavailableError(name) from None


def _identifier() -> Any:
    """py3langid's identifier with normalised probabilities, loaded once (about a second)."""
    global _IDENTIFIER
    if _IDENTIFIER is None:
        langid = _module("py3langid.langid")
        with _LOCK:
            if _IDENTIFIER is None:
                _IDENTIFIER = langid.LanguageIdentifier.from_model_file(
                    langid.MODEL_FILE, norm_probs=True
                )
    return _IDENTIFIER


def check_utterance(text: object, what: str = "the text") -> str:
    """``text`` if it is a customer's words this package can read: a plain ``str`` (a
    subclass could change what is matched), within the length limit, without lone
    surrogates. ``what`` names it in the error."""
    if type(text) is not str:
        raise InvalidValueError("text", "text (a str)", text)
    if len(text) > MAX_UTTERANCE_LENGTH:
        raise ValueTooLongError(what, len(text), MAX_UTTERANCE_LENGTH)
    if has_surrogate(text):
        raise InvalidValueError("text", "text without lone surrogates", text)
    return text


def _catalogues(among: Sequence[str]) -> dict[str, list[tuple[str, str | None]]]:
    """Language → the catalogues of it, each with its script (when the name has one)."""
    languages: dict[str, list[tuple[str, str | None]]] = {}
    for name in among:
        parsed = get_locale(name)
        languages.setdefault(parsed.language, []).append((name, parsed.script))
    return languages


def _script(text: str) -> str | None:
    """'Hans' or 'Hant' when OpenCC's tables change the text one way only; else None."""
    opencc = _module("opencc")
    simplified = opencc.OpenCC("t2s").convert(text) == text
    traditional = opencc.OpenCC("s2t").convert(text) == text
    if simplified != traditional:
        return "Hans" if simplified else "Hant"
    return None


def detect_locale(text: str, *, among: Sequence[str]) -> Detected:
    """Suggest which of the catalogues ``among`` a customer's ``text`` is written for.

    ``locale`` is one of ``among`` when the identifier gives a language of one of
    them a probability of at least :data:`MIN_CONFIDENCE`; otherwise it is None
    and ``reason`` says why (too little to tell by, a language without a
    catalogue, two scripts).

    Raises :class:`~deescalate.DetectUnavailableError` when the ``detect`` extra is
    not installed, and the usual errors for text that is not a ``str``, is longer
    than ``limits.MAX_UTTERANCE_LENGTH`` or holds a lone surrogate.
    """
    text = unicodedata.normalize("NFC", check_utterance(text))[:_READ]
    catalogues = _catalogues(among)
    if not any(char.isalpha() for char in text):
        return Detected(
            locale=None, language=None, confidence=0.0, candidates=(), reason="no words to tell by"
        )
    totals: dict[str, float] = {}
    for language, probability in _identifier().rank(text):
        code = _SAME.get(language, language)
        totals[code] = totals.get(code, 0.0) + float(probability)
    language, confidence = max(totals.items(), key=lambda item: item[1])
    confidence = min(1.0, max(0.0, confidence))
    shipped = catalogues.get(language, [])
    names = tuple(name for name, _ in shipped)
    if confidence < MIN_CONFIDENCE:
        return Detected(
            locale=None,
            language=language,
            confidence=confidence,
            candidates=names,
            reason=f"too little to tell by (the best guess, {_name(language)}, has "
            f"{confidence:.2f} < {MIN_CONFIDENCE})",
        )
    if not shipped:
        return Detected(
            locale=None,
            language=language,
            confidence=confidence,
            candidates=(),
            reason=f"the text looks like {_name(language)}, which has no catalogue here",
        )
    if len(shipped) > 1:
        script = _script(text)
        chosen = [name for name, written in shipped if written == script]
        if script is None or len(chosen) != 1:
            return Detected(
                locale=None,
                language=language,
                confidence=confidence,
                candidates=names,
                reason=f"the text is {_name(language)}, but reads the same in the scripts "
                f"of {', '.join(names)}",
            )
        names = (chosen[0],)
    return Detected(
        locale=names[0],
        language=language,
        confidence=confidence,
        candidates=names,
        reason=f"the text looks like {_name(language)} ({confidence:.2f})",
    )


def _name(language: str) -> str:
    """The English name of an ISO 639 code, as CLDR spells it (the code if CLDR has none)."""
    return str(get_locale("en").languages.get(language, language))
