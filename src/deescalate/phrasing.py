"""How the catalogue checks read a text: normalised matching and repeated phrases.

Two questions a translator's check asks of catalogue text, answered per script:

- **Does a text contain a phrase** from the never-say list or the glossary's
  words to avoid? Both sides are normalised first (:func:`normalise`): Unicode
  NFKC, case folded, placeholders and punctuation read as a word break, runs of
  spaces collapsed; in scripts that separate words (Latin, Cyrillic, Greek) the
  accents are dropped as well (so Romanian *ş*/*ș* and *ţ*/*ț*, cedilla or
  comma, and a text typed without diacritics all match) and a phrase matches
  whole words only. Korean and Chinese are matched with every space removed:
  Korean spacing varies between writers (화 내지 마 / 화내지 마), and Chinese has
  none.
- **Which wording recurs** across the entries of one stage and register
  (:func:`repeated`), so a customer would hear it twice in one contact. Texts
  are cut into the units a listener hears as "the same words": words in Latin
  script, eojeol (space-separated units) in Korean, characters in Chinese; a
  placeholder or a sentence end breaks a run. A unit sequence of the rule's
  length found in more than the allowed number of entries is reported once, as
  the longest run the entries share, with the entries that use it; so is the
  way texts start (their first units), when too many entries start alike.

Pure functions over strings: nothing here reads a file or knows the catalogue.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from ._records import Record

__all__ = [
    "Matcher",
    "Repetition",
    "RepetitionRule",
    "default_rule",
    "normalise",
    "repeated",
    "units",
]

WORD_SCRIPTS = frozenset({"Latn", "Cyrl", "Grek"})
"""Scripts that separate words with spaces; others are matched without spaces."""

HANGUL_SCRIPTS = frozenset({"Hang", "Kore"})

# Patterns kept as strings: ``re`` compiles each on first use (and caches it), so an
# import does not pay for the ones a first pick never needs.
_PLACEHOLDER = r"\{[a-z][a-z0-9_]*\}"
# Where one spoken phrase ends: repeated wording is counted within a sentence.
_SENTENCE_END = r"[.!?;:…。！？；：]+"
# An apostrophe inside a word ("I'm", "s-a" is a hyphen and splits): kept in units.
_APOSTROPHE = r"(?<=\w)['’ʼ](?=\w)"
# The two Romanian letters written with a cedilla by old keyboards and fonts.
_CEDILLA = str.maketrans({"ş": "ș", "ţ": "ț", "Ş": "Ș", "Ţ": "Ț"})


def _spaced(text: str, *, strip_accents: bool, keep: str = "", mark: str = " ") -> str:
    """NFKC and casefolded; spaces collapsed; punctuation and symbols (not ``keep``) as ``mark``."""
    text = unicodedata.normalize("NFKC", re.sub(_PLACEHOLDER, " ", text)).translate(_CEDILLA)
    text = text.casefold()
    if strip_accents:
        text = unicodedata.normalize("NFD", text)
    pieces: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Mn" and strip_accents:
            continue
        # Letters (apart from the modifier apostrophe ʼ), digits and the marks
        # that Hangul and Han need stay; punctuation and symbols break a run.
        if (category[0] in "LN" and category != "Lm") or category[0] == "M" or char in keep:
            pieces.append(char)
        elif char.isspace() or category[0] in "ZC":
            pieces.append(" ")
        else:
            pieces.append(f" {mark} " if mark != " " else " ")
    words = "".join(pieces).split()
    if mark == " ":
        return " ".join(words)
    # Runs of marks are one break.
    return re.sub(rf"(?:{re.escape(mark)} ?)+", mark + " ", " ".join(words)).strip()


def normalise(text: str, script: str) -> str:
    """The form of ``text`` that phrase matching compares, for a locale's ``script``.

    In Korean and Chinese, spaces are dropped and punctuation becomes one ``|``,
    so that a phrase written with its punctuation (亲，as a form of address)
    still needs a break there.

    >>> normalise("Nu vă enervaţi, {name}!", "Latn")
    'nu va enervati'
    >>> normalise("화 내지 마세요.", "Hang")
    '화내지마세요|'
    >>> normalise("请您 理解。好吗？", "Hans")
    '请您理解|好吗|'
    """
    if script in WORD_SCRIPTS:
        return _spaced(text, strip_accents=True)
    return _spaced(text, strip_accents=False, mark="|").replace(" ", "")


class Matcher:
    """Finds which of a list of phrases occur in a text, the way :func:`normalise` reads both.

    Phrases are normalised once; a phrase that normalises to nothing (only
    punctuation) never matches. In Korean and Chinese, punctuation in a phrase
    must meet punctuation in the text (any mark, full- or half-width).

    >>> Matcher(["calm down", "as I said"], "Latn").find("Please, CALM  down…")
    ['calm down']
    >>> Matcher(["亲，"], "Hans").find("我亲自处理"), Matcher(["亲，"], "Hans").find("亲,您好")
    ([], ['亲，'])
    """

    __slots__ = ("_needles", "_script", "_words")

    def __init__(self, phrases: Iterable[str], script: str) -> None:
        self._script = script
        self._words = script in WORD_SCRIPTS
        needles: list[tuple[str, str]] = []
        for phrase in phrases:
            needle = normalise(phrase, script)
            if needle.strip("|"):
                needles.append((f" {needle} " if self._words else needle, phrase))
        self._needles = tuple(needles)

    def find(self, text: str) -> list[str]:
        """The phrases (as written in the list) that ``text`` contains, in list order."""
        body = normalise(text, self._script)
        # Padded, so that a phrase may start or end at a word break (or "|" in CJK).
        body = f" {body} " if self._words else f"|{body}|"
        return [phrase for needle, phrase in self._needles if needle in body]


# --- repeated wording -------------------------------------------------------------------


class RepetitionRule(Record):
    """How much shared wording the entries of one stage and register may have.

    ``length`` units in a row (words; eojeol in Korean; characters in Chinese)
    may appear in at most ``max_entries`` entries, and so may the same
    ``opener_length`` units at the start of a text.
    """

    _fields = ("length", "max_entries", "opener_length")
    __slots__ = _fields
    length: int
    max_entries: int
    opener_length: int

    def __init__(self, length: int, max_entries: int, opener_length: int) -> None:
        object.__setattr__(self, "length", length)
        object.__setattr__(self, "max_entries", max_entries)
        object.__setattr__(self, "opener_length", opener_length)


_WORD_RULE = RepetitionRule(length=3, max_entries=3, opener_length=2)
_HANGUL_RULE = RepetitionRule(length=2, max_entries=3, opener_length=2)
_HAN_RULE = RepetitionRule(length=5, max_entries=3, opener_length=3)


def default_rule(script: str) -> RepetitionRule:
    """The rule for a locale that declares none, by the kind of units its script has.

    >>> default_rule("Latn")
    RepetitionRule(length=3, max_entries=3, opener_length=2)
    """
    if script in WORD_SCRIPTS:
        return _WORD_RULE
    if script in HANGUL_SCRIPTS:
        return _HANGUL_RULE
    return _HAN_RULE


def _by_words(script: str) -> bool:
    return script in WORD_SCRIPTS or script in HANGUL_SCRIPTS


def units(text: str, script: str) -> list[tuple[str, ...]]:
    """``text`` as runs of units, one run per stretch between sentence ends and placeholders.

    >>> units("Deci, {summary}. Am înțeles bine?", "Latn")
    [('deci',), ('am', 'înțeles', 'bine')]
    >>> units("I'm sorry: it's late.", "Latn")
    [("i'm", 'sorry'), ("it's", 'late')]
    >>> units("기다려 주셔서 감사합니다.", "Hang")
    [('기다려', '주셔서', '감사합니다')]
    >>> units("我会一直陪着您。", "Hans")
    [('我', '会', '一', '直', '陪', '着', '您')]
    """
    runs: list[tuple[str, ...]] = []
    for piece in re.split(_PLACEHOLDER, text):
        for sentence in re.split(_SENTENCE_END, re.sub(_APOSTROPHE, "\u02bc", piece)):
            spaced = _spaced(sentence, strip_accents=False, keep="\u02bc")
            if _by_words(script):
                run = tuple(word.replace("\u02bc", "'") for word in spaced.split())
            else:
                run = tuple(spaced.replace(" ", ""))
            if run:
                runs.append(run)
    return runs


class Repetition(Record):
    """Wording shared by more entries of one group than its rule allows."""

    _fields = ("words", "entries", "opener")
    __slots__ = _fields
    words: str
    """The shared wording, its units joined as the script writes them."""
    entries: tuple[str, ...]
    """The entries that use it, sorted."""
    opener: bool
    """Whether it is the way the texts *start* (rather than words anywhere in them)."""

    def __init__(self, words: str, entries: tuple[str, ...], opener: bool = False) -> None:
        object.__setattr__(self, "words", words)
        object.__setattr__(self, "entries", entries)
        object.__setattr__(self, "opener", opener)


def _joined(script: str, span: Sequence[str]) -> str:
    return (" " if _by_words(script) else "").join(span)


def repeated(
    texts: Mapping[str, Sequence[str]], script: str, rule: RepetitionRule
) -> list[Repetition]:
    """The wording that more than ``rule.max_entries`` of ``texts``' entries share.

    ``texts`` maps each entry id to its texts in one group (one stage and
    register); several variants of one entry using the same words count once.
    In Korean, runs with a one-syllable eojeol (수 있습니다, 더 이상) are grammar
    and are not counted.
    Overlapping runs are reported once, as the run most entries share (lengthened
    while the same entries share the longer run); openers are reported apart.

    >>> found = repeated(
    ...     {"a": ["Thank you for waiting."], "b": ["Thank you for waiting, really."],
    ...      "c": ["Oh, thank you for waiting!"], "d": ["No."]},
    ...     "Latn", RepetitionRule(2, 2, 2))
    >>> [(r.words, r.entries, r.opener) for r in found]
    [('thank you for waiting', ('a', 'b', 'c'), False)]
    >>> found = repeated({"a": ["So, fine."], "b": ["So, {x}."], "c": ["So: no."]},
    ...     "Latn", RepetitionRule(2, 2, 1))
    >>> [(r.words, r.entries, r.opener) for r in found]
    [('so', ('a', 'b', 'c'), True)]
    """
    n = rule.length
    # A one-syllable eojeol is a bound noun or adverb (수, 것, 더, 잘): grammar, not wording.
    hangul = script in HANGUL_SCRIPTS
    runs_of: dict[str, list[tuple[str, ...]]] = {}
    users: dict[tuple[str, ...], set[str]] = {}
    openers: dict[tuple[str, ...], set[str]] = {}
    for entry_id, entry_texts in texts.items():
        runs: list[tuple[str, ...]] = []
        for text in entry_texts:
            text_runs = units(text, script)
            if text_runs:
                openers.setdefault(text_runs[0][: rule.opener_length], set()).add(entry_id)
            runs.extend(text_runs)
        runs_of[entry_id] = runs
        for run in runs:
            for start in range(len(run) - n + 1):
                gram = run[start : start + n]
                if hangul and any(len(unit) == 1 for unit in gram):
                    continue
                users.setdefault(gram, set()).add(entry_id)
    found = _clusters(runs_of, users, n, script, rule.max_entries)
    found.sort(key=lambda r: (-len(r.entries), r.words))
    # An opener that is the start of wording reported already, for those entries, is not news.
    starts: list[Repetition] = []
    for opener, ids in openers.items():
        words = _joined(script, opener)
        if len(ids) > rule.max_entries and not any(
            ids <= set(r.entries) and _contains_words(r.words, words, script) for r in found
        ):
            starts.append(Repetition(words, tuple(sorted(ids)), opener=True))
    starts.sort(key=lambda r: (-len(r.entries), r.words))
    return found + starts


def _clusters(
    runs_of: Mapping[str, Sequence[tuple[str, ...]]],
    users: Mapping[tuple[str, ...], set[str]],
    n: int,
    script: str,
    limit: int,
) -> list[Repetition]:
    """One finding per group of too-common n-grams that overlap in some text."""
    common = {gram: frozenset(ids) for gram, ids in users.items() if len(ids) > limit}
    if not common:
        return []
    parent = {gram: gram for gram in common}

    def root(gram: tuple[str, ...]) -> tuple[str, ...]:
        while parent[gram] != gram:
            parent[gram] = parent[parent[gram]]
            gram = parent[gram]
        return gram

    # Same-entries stretches of consecutive common n-grams, for showing a longer run.
    spans: list[tuple[tuple[str, ...], frozenset[str]]] = []
    for runs in runs_of.values():
        for run in runs:
            grams = [run[i : i + n] for i in range(len(run) - n + 1)]
            for left, right in itertools.pairwise(grams):
                if left in common and right in common:
                    parent[root(left)] = root(right)
            start = 0
            while start < len(grams):
                ids = common.get(grams[start])
                if ids is None:
                    start += 1
                    continue
                end = start
                while end + 1 < len(grams) and common.get(grams[end + 1]) == ids:
                    end += 1
                spans.append((run[start : end + n], ids))
                start = end + 1
    clusters: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for gram in common:
        clusters.setdefault(root(gram), []).append(gram)
    found: list[Repetition] = []
    for grams in clusters.values():
        top = max(sorted(grams), key=lambda gram: len(common[gram]))
        ids = common[top]
        best = top
        for span, span_ids in spans:
            if span_ids == ids and len(span) > len(best) and _contains_run(span, top):
                best = span
        found.append(Repetition(_joined(script, best), tuple(sorted(ids))))
    return found


def _contains_words(longer: str, shorter: str, script: str) -> bool:
    if _by_words(script):
        return f" {shorter} " in f" {longer} "
    return shorter in longer


def _contains_run(span: tuple[str, ...], part: tuple[str, ...]) -> bool:
    return any(span[i : i + len(part)] == part for i in range(len(span) - len(part) + 1))
