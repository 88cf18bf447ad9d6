"""Catalogue checks: coverage, consistency and house style, per locale.

:func:`check` loads every catalogue of a catalogue store (or a phrasebook's) and
reports what a translator should fix: missing entries, missing register
variants, padded or empty texts, text left in English, "never say" phrases,
glossary alternatives, quotation marks and punctuation that don't fit the
language, Latin letters in Korean or Chinese text, and translations whose
English source changed since they were translated (``stale``, a warning: the
old translation still works, but needs a review). ``deescalate check``
prints the report and fails on any error.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from ._arguments import entry_point
from ._patterns import phrase_key
from .catalogue import (
    LABEL_KEYS,
    SOURCE_LOCALE,
    EntryDef,
    HasStore,
    LocaleData,
    Store,
    Variant,
    find_line,
    fingerprint,
    store_of,
)
from .errors import CatalogueError
from .i18n import plural_categories
from .models import Channel, Flag, Kind, Register, Signal, Stage
from .phrasing import Matcher, default_rule, repeated

__all__ = ["Coverage", "Problem", "Report", "Severity", "check"]


class Severity(StrEnum):
    """How bad a problem is: errors fail ``deescalate check``; warnings don't."""

    ERROR = "error"
    WARNING = "warning"


class Problem(BaseModel):
    """One thing wrong with a catalogue, and where."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(description="A stable short name of the check, e.g. 'never-say'.")
    severity: Severity = Field(description="error or warning.")
    locale: str = Field(description="The locale whose catalogue has the problem.")
    message: str = Field(description="What is wrong, in one English sentence.")
    entry_id: str | None = Field(default=None, description="The entry, where there is one.")
    path: str | None = Field(default=None, description="The file.")
    line: int | None = Field(default=None, description="The line in the file, from 1.")

    def __str__(self) -> str:
        where = self.path or self.locale
        if self.line is not None:
            where += f":{self.line}"
        entry = f" [{self.entry_id}]" if self.entry_id else ""
        return f"{where}: {self.severity.value}: {self.code}{entry}: {self.message}"


class Coverage(BaseModel):
    """How much of the neutral file a locale translates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    locale: str
    translated: int
    total: int

    @property
    def percent(self) -> float:
        """Translated entries as a percentage, 0-100."""
        return 100.0 * self.translated / self.total if self.total else 100.0


class Report(BaseModel):
    """The outcome of :func:`check`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    problems: tuple[Problem, ...]
    coverage: tuple[Coverage, ...]

    @property
    def ok(self) -> bool:
        """Whether there is no error (warnings allowed)."""
        return not any(p.severity is Severity.ERROR for p in self.problems)


# Quotation marks (not apostrophes, which contractions and Afrikaans 'n need).
_QUOTES = frozenset('"“”„‟«»‹›「」『』')
_HALF_WIDTH_PUNCT = re.compile(r"(?<=[\u3400-\u9fff])[,.?!:;]")
_FULL_WIDTH_PUNCT = re.compile(r"[。，？！：；、]")
_LATIN = re.compile(r"[A-Za-z]")
_PLACEHOLDER = re.compile(r"\{[a-z][a-z0-9_]*\}")
_CJK_SCRIPTS = frozenset({"Hans", "Hant", "Jpan"})


_CHANNEL_WORDS: Mapping[Channel, re.Pattern[str]] = {
    Channel.PHONE: re.compile(
        r"\b(on the phone|on the line|hang up|on hold|put you through|call you back|mm-hmm"
        r"|can hear|hear you)\b",
        re.IGNORECASE,
    ),
    Channel.CHAT: re.compile(r"\b(chat|chatting)\b", re.IGNORECASE),
    Channel.EMAIL: re.compile(r"\b(e-?mails?|inbox|reply to this)\b", re.IGNORECASE),
}
"""English words that tie a text to one channel (checked in the source locale)."""

_LIVE_WORDS = re.compile(
    r"\b(keep (?:the person|them|the customer|the caller) talking"
    r"|stay (?:here )?with (?:me|you|them) (?:now|while))\b",
    re.IGNORECASE,
)
"""English words that ask for a live contact (phone or chat): no email can keep anyone talking."""

_HEARING = re.compile(r"\b(?:can|could) hear\b", re.IGNORECASE)
"""English words that only a voice allows: nobody "can hear" anything in chat or email."""


def _texts(variant: Variant) -> Iterator[str]:
    source = variant.source
    if isinstance(source, str):
        yield source
    else:
        yield from source.values()


class _Checker:
    def __init__(self, store: Store, data: LocaleData, source: LocaleData) -> None:
        self.store = store
        self.data = data
        self.source = source
        self.problems: list[Problem] = []
        self._text: str | None = None
        """The locale file's text, read on the first problem that needs a line."""
        self.never_say = Matcher(data.never_say, data.script)
        self.avoid = {
            term: Matcher(rule.avoid, data.script) for term, rule in data.glossary.items()
        }

    def add(
        self,
        code: str,
        message: str,
        entry_id: str | None = None,
        *,
        error: bool = True,
        field: str | None = None,
    ) -> None:
        # An entry's texts may come from an overlay file: point there.
        path, text = self.data.origin(entry_id) if entry_id else (self.data.path, "")
        if entry_id and not text and path == self.data.path:
            # A compiled catalogue keeps no text: its store reads the file for the line.
            if self._text is None:
                self._text = self.store.source_text(self.data.id)
            text = self._text
        line = find_line(text, "entries", entry_id, field) if entry_id in self.data.texts else None
        self.problems.append(
            Problem(
                code=code,
                severity=Severity.ERROR if error else Severity.WARNING,
                locale=self.data.id,
                message=message,
                entry_id=entry_id,
                path=path,
                line=line,
            )
        )

    def hint(self, item_id: str) -> str:
        """Where to fix a gap for a situation or entry that an overlay defines."""
        origin = self.store.neutral.origins.get(item_id)
        if origin is None:
            return ""
        return f" (it comes from the overlay {origin}: add it to an overlay {self.data.id}.toml)"

    def run(self) -> list[Problem]:
        data = self.data
        entries = self.store.neutral.entries
        for key in sorted(LABEL_KEYS):
            if key not in data.labels:
                self.add("labels", f"[labels] has no {key!r}")
        for sid in self.store.neutral.situations:
            if sid not in data.situation_names:
                self.add("labels", f"[situations] has no name for {sid!r}" + self.hint(sid))
        source_texts = {
            text.strip()
            for variants in self.source.texts.values()
            for vs in variants.values()
            for v in vs
            for text in _texts(v)
        }
        for eid, entry in entries.items():
            texts = data.texts.get(eid)
            if texts is None:
                self.add("missing", "no translation" + self.hint(eid), eid)
                continue
            self.entry(entry, texts, source_texts)
            self.stale(eid)
        self.repetition()
        self.signals()
        if data.id == SOURCE_LOCALE:
            self.channel_words()
        return self.problems

    def channel_words(self) -> None:
        """Flag a source text that speaks of a channel its entry's ``channels`` leave out.

        "Stay on the line" in an entry for chat and email, or "reply to this
        email" in one for the phone, is a channel mistake in the metadata or
        in the wording; the English source says which channel it is written for.
        """
        for eid, entry in self.store.neutral.entries.items():
            if eid not in self.data.texts:
                continue
            texts = [t for vs in self.data.texts[eid].values() for v in vs for t in _texts(v)]
            live = (
                next((m for m in map(_LIVE_WORDS.search, texts) if m), None)
                if Channel.EMAIL in entry.channels
                else None
            )
            if live is not None:
                self.add(
                    "channels",
                    f"the text asks for a live contact ({live.group(0)!r}) but the entry's "
                    "channels include email",
                    eid,
                )
            heard = (
                next((m for m in map(_HEARING.search, texts) if m), None)
                # Without the phone, the channel words below already flag it.
                if Channel.PHONE in entry.channels
                and entry.channels & {Channel.CHAT, Channel.EMAIL}
                else None
            )
            if heard is not None:
                self.add(
                    "channels",
                    f"the text speaks of hearing ({heard.group(0)!r}) but the entry reaches "
                    + " and ".join(
                        c.value for c in (Channel.CHAT, Channel.EMAIL) if c in entry.channels
                    ),
                    eid,
                )
            if entry.channels == frozenset(Channel):
                continue
            for channel, pattern in _CHANNEL_WORDS.items():
                if channel in entry.channels:
                    continue
                for text in texts:
                    found = pattern.search(text)
                    if found:
                        allowed = ", ".join(c.value for c in Channel if c in entry.channels)
                        self.add(
                            "channels",
                            f"the text speaks of {channel.value} ({found.group(0)!r}) but the "
                            f"entry's channels are {allowed}",
                            eid,
                        )
                        break

    def signals(self) -> None:
        """Report signals the locale cannot hear, and phrases listed both ways after overlays."""
        data = self.data
        for signal in Signal:
            table = data.signals.get(signal)
            if table is None or not table.phrases:
                self.add(
                    "signals",
                    f"[signals.{signal.value}] has no phrases: listen() cannot hear it in "
                    f"{data.id}",
                    error=False,
                )
                continue
            heard = {phrase_key(p) for p in (*table.phrases, *table.cues)}
            for phrase in table.not_:
                if phrase_key(phrase) in heard:
                    self.add(
                        "signals",
                        f"{phrase!r} is both a phrase and a 'not' of [signals.{signal.value}]",
                    )

    def repetition(self) -> None:
        """Warn about wording that too many phrases of one stage and register share."""
        data = self.data
        rule = data.repetition or default_rule(data.script)
        groups: dict[tuple[Stage, Register], dict[str, list[str]]] = {}
        for eid, by_register in data.texts.items():
            entry = self.store.neutral.entries.get(eid)
            if entry is None or entry.kind is not Kind.PHRASE:
                continue
            for key, variants in by_register.items():
                # A line with no form of address is heard in every register.
                for register in data.registers if key is None else (key,):
                    lines = groups.setdefault((entry.stage, register), {}).setdefault(eid, [])
                    lines.extend(text for v in variants for text in _texts(v))
        for (stage, register), group in sorted(groups.items()):
            for found in repeated(group, data.script, rule):
                what = "start with" if found.opener else "share"
                where = f"{stage.value} phrases" + (
                    f" ({register.value})" if len(data.registers) > 1 else ""
                )
                self.problems.append(
                    Problem(
                        code="repetition",
                        severity=Severity.WARNING,
                        locale=data.id,
                        message=(
                            f"{len(found.entries)} {where} {what} {found.words!r} "
                            f"(at most {rule.max_entries} may): {', '.join(found.entries)}; "
                            "vary the wording so a customer doesn't hear it twice"
                        ),
                        path=data.path,
                    )
                )

    def stale(self, entry_id: str) -> None:
        """Warn when the English changed since the entry was translated (its ``source``)."""
        recorded = self.data.fingerprints.get(entry_id)
        english = self.source.texts.get(entry_id)
        if recorded is None or english is None or self.data.id == SOURCE_LOCALE:
            return
        current = fingerprint(
            {
                ("text" if register is None else register.value): [v.source for v in variants]
                for register, variants in english.items()
            }
        )
        if recorded != current:
            self.add(
                "stale",
                "the English text changed since this was translated: review the translation, "
                "then record it with `deescalate po stamp --entry` (or import a reviewed PO)",
                entry_id,
                error=False,
                field="source",
            )

    def entry(
        self,
        entry: EntryDef,
        texts: Mapping[Register | None, tuple[Variant, ...]],
        source_texts: set[str],
    ) -> None:
        data = self.data
        by_register = dict(texts)
        multi = len(data.registers) > 1
        if entry.kind is Kind.PHRASE and multi and None not in by_register:
            for wanted in data.registers:
                if wanted not in by_register:
                    self.add(
                        "register-missing",
                        f"no {wanted.value} variants (give both registers, or 'text' "
                        "for a line with no form of address)",
                        entry.id,
                    )
        if Flag.VERBATIM in entry.flags:
            # Reviewed wording: one variant per combination of optional values.
            for key, variants in by_register.items():
                shapes = [v.names for v in variants]
                if len(set(shapes)) != len(shapes):
                    self.add(
                        "verbatim",
                        "a verbatim entry has one reviewed variant per set of placeholders; "
                        f"{key.value if key else 'text'} has {len(variants)} variants",
                        entry.id,
                    )
        used: set[str] = set()
        categories = set(plural_categories(data.id))
        for key, variants in by_register.items():
            field = key.value if key else "text"
            for variant in variants:
                used |= variant.names
                if variant.forms is not None and set(variant.forms) != categories:
                    missing = sorted(categories - set(variant.forms))
                    extra = sorted(set(variant.forms) - categories)
                    problems = []
                    if missing:
                        problems.append(f"lacks plural forms {', '.join(missing)}")
                    if extra:
                        problems.append(
                            f"has forms {', '.join(extra)}, which {data.id} does not use "
                            f"(its CLDR categories: {', '.join(sorted(categories))})"
                        )
                    self.add(
                        "plural",
                        f"variant {variant.index} " + "; ".join(problems),
                        entry.id,
                        field=field,
                    )
                for text in _texts(variant):
                    self.text(entry, text, field, source_texts)
        unused = sorted(entry.optional - used)
        if unused:
            self.add(
                "optional-unused",
                "no variant uses "
                + ", ".join(f"{{{n}}}" for n in unused)
                + ": the value would never appear",
                entry.id,
                error=False,
            )

    def text(self, entry: EntryDef, text: str, field: str, source_texts: set[str]) -> None:
        data = self.data
        eid = entry.id
        if not text.strip():
            self.add("empty", "an empty text", eid, field=field)
            return
        if text != text.strip() or "  " in text:
            self.add(
                "whitespace", f"leading, trailing or double spaces in {text!r}", eid, field=field
            )
        bare = _PLACEHOLDER.sub("", text)
        if data.id != SOURCE_LOCALE and text.strip() in source_texts and _LATIN.search(bare):
            self.add("untranslated", f"identical to the English text {text!r}", eid, field=field)
        if entry.kind is Kind.PHRASE:
            for phrase in self.never_say.find(text):
                self.add(
                    "never-say", f"contains {phrase!r}, on the never-say list", eid, field=field
                )
        for term, rule in data.glossary.items():
            for avoid in self.avoid[term].find(text):
                self.add(
                    "glossary",
                    f"uses {avoid!r} for {term!r}; the glossary says {rule.use!r}",
                    eid,
                    field=field,
                    error=False,
                )
        allowed = {c for pair in data.quotes for c in pair}
        odd = sorted({c for c in text if c in _QUOTES} - allowed)
        if odd:
            self.add(
                "quotes",
                f"quotation marks {''.join(odd)} are not this language's "
                f"({' '.join(data.quotes) or 'none declared'})",
                eid,
                field=field,
            )
        if data.script in _CJK_SCRIPTS:
            if _HALF_WIDTH_PUNCT.search(bare):
                self.add(
                    "punctuation",
                    f"half-width punctuation in {text!r}: use ，。？！：；",
                    eid,
                    field=field,
                )
        elif _FULL_WIDTH_PUNCT.search(bare):
            self.add("punctuation", f"full-width punctuation in {text!r}", eid, field=field)
        if data.script in _CJK_SCRIPTS or data.script in ("Hang", "Kore"):
            if _LATIN.search(bare):
                self.add("script", f"Latin letters in {text!r}", eid, field=field)
            if data.script == "Hang" and any(
                unicodedata.name(c, "").startswith("CJK UNIFIED") for c in bare
            ):
                self.add(
                    "script", f"Han characters (Hanja) in Korean text {text!r}", eid, field=field
                )


def _load_problem(locale_id: str, err: CatalogueError) -> Problem:
    """A catalogue that cannot be loaded, as a problem at the place the error names."""
    return Problem(
        code="load",
        severity=Severity.ERROR,
        locale=locale_id,
        message=err.problem,
        path=err.path,
        line=err.line,
        entry_id=err.entry_id,
    )


@entry_point
def check(book: Store | HasStore, locales: tuple[str, ...] | None = None) -> Report:
    """Load and check the catalogues of ``book`` (all locales, or those named).

    ``book`` is a :class:`~deescalate.Phrasebook` or the catalogue
    :class:`~deescalate.catalogue.Store` it reads from.
    """
    store = store_of(book)
    problems: list[Problem] = []
    coverage: list[Coverage] = []
    total = len(store.neutral.entries)
    try:
        source = store.locale(SOURCE_LOCALE)
    except CatalogueError as err:
        return Report(problems=(_load_problem(SOURCE_LOCALE, err),), coverage=())
    for locale_id in locales or store.locales:
        try:
            data = store.locale(locale_id)
        except CatalogueError as err:
            problems.append(_load_problem(locale_id, err))
            coverage.append(Coverage(locale=locale_id, translated=0, total=total))
            continue
        problems.extend(_Checker(store, data, source).run())
        translated = sum(1 for eid in store.neutral.entries if eid in data.texts)
        coverage.append(Coverage(locale=locale_id, translated=translated, total=total))
    return Report(problems=tuple(problems), coverage=tuple(coverage))
