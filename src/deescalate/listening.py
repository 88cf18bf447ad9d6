"""Listening: what a customer's words signal, heard with each language's own phrases.

:meth:`Phrasebook.listen` reads one utterance (a transcript line or a chat
message) against the ``[signals]`` table of its locale's catalogue and says
which signals it carries — self-harm, violence, abuse, a manager request, a
legal threat, distress, calming down — with the words that carried them.

The results are **hints for a person**, never a verdict: a phrase list hears
what it was written to hear, in the words its translators foresaw, and nothing
else. A missed signal is the expensive mistake, so safety phrases are written
broadly; an agent still reads every hint before acting on it.

>>> import deescalate as de
>>> heard = de.Phrasebook.default().listen("I want to speak to your manager", locale="en")
>>> [(s.signal.value, s.confidence.value, s.words) for s in heard.signals]
[('wants-manager', 'high', 'speak to your manager')]
>>> heard.situation
'wants-manager'
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from ._patterns import (
    Style,
    compile_alternation,
    compile_phrase,
    fold_nfc,
    style_for,
    unfold,
    unfold_positions,
)
from ._prefilter import Prefilter, available
from .catalogue import LocaleData, SignalPhrases
from .detect import AUTO, Detected, check_utterance, detect_locale
from .i18n import Negotiated, negotiate
from .limits import MAX_UTTERANCE_LENGTH
from .models import Confidence, Event, Fallback, FallbackKind, Signal

if TYPE_CHECKING:
    from .picker import Phrasebook

__all__ = [
    "MAX_UTTERANCE_LENGTH",
    "SIGNAL_ORDER",
    "Heard",
    "HeardSignal",
    "Hearing",
    "Score",
    "listen",
    "score",
]


SIGNAL_ORDER: tuple[Signal, ...] = (
    Signal.SELF_HARM,
    Signal.VIOLENCE,
    Signal.LEGAL_THREAT,
    Signal.ABUSE,
    Signal.WANTS_MANAGER,
    Signal.DISTRESSED,
    Signal.CALMED_DOWN,
)
"""Signals from the most to the least urgent: the order results are listed in."""

# What each signal suggests: the situation to move to and the conversation event to note.
_SUGGESTS: Mapping[Signal, tuple[str | None, Event]] = {
    Signal.SELF_HARM: ("safety-self-harm", Event.SELF_HARM),
    Signal.VIOLENCE: ("safety-violence", Event.VIOLENCE),
    Signal.LEGAL_THREAT: ("legal-threat", Event.THREATENED_TO_SUE),
    Signal.ABUSE: ("abusive-language", Event.INSULT),
    Signal.WANTS_MANAGER: ("wants-manager", Event.ASKED_FOR_MANAGER),
    Signal.DISTRESSED: ("distressed", Event.CRIED),
    Signal.CALMED_DOWN: (None, Event.CALMED_DOWN),
}

_RANK = {signal: rank for rank, signal in enumerate(SIGNAL_ORDER)}
_SAFETY_SIGNALS = frozenset({Signal.SELF_HARM, Signal.VIOLENCE})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HeardSignal(_Frozen):
    """One signal heard in an utterance, with the words that carried it."""

    signal: Signal = Field(description="What the words signal.")
    confidence: Confidence = Field(
        description="'high' for a direct phrase of the signal, 'low' for a weaker cue."
    )
    situation: str | None = Field(
        description="The situation it suggests (None for calmed-down, which suggests none)."
    )
    event: Event = Field(description="The conversation event it suggests.")
    start: int = Field(ge=0, description="Where the words start in Heard.text.")
    end: int = Field(ge=0, description="Where the words end in Heard.text.")
    words: str = Field(description="The customer's words that carried the signal.")
    phrase: str = Field(description="The catalogue phrase they matched, as written there.")


class Heard(_Frozen):
    """What :meth:`Phrasebook.listen` heard in one utterance.

    ``signals`` lists every signal heard, the most urgent first (self-harm,
    violence, legal threat, abuse, manager, distress, calming down). These are
    hints for the agent, not a verdict.
    """

    text: str = Field(description="The utterance, in Unicode NFC form; spans index into it.")
    locale: str = Field(description="The catalogue whose phrases were listened with.")
    signals: tuple[HeardSignal, ...] = Field(description="The signals heard, most urgent first.")
    fallback: Fallback | None = Field(
        default=None, description="Set when the requested locale has no catalogue of its own."
    )
    warnings: tuple[str, ...] = Field(default=(), description="Notes worth showing a developer.")
    detected: Detected | None = Field(
        default=None, description="What the language was detected as, for locale='auto'."
    )

    @property
    def safety(self) -> bool:
        """Whether a direct phrase of self-harm or violence was heard."""
        return any(
            s.confidence is Confidence.HIGH and s.signal in _SAFETY_SIGNALS for s in self.signals
        )

    @property
    def situation(self) -> str | None:
        """The situation the most urgent direct signal suggests, if any."""
        return next(
            (
                s.situation
                for s in self.signals
                if s.confidence is Confidence.HIGH and s.situation is not None
            ),
            None,
        )

    def events(self) -> tuple[Event, ...]:
        """The conversation events the direct signals imply, each once, most urgent first.

        Abuse counts once per utterance however many insults it holds; calming
        down is dropped when the same utterance is abusive.
        """
        kinds = {s.signal for s in self.signals if s.confidence is Confidence.HIGH}
        if Signal.ABUSE in kinds:
            kinds.discard(Signal.CALMED_DOWN)
        return tuple(_SUGGESTS[s][1] for s in SIGNAL_ORDER if s in kinds)


class Hearing(_Frozen):
    """What :meth:`Conversation.hear` heard in an utterance and what it noted."""

    heard: Heard = Field(description="What the words signal (see Phrasebook.listen).")
    noted: tuple[Event, ...] = Field(description="The events noted in the conversation.")


# --- compiled matchers, one per loaded locale -----------------------------------------


@dataclass(frozen=True, slots=True)
class _Phrase:
    signal: Signal
    confidence: Confidence
    source: str


@dataclass(frozen=True, slots=True)
class _SignalMatcher:
    signal: Signal
    heard: re.Pattern[str]
    """The signal's phrases and cues in one alternation."""
    owners: tuple[_Phrase, ...]
    """The phrase each group of ``heard`` marks (``owners[match.lastindex - 1]``)."""
    not_: re.Pattern[str] | None
    """The phrases that look like the signal but are not."""


@dataclass(frozen=True, slots=True)
class _Matcher:
    style: Style
    any_: re.Pattern[str] | None
    """Every phrase and cue of every signal in one alternation: most utterances carry no
    signal, and one pass over them says so."""
    signals: tuple[_SignalMatcher, ...]
    """One matcher per signal the locale has phrases for, most urgent first."""
    prefilter: Prefilter | None
    """With the ``fast`` extra: where phrases may start, so that ``any_`` is only tried
    there instead of scanning the text."""
    by_first: Mapping[str, tuple[_SignalMatcher, ...]]
    """The signals with a phrase that starts with a letter (folded), most urgent first:
    where a phrase starts, only they are tried."""

    def starts(self, folded: str) -> list[int]:
        """Every place in ``folded`` where a phrase of some signal starts, in order."""
        any_ = self.any_
        if any_ is None:
            return []
        if self.prefilter is not None:
            return [place for place in self.prefilter.starts(folded) if any_.match(folded, place)]
        found = []
        hit = any_.search(folded)
        while hit is not None:
            found.append(hit.start())
            hit = any_.search(folded, hit.start() + 1)
        return found


def _build(data: LocaleData, *, fast: bool | None = None) -> _Matcher:
    """Compile a locale's signal phrases; ``fast`` (by default: when the extra is
    installed) adds the automaton that finds where phrases may start."""
    style = style_for(data.script)
    matchers: list[_SignalMatcher] = []
    every: list[str] = []
    firsts: dict[str, list[_SignalMatcher]] = {}
    for signal in SIGNAL_ORDER:
        spec = data.signals.get(signal, SignalPhrases((), (), ()))
        # Longer phrases first, so that at one place the fullest reading wins.
        phrases = [
            _Phrase(signal, confidence, phrase)
            for confidence, group in ((Confidence.HIGH, spec.phrases), (Confidence.LOW, spec.cues))
            for phrase in sorted(group, key=len, reverse=True)
        ]
        heard = compile_alternation([phrase.source for phrase in phrases], style)
        if heard is None:
            continue
        every.extend(phrase.source for phrase in phrases)
        negatives = compile_alternation(spec.not_, style)
        matcher = _SignalMatcher(
            signal,
            heard[0],
            tuple(phrases[index] for index in heard[1]),
            negatives[0] if negatives is not None else None,
        )
        matchers.append(matcher)
        for letter in {
            letters[0] for phrase in phrases for letters, _ in compile_phrase(phrase.source, style)
        }:
            firsts.setdefault(letter, []).append(matcher)
    any_ = compile_alternation(every, style)
    prefilter = Prefilter(every, style) if (available() if fast is None else fast) else None
    return _Matcher(
        style,
        any_[0] if any_ is not None else None,
        tuple(matchers),
        prefilter,
        {letter: tuple(signals) for letter, signals in firsts.items()},
    )


# Keyed by the LocaleData object; the entry keeps it alive, so its id is never reused
# while cached. Bounded: phrasebooks come and go in a long-running service.
_MATCHERS: dict[int, tuple[LocaleData, _Matcher]] = {}
_MATCHERS_MAX = 64
_MATCHERS_LOCK = threading.Lock()


def _matcher(data: LocaleData) -> _Matcher:
    cached = _MATCHERS.get(id(data))
    if cached is not None and cached[0] is data:
        return cached[1]
    matcher = _build(data)
    with _MATCHERS_LOCK:
        if len(_MATCHERS) >= _MATCHERS_MAX:
            _MATCHERS.pop(next(iter(_MATCHERS)))
        _MATCHERS[id(data)] = (data, matcher)
    return matcher


def cache_clear() -> None:
    """Forget every compiled matcher (they are rebuilt on the next listen)."""
    with _MATCHERS_LOCK:
        _MATCHERS.clear()
        _NEGOTIATED.clear()


# --- listening --------------------------------------------------------------------


def listen(book: Phrasebook, text: str, *, locale: str | Sequence[str] = "en") -> Heard:
    """What ``text`` signals, heard with the phrases of the catalogue for ``locale``.

    This is :meth:`Phrasebook.listen`; see there.
    """
    text = unicodedata.normalize("NFC", check_utterance(text, "the utterance"))
    detected = None
    if type(locale) is str and locale == AUTO:
        detected = detect_locale(text, among=book.locales)
        negotiated, warnings = _detected(detected, book.locales)
    else:
        negotiated, warnings = _negotiated(locale, book.locales)
    signals = _hear(_matcher(book.locale_data(negotiated.locale)), text)
    return Heard(
        text=text,
        locale=negotiated.locale,
        signals=signals,
        fallback=negotiated.fallback,
        warnings=warnings,
        detected=detected,
    )


def _detected(detected: Detected, available: tuple[str, ...]) -> tuple[Negotiated, tuple[str, ...]]:
    """The catalogue to listen with for ``locale='auto'``: the detected one, or the default."""
    if detected.locale is not None:
        return Negotiated(detected.locale), ()
    default = "en" if "en" in available else available[0]
    reason = (
        f"The language could not be told ({detected.reason}); "
        f"listening with the {default!r} phrases."
    )
    fallback = Fallback(kind=FallbackKind.LOCALE, requested=AUTO, used=default, reason=reason)
    return Negotiated(default, fallback), (reason,)


# The locale of a call, negotiated against a phrasebook's locales, with the result's
# warnings: bounded, and only for a locale given as one string (lists are not hashable).
_NEGOTIATED: dict[tuple[str, tuple[str, ...]], tuple[Negotiated, tuple[str, ...]]] = {}
_NEGOTIATED_MAX = 256


def _negotiated(
    locale: str | Sequence[str], available: tuple[str, ...]
) -> tuple[Negotiated, tuple[str, ...]]:
    key = (locale, available) if type(locale) is str else None
    if key is not None:
        cached = _NEGOTIATED.get(key)
        if cached is not None:
            return cached
    negotiated = negotiate(locale, available)
    warnings = negotiated.warnings
    if negotiated.fallback is not None:
        warnings = (
            *warnings,
            f"listened with the {negotiated.locale!r} phrases: the words may be in another "
            "language, and then nothing is heard",
        )
    if key is not None:
        with _MATCHERS_LOCK:
            if len(_NEGOTIATED) >= _NEGOTIATED_MAX:
                _NEGOTIATED.pop(next(iter(_NEGOTIATED)))
            _NEGOTIATED[key] = (negotiated, warnings)
    return negotiated, warnings


def _hear(matcher: _Matcher, text: str) -> tuple[HeardSignal, ...]:
    """The signals ``matcher`` hears in ``text`` (in NFC form), most urgent first."""
    folded = fold_nfc(text, matcher.style)
    starts = matcher.starts(folded)
    if not starts:
        return ()
    signals: list[HeardSignal] = []
    moved: list[tuple[int, int]] | None = None
    unfolding = False  # whether ``moved`` is worked out (only once a signal is heard)
    # Where a phrase starts, each signal is tried on its own, so a phrase two signals
    # share is heard as both, and matches may overlap.
    found: dict[Signal, list[tuple[int, int, _Phrase]]] = {}
    by_first = matcher.by_first
    for start in starts:
        for one in by_first.get(folded[start], ()):
            match = one.heard.match(folded, start)
            if match is None:
                continue
            spans = found.setdefault(one.signal, [])
            end = match.end()
            if not any(s <= start and end <= e for s, e, _ in spans):
                spans.append((start, end, one.owners[(match.lastindex or 1) - 1]))
    for one in matcher.signals:
        heard_spans = found.get(one.signal)
        if not heard_spans:
            continue
        not_spans = [m.span() for m in one.not_.finditer(folded)] if one.not_ else []
        for start, end, phrase in heard_spans:
            if any(s < end and start < e for s, e in not_spans):
                continue
            if not unfolding:
                # Most text folds letter for letter; some letters fold into two or none.
                moved, unfolding = unfold_positions(text, matcher.style), True
            start, end = unfold(start, moved), unfold(end, moved)
            situation, event = _SUGGESTS[phrase.signal]
            signals.append(
                HeardSignal(
                    signal=phrase.signal,
                    confidence=phrase.confidence,
                    situation=situation,
                    event=event,
                    start=start,
                    end=end,
                    words=text[start:end],
                    phrase=phrase.source,
                )
            )
    signals.sort(key=lambda s: (_RANK[s.signal], s.confidence is Confidence.LOW, s.start))
    return tuple(signals)


# --- measuring on a labelled set ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Score:
    """How one signal did on a labelled set: counts, precision, recall and F1."""

    signal: Signal
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        """Of the utterances it was heard in, the share that carried it (1.0 when never heard)."""
        heard = self.true_positives + self.false_positives
        return self.true_positives / heard if heard else 1.0

    @property
    def recall(self) -> float:
        """Of the utterances that carried it, the share it was heard in (1.0 when none did)."""
        carried = self.true_positives + self.false_negatives
        return self.true_positives / carried if carried else 1.0

    @property
    def f1(self) -> float:
        """The harmonic mean of precision and recall."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def score(
    book: Phrasebook, locale: str, labelled: Sequence[tuple[str, frozenset[Signal]]]
) -> dict[Signal, Score]:
    """Precision and recall of the direct signals on ``(utterance, signals it carries)`` pairs.

    Only high-confidence signals count as heard: they are the ones
    :meth:`Conversation.hear` acts on. Use it on a company's own labelled
    transcripts to see how the phrase lists do on its customers' words.

    >>> import deescalate as de
    >>> book = de.Phrasebook.default()
    >>> scores = score(book, "en", [("I want your manager", frozenset({de.Signal.WANTS_MANAGER}))])
    >>> scores[de.Signal.WANTS_MANAGER].recall
    1.0
    """
    counts = {signal: [0, 0, 0] for signal in SIGNAL_ORDER}
    for text, expected in labelled:
        heard = {
            s.signal
            for s in listen(book, text, locale=locale).signals
            if s.confidence is Confidence.HIGH
        }
        for signal in SIGNAL_ORDER:
            if signal in heard and signal in expected:
                counts[signal][0] += 1
            elif signal in heard:
                counts[signal][1] += 1
            elif signal in expected:
                counts[signal][2] += 1
    return {signal: Score(signal, *numbers) for signal, numbers in counts.items()}
