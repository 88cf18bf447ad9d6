"""The small pattern language of the ``[signals]`` tables, and how text is folded for it.

A signal phrase is written as a translator would say it, with three marks:

- ``[words]``: optional words (``i [really] want to die``), or ``[one|other]``;
- ``(this|that one)``: one of several alternatives;
- ``word*``: a word start; the word may go on (``kill*`` is kill, kills, killed, killer).

Everything else is a literal word. Matching ignores case, repeated letters
(``pleeease``), and the punctuation and spacing between words; in Latin-script
languages it also ignores accents and the common chat spellings of letters
(``aa`` for ``å``, ``ae`` for ``æ``, ``s`` for ``ș``/``ş``). Korean words match
at the start of an eojeol and take any particle or ending (``죽고 싶`` is 죽고
싶다, 싶어요, 죽고싶습니다; ``책임자 바꿔`` is 책임자를 바꿔 주세요); Chinese matches
without regard to spaces.

This module is pure: it parses and compiles, and knows nothing of catalogues.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

__all__ = [
    "MAX_PHRASE_LENGTH",
    "PatternError",
    "Style",
    "compile_alternation",
    "compile_phrase",
    "fold",
    "fold_table",
    "parse",
    "phrase_key",
    "style_for",
]

MAX_PHRASE_LENGTH = 400
"""The longest signal phrase, in characters."""


class PatternError(ValueError):
    """A signal phrase that is not valid; the catalogue loader reports it with its place."""


class Style(Enum):
    """How a language separates words, which decides how a phrase is matched."""

    SPACED = "spaced"
    """Words between spaces; whole words match (af, da, en, ro, ...)."""
    EOJEOL = "eojeol"
    """Korean: a word matches at the start of an eojeol and takes any ending."""
    UNSPACED = "unspaced"
    """Chinese and Japanese: no spaces; a phrase matches anywhere."""


def style_for(script: str) -> Style:
    """The matching style of a locale, from its script code (``Latn``, ``Kore``, ``Hans``...)."""
    if script in ("Kore", "Hang"):
        return Style.EOJEOL
    if script in ("Hans", "Hant", "Jpan", "Hani"):
        return Style.UNSPACED
    return Style.SPACED


# --- the syntax tree ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    open_end: bool


@dataclass(frozen=True, slots=True)
class _Optional:
    body: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Choice:
    options: tuple[tuple[_Node, ...], ...]


_Node = _Word | _Optional | _Choice

_GLUED = re.compile(r"[^\s\[\]()|][\[(]|[\])][^\s\[\]()|*]")
_TOKEN = re.compile(r"\s*(\[|\]|\(|\)|\||[^\s\[\]()|]+)")


def parse(phrase: str) -> tuple[_Node, ...]:
    """Parse a phrase into its words, optional parts and alternatives.

    >>> parse("i [really] want*")
    (_Word(text='i', open_end=False), _Optional(body=(_Word(text='really', open_end=False),)), \
_Word(text='want', open_end=True))

    A phrase that could match nothing in particular is refused:

    >>> parse("[maybe]")
    Traceback (most recent call last):
    ...
    deescalate._patterns.PatternError: the phrase has no word that must be present
    """
    if not phrase.strip():
        raise PatternError("the phrase is empty")
    if len(phrase) > MAX_PHRASE_LENGTH:
        raise PatternError(f"the phrase is longer than {MAX_PHRASE_LENGTH} characters")
    if _GLUED.search(phrase):
        raise PatternError("put a space between a word and a bracket")
    tokens: list[str] = []
    position = 0
    stripped = phrase.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if match is None:  # pragma: no cover - the token pattern matches any non-space
            raise PatternError(f"cannot read the phrase at character {position + 1}")
        tokens.append(match.group(1))
        position = match.end()
    nodes, rest = _sequence(tokens, 0, closing=None)
    if rest != len(tokens):
        raise PatternError(f"unexpected {tokens[rest]!r}")
    if not _required(nodes):
        raise PatternError("the phrase has no word that must be present")
    return nodes


def _sequence(tokens: list[str], start: int, closing: str | None) -> tuple[tuple[_Node, ...], int]:
    nodes: list[_Node] = []
    index = start
    while index < len(tokens):
        token = tokens[index]
        if token in ("]", ")", "|"):
            if closing is None:
                raise PatternError(f"unexpected {token!r}")
            break
        if token in ("[", "("):
            close = "]" if token == "[" else ")"
            options: list[tuple[_Node, ...]] = []
            index += 1
            while True:
                option, index = _sequence(tokens, index, closing=close)
                if not option:
                    raise PatternError(f"an empty alternative in '{token}…{close}'")
                if isinstance(option[0], _Optional) and token == "(":
                    raise PatternError(
                        "an alternative may not start with an optional part: "
                        "write it as two alternatives"
                    )
                options.append(option)
                if index >= len(tokens):
                    raise PatternError(f"a {token!r} is not closed")
                if tokens[index] == close:
                    index += 1
                    break
                if tokens[index] != "|":
                    raise PatternError(f"unexpected {tokens[index]!r} in '{token}…{close}'")
                index += 1
            choice: _Node = (
                options[0][0]
                if len(options) == 1 and len(options[0]) == 1
                else (_Choice(tuple(options)))
            )
            nodes.append(_Optional((choice,)) if token == "[" else choice)
        else:
            nodes.append(_word(token))
            index += 1
    return tuple(nodes), index


def _word(token: str) -> _Word:
    open_end = token.endswith("*")
    body = token[:-1] if open_end else token
    if not body:
        raise PatternError("a '*' must follow the start of a word")
    if "*" in body:
        raise PatternError("'*' may only end a word")
    return _Word(body, open_end)


def _required(nodes: Iterable[_Node]) -> int:
    """How many characters any match must contain, at the least."""
    total = 0
    for node in nodes:
        if isinstance(node, _Word):
            total += len(node.text)
        elif isinstance(node, _Choice):
            total += min(_required(option) for option in node.options)
    return total


# --- folding text and phrases alike ------------------------------------------------

# Letters that do not decompose but have a common two-letter chat spelling.
_LIGATURES = {"æ": "ae", "ø": "oe", "œ": "oe", "ß": "ss", "ð": "d", "þ": "th", "ł": "l"}
_APOSTROPHES = "’‘ʼ`´′"


class _FoldTable(dict[int, str]):
    """``str.translate`` table that folds one character at a time, filled as text arrives."""

    def __init__(self, style: Style) -> None:
        super().__init__()
        self.style = style

    def __missing__(self, codepoint: int) -> str:
        folded = _fold_char(chr(codepoint), self.style)
        if len(self) < 65536:  # bounded: a flood of odd characters cannot grow it forever
            self[codepoint] = folded
        return folded


def _fold_char(char: str, style: Style) -> str:
    if char in _APOSTROPHES:
        return "'"
    if style is Style.SPACED:
        lowered = char.casefold()
        out = []
        for piece in lowered:
            piece = _LIGATURES.get(piece, piece)
            decomposed = unicodedata.normalize("NFKD", piece)
            out.append("".join(c for c in decomposed if not unicodedata.combining(c)))
        return "".join(out)
    return unicodedata.normalize("NFKC", char).casefold()


@lru_cache(maxsize=8)
def fold_table(style: Style) -> _FoldTable:
    """The translate table of one style (shared; it only grows, up to a bound)."""
    return _FoldTable(style)


def phrase_key(phrase: str) -> str:
    """How two phrases are compared for "listed twice": case and spacing aside."""
    return " ".join(phrase.casefold().split())


def fold(text: str, style: Style) -> str:
    """Fold text for matching: case, width, accents (Latin), apostrophes.

    >>> fold("Şi NU-MI SPUNEȚI", Style.SPACED), fold("Ｔｅｓｔ", Style.EOJEOL)
    ('si nu-mi spuneti', 'test')
    """
    return fold_nfc(unicodedata.normalize("NFC", text), style)


# The accents that Latin letters decompose into (U+034F, the grapheme joiner, is no accent).
_ACCENT_RANGE = "\u0300-\u034e\u0350-\u036f"
_ACCENTS = re.compile(f"[{_ACCENT_RANGE}]")
_RESPELT = re.compile(f"[{_APOSTROPHES}{''.join(_LIGATURES)}]")
# Characters that fold to themselves one by one and never compose with a neighbour:
# emoji and the joiners between them.
_PLAIN = "\u200d\u2600-\u27bf\ufe0f\U0001f300-\U0001faff"
_NOT_ASCII_OR_ACCENT = re.compile(f"[^\x00-\x7f{_ACCENT_RANGE}]")
_NOT_PLAIN_OR_ACCENT = re.compile(f"[^\x00-\x7f{_ACCENT_RANGE}{_PLAIN}]")
# Characters whose NFKC, taken over a whole string, is what it is one character at a
# time: ASCII, CJK punctuation (not its combining tone marks), Han, Hangul syllables,
# full-width forms, curly apostrophes, emoji.
_NOT_PLAIN_CJK = re.compile(
    "[^\x00-\x7f\u2018\u2019\u3000-\u3029\u3030-\u303f\u3400-\u4dbf\u4e00-\u9fff"
    f"\uac00-\ud7a3\uff01-\uff5e{_PLAIN}]"
)
_HANGUL = re.compile("[\uac00-\ud7a3]")
_ASCII_UPPER = re.compile("[A-Z]")


def fold_nfc(text: str, style: Style) -> str:
    """:func:`fold` for text already in NFC form.

    Each character folds on its own, so that a span of the folded text maps back
    to the text character by character. For the text people write, whole-string
    operations give that same result much faster than the character table, which
    folds the rest.
    """
    if style is Style.SPACED:
        if text.isascii():
            return text.lower().replace("`", "'")
        folded = text
        if _RESPELT.search(folded) is not None:
            for apostrophe in _APOSTROPHES:
                folded = folded.replace(apostrophe, "'")
            folded = folded.casefold()
            for letter, spelling in _LIGATURES.items():
                folded = folded.replace(letter, spelling)
        else:
            folded = folded.casefold()
        # Accents come off whatever order NFKD put them in; what is left must be plain.
        folded = unicodedata.normalize("NFKD", folded)
        if _NOT_ASCII_OR_ACCENT.search(folded) is None:
            return folded.encode("ascii", "ignore").decode("ascii")
        if _NOT_PLAIN_OR_ACCENT.search(folded) is None:
            return _ACCENTS.sub("", folded)
    elif _NOT_PLAIN_CJK.search(text) is None:
        folded = text.replace("`", "'").replace("\u2018", "'").replace("\u2019", "'")
        if not unicodedata.is_normalized("NFKC", folded):
            if _HANGUL.search(folded) is not None:
                return text.translate(fold_table(style))
            # Without Hangul (which NFKD takes apart), NFKD is NFKC here, and faster.
            folded = unicodedata.normalize("NFKD", folded)
        # Of these characters only the Latin letters have case (full-width ones are
        # ASCII by now), and for them casefold is lower.
        return folded.lower() if _ASCII_UPPER.search(folded) else folded
    return text.translate(fold_table(style))


_LATIN = re.compile("[\\x00-\\u024f]*")


@lru_cache(maxsize=1)
def _uneven_latin() -> re.Pattern[str]:
    """The letters up to U+024F that do not fold into exactly one letter (æ, ß, ĳ, ½...)."""
    uneven = [
        chr(code) for code in range(0x80, 0x250) if len(_fold_char(chr(code), Style.SPACED)) != 1
    ]
    return re.compile(f"[{re.escape(''.join(uneven))}]")


def unfold_positions(text: str, style: Style) -> list[tuple[int, int]] | None:
    """Where folding ``text`` (in NFC form) moves the characters after a place.

    ``None`` when every character folds into exactly one (folded position *i*
    is position *i* of the text, as for ASCII, Hangul and Han); otherwise the
    places of the characters that do not, each with the folded length less one,
    in order. Anything else, character by character: ``[]`` is never returned
    for such text, and :func:`unfold` handles both.
    """
    if text.isascii() or (style is not Style.SPACED and _NOT_PLAIN_CJK.search(text) is None):
        return None
    table = fold_table(style)
    if style is Style.SPACED and _LATIN.fullmatch(text):
        moved = [
            (m.start(), len(table[ord(m.group())]) - 1) for m in _uneven_latin().finditer(text)
        ]
        return moved or None
    return [
        (index, len(table[ord(char)]) - 1)
        for index, char in enumerate(text)
        if len(table[ord(char)]) != 1
    ] or None


def unfold(position: int, moved: list[tuple[int, int]] | None) -> int:
    """The position in the text of folded ``position`` (see :func:`unfold_positions`).

    A position inside what one character folded into is that character's.

    >>> text = "Blåbærgrød"
    >>> folded = fold(text, Style.SPACED)
    >>> folded, unfold(folded.index("gr"), unfold_positions(text, Style.SPACED))
    ('blabaergroed', 6)
    """
    if moved is None:
        return position
    shift = 0
    for index, extra in moved:
        if position < index + shift:
            break
        if position <= index + shift + extra:
            return index
        shift += extra
    return position - shift


# --- compiling to a regular expression ----------------------------------------------


MAX_STARTS = 64
"""The most ways one phrase may start (each optional or alternative first word is one)."""


_TRIE_DEPTH = 4
"""How many leading letters :func:`compile_alternation` shares between phrases."""


def compile_phrase(phrase: str, style: Style) -> list[tuple[str, str]]:
    """Each way a phrase can start: the letters it starts with, and a regex for the rest.

    The leading letters (folded) are kept apart so that
    :func:`compile_alternation` can share them between phrases; the regex
    matches what follows them.

    >>> [letters for letters, _ in compile_phrase("[i] (die*|end it)", Style.SPACED)]
    ['i', 'die', 'end']
    """
    nodes = parse(phrase)
    # One Hangul syllable or Chinese character can be a word; one Latin letter is not.
    if style is Style.SPACED and _required(nodes) < 2:
        raise PatternError("the phrase is too short: it would be heard in almost anything")
    starts = _starts(nodes)
    if len(starts) > MAX_STARTS:
        raise PatternError(f"the phrase can start in more than {MAX_STARTS} ways")
    compiled = []
    for sequence in starts:
        head = sequence[0]
        if not isinstance(head, _Word):  # pragma: no cover - _starts puts a word first
            raise PatternError("a phrase must start with a word")
        # Leading marks are left out (Afrikaans 'n is often written n in chat).
        folded = _letters(head, style).lstrip("'-")
        count = next((i for i, char in enumerate(folded) if not char.isalnum()), len(folded))
        if count == 0:
            raise PatternError("a phrase must start with a letter")
        tail = "".join(_joiner(style) + _piece(char, style) for char in folded[count:])
        tail += _word_end(head, style) + _compile_sequence(sequence[1:], style)
        compiled.append((folded[:count], tail))
    return compiled


def compile_alternation(
    phrases: Sequence[str], style: Style
) -> tuple[re.Pattern[str], tuple[int, ...]] | None:
    """One regex for many phrases, and which phrase each of its groups marks.

    Every way a phrase can start ends in an empty group; after a match,
    ``owners[match.lastindex - 1]`` is the index in ``phrases`` of the phrase
    that matched. The phrases' first letters are shared, as in a trie, so the
    regex engine tries only the phrases that start like the text does, and
    only where a word starts (anywhere, for Chinese). Where several phrases match at one
    place, the earliest in
    ``phrases`` among those sharing the most letters wins.

    >>> rx, owners = compile_alternation(["kill* you", "kind"], Style.SPACED)
    >>> owners[rx.search(fold("Thank you, you are KIND", Style.SPACED)).lastindex - 1]
    1
    """
    if not phrases:
        return None
    items = [
        (letters, tail, index)
        for index, phrase in enumerate(phrases)
        for letters, tail in compile_phrase(phrase, style)
    ]
    owners: list[int] = []
    alternation = _group(_trie(items, 0, style, owners))
    if style is not Style.UNSPACED:
        # A phrase starts a word (an eojeol, in Korean): checked once, before the letters,
        # so that the engine tries letters only where a word starts.
        alternation = r"(?<!\w)" + alternation
    return re.compile(alternation), tuple(owners)


def _trie(items: list[tuple[str, str, int]], depth: int, style: Style, owners: list[int]) -> str:
    """The alternation of ``items`` (letters still to match, the rest, owner), shared."""
    children: dict[str, list[tuple[str, str, int]]] = {}
    order: list[tuple[int, str | None, str]] = []  # (first owner, child letter or None, regex)
    for letters, tail, owner in items:
        if letters and depth < _TRIE_DEPTH:
            if letters[0] not in children:
                order.append((owner, letters[0], ""))
            children.setdefault(letters[0], []).append((letters[1:], tail, owner))
        else:
            order.append(
                (owner, None, "".join(_joiner(style) + _piece(c, style) for c in letters) + tail)
            )
    branches = []
    for owner, letter, regex in sorted(order, key=lambda item: item[0]):
        if letter is None:
            owners.append(owner)
            branches.append(f"{regex}()")
            continue
        if depth == 0:
            # The first letter as such (a literal the engine skips on quickly); it may
            # still be repeated ("nooo"), like every letter.
            head = re.escape(letter) + re.escape(letter) + "*"
        else:
            head = _joiner(style) + _piece(letter, style)
        branches.append(head + _group(_trie(children[letter], depth + 1, style, owners)))
    return "|".join(branches)


def _group(alternation: str) -> str:
    return f"(?:{alternation})" if "|" in alternation else alternation


def _starts(sequence: tuple[_Node, ...]) -> list[tuple[_Node, ...]]:
    """Every way of reading ``sequence`` so that it starts with a word."""
    if not sequence:
        return []
    head, rest = sequence[0], sequence[1:]
    if isinstance(head, _Word):
        return [sequence]
    if isinstance(head, _Choice):
        return [start for option in head.options for start in _starts(option + rest)]
    return _starts(head.body + rest) + _starts(rest)


def _compile_sequence(nodes: tuple[_Node, ...], style: Style) -> str:
    return "".join(_compile_node(node, style) for node in nodes)


def _separator(style: Style) -> str:
    # Between words: spaces and punctuation in spaced text; in Korean, the rest of the
    # eojeol (its particle or ending) and any spacing, or none; in Chinese, any spacing.
    if style is Style.SPACED:
        return r"[\W_]+"
    return r"\w*\s*" if style is Style.EOJEOL else r"\s*"


def _joiner(style: Style) -> str:
    # Chinese chat puts stray spaces anywhere; between two characters, allow them.
    return r"\s*" if style is Style.UNSPACED else ""


def _compile_node(node: _Node, style: Style) -> str:
    sep = _separator(style)
    if isinstance(node, _Word):
        return sep + _compile_word(node, style)
    if isinstance(node, _Optional):
        # The separator that joins an optional part goes with it, so that leaving it out
        # leaves one separator, not two.
        return f"(?:{_compile_sequence(node.body, style)})?"
    # An alternative starts with a word or another choice (the parser sees to it), so
    # taking off its first separator leaves the one in front of the choice.
    options = "|".join(
        _compile_sequence(option, style).removeprefix(sep) for option in node.options
    )
    return f"{sep}(?:{options})"


def _letters(word: _Word, style: Style) -> str:
    return fold(word.text, style)


def _piece(char: str, style: Style) -> str:
    if char == "'":
        return "'?"
    if char == "-":
        return r"[-\s]?"
    if char.isspace():
        return _separator(style)
    # A letter may be repeated, as people do in chat ("nooo", "pleeease").
    return re.escape(char) + "+"


def _word_end(word: _Word, style: Style) -> str:
    if style is not Style.SPACED:
        return ""  # Korean stems take any ending; Chinese has no word ends
    return r"\w*" if word.open_end else r"(?!\w)"


def _compile_word(word: _Word, style: Style) -> str:
    body = _joiner(style).join(_piece(char, style) for char in _letters(word, style))
    return body + _word_end(word, style)


# --- what every match starts with, for a prefilter -----------------------------------

_KEY_LENGTH = {Style.SPACED: 10, Style.EOJEOL: 3, Style.UNSPACED: 4}
"""How many characters of a phrase's start :func:`start_literals` spells out."""

_MAX_KEYS = 256
"""The most start literals one phrase may give before they are cut to its first letters."""


def start_literals(phrase: str, style: Style) -> set[str]:
    """Strings of which at least one begins every match of ``phrase``, in the *outline* of
    the folded text (see :func:`outline`), where the match starts.

    The outline of a match starts with the phrase's letters, but a letter may be
    repeated in the text (``kiiill``): so a literal is given for each letter that
    might be the first one repeated, cut just after its extra copy. A prefilter
    that finds none of them in the outline can skip the text; one that finds some
    names the places worth trying.

    >>> sorted(start_literals("kill* you", Style.SPACED))
    [' kii', ' kill', ' kk']
    >>> sorted(start_literals("(我|真) 想死", Style.UNSPACED))
    ['我想想', '我想死', '我我', '真想想', '真想死', '真真']
    """
    nodes = parse(phrase)
    length = _KEY_LENGTH[style]
    spelt: set[str] = set()
    for sequence in _starts(nodes):
        spelt |= _spell(sequence, style, "", length, first=True)
        if len(spelt) > _MAX_KEYS:
            spelt = {s for start in _starts(nodes) for s in _spell(start, style, "", 1, True)}
            break
    separator = " " if style is Style.SPACED else ""
    literals = set()
    for text in spelt:
        literals.add(separator + text)
        for index, char in enumerate(text):
            if char != " ":
                # This letter repeated once more than the phrase repeats it here.
                end = index + 1
                while end < len(text) and text[end] == char:
                    end += 1
                literals.add(separator + text[:end] + char)
    # A literal that another one begins adds nothing: where it is found, so is the other.
    return {
        literal
        for literal in literals
        if not any(literal != other and literal.startswith(other) for other in literals)
    }


def _spell(nodes: tuple[_Node, ...], style: Style, done: str, length: int, first: bool) -> set[str]:
    """The outlines that matches of ``nodes`` start with, after ``done``, up to ``length``."""
    if len(done) >= length or not nodes:
        return {done[:length]} if done else set()
    head, rest = nodes[0], nodes[1:]
    if isinstance(head, _Optional):
        return _spell(head.body + rest, style, done, length, first) | _spell(
            rest, style, done, length, first
        )
    if isinstance(head, _Choice):
        return {
            spelt
            for option in head.options
            for spelt in _spell(option + rest, style, done, length, first)
        }
    letters = _letters(head, style)
    if first or style is Style.SPACED:
        # Leading marks are optional (the first word's are left out of the match).
        letters = letters.lstrip("'-")
    if not letters[:1].isalnum():
        return {done} if done else set()
    outcomes = {done}
    for char in letters:
        if char.isalnum():
            outcomes = {spelt + char for spelt in outcomes}
        elif style is Style.SPACED and char in "'-":
            # An inner apostrophe or hyphen may be written or not; the outline has a space.
            outcomes = {spelt + variant for spelt in outcomes for variant in ("", " ")}
        else:
            return outcomes
    if style is Style.EOJEOL or (style is Style.SPACED and head.open_end):
        return outcomes  # the word may go on: nothing after it is certain
    if style is Style.SPACED:
        outcomes = {spelt + " " for spelt in outcomes}
    return {spelt for outcome in outcomes for spelt in _spell(rest, style, outcome, length, False)}


_ASCII_OUTLINE = {code: " " for code in range(128) if not chr(code).isalnum()}
_NOT_ALNUM = re.compile(r"[\W_]+")


def outline(folded: str, style: Style) -> str:
    """Folded text as :func:`start_literals` spells it.

    Spaced languages: the words of letters and digits, one space between them and
    one at each end. Korean: the text as it is (a literal found in it is then
    checked to start an eojeol). Chinese: the text without its whitespace.

    >>> outline("it's... me_too", Style.SPACED), outline("我 不想 活", Style.UNSPACED)
    (' it s me too ', '我不想活')
    """
    if style is Style.SPACED:
        spaced = (
            folded.translate(_ASCII_OUTLINE) if folded.isascii() else _NOT_ALNUM.sub(" ", folded)
        )
        return " " + " ".join(spaced.split()) + " "
    if style is Style.EOJEOL:
        return folded
    return "".join(folded.split())
