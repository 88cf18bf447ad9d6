"""Which lines fit here: the one selection every question asks, and the seeded chooser.

:class:`Selection` answers "which entries (and variants) fit kind × stage ×
situation × channel × register × the values given?" for one catalogue store.
Entries come from the neutral file's line sets (the situations' stage rules,
applied at load); the channel rule, the values rule and the register then keep
the entries and variants that fit. Answers are kept in bounded caches keyed on
normalised input (the negotiated locale, the coerced stage, register and
channel, the value names), behind a small front cache keyed on the call's own
arguments.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from ._arguments import check_arguments, check_seed, check_values_mapping, check_variant
from .catalogue import SOURCE_LOCALE, EntryDef, LocaleData, Store, Variant
from .choice import choose
from .errors import (
    CatalogueError,
    InvalidOptionError,
    MissingValueError,
    NoContentError,
    UnexpectedValueError,
    UnknownEntryError,
    UnknownSituationError,
)
from .i18n import Negotiated, get_locale, negotiate, with_usage
from .limits import MAX_SEED, MIN_SEED
from .models import (
    Channel,
    Fallback,
    FallbackKind,
    Gloss,
    Kind,
    Phrase,
    PlaceholderType,
    Register,
    Stage,
    Tip,
    coerce_option,
)
from .results import (
    CURRENCY,
    Candidate,
    Values,
    make_candidate,
    plan_for,
    render_variant,
    value_locale,
)

__all__ = ["MEMO_SIZE", "Selection", "accepted", "remember", "suits", "tupled"]

MEMO_SIZE = 2048
"""The most answers each of a phrasebook's caches keeps (the oldest go first)."""

LocaleArg = str | Sequence[str]

_ANY_CHANNEL = frozenset(Channel)
_MEMO_LOCK = threading.Lock()


def remember(memo: dict[Any, Any], key: Any, value: Any, size: int = MEMO_SIZE) -> Any:
    """Keep ``value`` under ``key`` in ``memo``, dropping the oldest item when ``size`` is
    reached, and return it (an unhashable key is not kept). The memos are plain dicts,
    so a lookup is the interpreter's quickest dict access."""
    with _MEMO_LOCK:
        try:
            if len(memo) >= size:
                del memo[next(iter(memo))]
            memo[key] = value
        except (TypeError, KeyError, StopIteration, RuntimeError):
            pass
    return value


def accepted(entry: EntryDef) -> frozenset[str]:
    """The value names ``entry`` takes: its placeholders, and ``currency`` with a money one."""
    names = entry.placeholders.keys()
    if any(p.type is PlaceholderType.MONEY for p in entry.placeholders.values()):
        return frozenset((*names, CURRENCY))
    return frozenset(names)


def suits(entry: EntryDef, channel: Channel | None) -> bool:
    """The channel rule, the same for every question: with no channel, only lines for all."""
    return channel in entry.channels if channel is not None else entry.channels == _ANY_CHANNEL


def tupled(locale: object) -> object:
    """A list of tags as a tuple (hashable); anything else as it is, to be checked."""
    return tuple(locale) if locale.__class__ is list else locale


class Selection:
    """The lines that fit each question, for one catalogue store, and the chooser.

    Safe to share between threads: its caches are bounded dicts written under a
    lock; an answer is worked out at most a few times and then kept.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._neutral = store.neutral
        self._available = store.locales
        self.front: dict[Any, tuple[Candidate, ...]] = {}
        """Raw call arguments → candidates: the hot path's one lookup."""
        self.selections: dict[Any, Any] = {}
        """Normalised questions → candidates (phrases) or tips."""
        self.picked: dict[Any, Candidate] = {}
        """Raw call arguments with a seed → the candidate chosen."""
        self.ready: dict[Any, Phrase] = {}
        """Raw arguments of a seeded pick without values or gloss → its finished result."""
        self.ready_texts: dict[Any, str] = {}
        """The same for text(): the arguments → the words."""
        self.tips_front: dict[Any, tuple[Tip, ...]] = {}
        """Raw tips() arguments → the tips."""
        self._random: Callable[[], float] | None = None
        """The source of unseeded choices, made on first use (random is slow to import)."""

    def clear(self) -> None:
        """Forget every answer (loaded locales stay loaded)."""
        for memo in (
            self.front,
            self.selections,
            self.picked,
            self.ready,
            self.ready_texts,
            self.tips_front,
        ):
            memo.clear()

    def negotiate(self, locale: LocaleArg) -> Negotiated:
        """The catalogue for ``locale``, with a warning when it follows another territory."""
        negotiated = negotiate(locale, self._available)
        usage = self._store.locale(negotiated.locale).usage
        return negotiated if usage is None else with_usage(negotiated, usage)

    def chosen(
        self, key: tuple[Any, ...], values: Values | None, defaults: Values | None
    ) -> Candidate:
        """The candidate a pick or text() with these arguments (``key``) says.

        A seeded choice is the same every time, so it is remembered under the
        call's own arguments (only the names of the values count), and a
        repeated seeded call costs one lookup. ``seed.__class__ is int`` keeps
        ``True`` (equal to 1) out of that memo, so it is refused as a seed.
        """
        stage, situation, locale, register, channel, strict, entry, gloss, _, _, seed, variant = key
        candidates = self.candidates(
            stage, situation, locale, register, channel, strict, entry, gloss, values, defaults
        )
        chosen = self._choose(candidates, seed, entry, variant)
        if seed.__class__ is int:
            remember(self.picked, key, chosen)
        return chosen

    def candidates(
        self,
        stage: object,
        situation: object,
        locale: object,
        register: object,
        channel: object,
        strict: object,
        entry: object,
        gloss: object,
        values: Values | None,
        defaults: Values | None,
    ) -> tuple[Candidate, ...]:
        """The lines a pick with these arguments chooses from.

        The front cache is keyed on the arguments as given (a list of tags
        becomes a tuple; only the names of the values count, in the caller's
        order: a tuple is cheaper to build than a set), so a repeated call costs
        one lookup; behind it, :meth:`_select` is keyed on normalised input.
        Nothing is validated here: an unknown key is resolved, and resolving
        validates.
        """
        if values.__class__ is not dict and values is not None:
            check_values_mapping(values)
        if locale.__class__ is not str and isinstance(locale, list | tuple):
            locale = tuple(locale)
        key = (
            stage,
            situation,
            locale,
            register,
            channel,
            strict,
            entry,
            gloss,
            (*values,) if values else None,
            (*defaults,) if defaults else None,
        )
        try:
            return self.front[key]
        except (KeyError, TypeError):  # not seen yet, or an unhashable (invalid) argument
            # Every argument in the key is checked before anything is cached under it.
            check_arguments(
                stage=stage,
                situation=situation,
                locale=locale,
                register=register,
                channel=channel,
                strict=strict,
                entry=entry,
                gloss=gloss,
                values=values,
            )
        stage_ = Stage.coerce(stage)  # type: ignore[arg-type]
        register_ = coerce_option(Register, "register", register)  # type: ignore[arg-type]
        channel_ = coerce_option(Channel, "channel", channel)  # type: ignore[arg-type]
        self.situation_chain(situation)  # type: ignore[arg-type]  # validates the id
        negotiated = self.negotiate(locale)  # type: ignore[arg-type]
        gloss_locale = (
            negotiate(gloss, self._available).locale  # type: ignore[arg-type]
            if gloss is not None
            else None
        )
        if entry is not None and not isinstance(entry, str):
            raise UnknownEntryError(repr(entry))
        found = self._select(
            stage_,
            situation,  # type: ignore[arg-type]
            negotiated,
            register_,
            bool(strict),
            channel_,
            entry,
            gloss_locale,
            frozenset(values or ()),
            frozenset(defaults or ()),
        )
        return remember(self.front, key, found)  # type: ignore[no-any-return]

    def _choose(
        self,
        candidates: tuple[Candidate, ...],
        seed: int | None,
        entry: str | None,
        variant: int | None,
    ) -> Candidate:
        if variant is not None:
            return self._exact(candidates, entry, variant)
        if seed is None:
            if self._random is None:
                import random

                self._random = random.Random().random
            return candidates[int(self._random() * len(candidates))]
        if seed.__class__ is not int or not MIN_SEED <= seed <= MAX_SEED:
            check_seed(seed)
        return candidates[choose(seed, len(candidates))]

    @staticmethod
    def _exact(candidates: tuple[Candidate, ...], entry: str | None, variant: int) -> Candidate:
        check_variant(variant)
        if entry is None:
            raise InvalidOptionError("variant", variant, ["only together with entry="])
        for candidate in candidates:
            if candidate.variant.index == variant:
                return candidate
        raise UnknownEntryError(
            entry,
            f"no variant {variant!r} that fits the request; "
            f"fitting variants: {', '.join(str(c.variant.index) for c in candidates)}",
        )

    def _select(
        self,
        stage: Stage,
        situation: str,
        negotiated: Negotiated,
        register: Register | None,
        strict: bool,
        channel: Channel | None,
        entry_id: str | None,
        gloss_locale: str | None,
        given: frozenset[str],
        defaults: frozenset[str],
    ) -> tuple[Candidate, ...]:
        """The one answer to "which lines fit here?", keyed on normalised input.

        Entries come from the neutral file's line set for (situation, stage,
        phrase), in its order; the channel rule, the values rule and the
        register then keep the entries and variants that fit.
        """
        key = (
            stage,
            situation,
            negotiated,
            register,
            strict,
            channel,
            entry_id,
            gloss_locale,
            given,
            defaults,
        )
        cached = self.selections.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        if entry_id is not None:
            entries = [self._named_entry(entry_id, stage, situation, channel, given, defaults)]
            fallbacks: list[Fallback] = []
        else:
            entries, fallbacks = self._eligible(stage, situation, channel, given, defaults)
        if negotiated.fallback is not None:
            fallbacks.insert(0, negotiated.fallback)
        candidates: list[Candidate] = []
        for e, came_from in entries:
            data, (notes, warns) = self._texts_for(e, negotiated.locale)
            variants, used, reg_fallback = self._variants(e, data, register, strict)
            usable = self._usable(e, given, defaults)
            entry_fallbacks = (*fallbacks, *notes, *((reg_fallback,) if reg_fallback else ()))
            entry_warnings = (*negotiated.warnings, *warns)
            for v in variants:
                if v.names <= usable:
                    candidates.append(
                        make_candidate(
                            self._neutral.values,
                            e,
                            v,
                            data,
                            used,
                            entry_fallbacks,
                            entry_warnings,
                            came_from,
                            given | defaults,
                            gloss_locale,
                            channel,
                        )
                    )
        if not candidates:
            raise NoContentError(
                f"no variant of {', '.join(e.id for e, _ in entries)} fits the given values "
                f"({', '.join(sorted(given)) or 'none'})"
            )
        return remember(self.selections, key, tuple(candidates))  # type: ignore[no-any-return]

    def situation_chain(self, situation: str) -> tuple[str, ...]:
        """The situation and the ancestors whose content it may use, nearest first.

        ``safety-threat`` does not inherit, so its chain is itself alone; an
        unknown id raises :class:`UnknownSituationError`. Which of an
        ancestor's lines a situation takes at each stage is in its stage rules.
        """
        situations = self._neutral.situations
        if not isinstance(situation, str) or situation not in situations:
            raise UnknownSituationError(situation, situations)
        return self._neutral.chain(situation)

    def _usable(
        self, entry: EntryDef, given: frozenset[str], defaults: frozenset[str]
    ) -> frozenset[str]:
        """The value names ``entry`` has: the caller's, and the defaults it declares."""
        extra = defaults | self._neutral.values.keys()
        if not extra:
            return given
        return given | (extra & entry.placeholders.keys())

    def _check_values(
        self, entry: EntryDef, given: frozenset[str], defaults: frozenset[str]
    ) -> None:
        names = accepted(entry)
        extra = given - names
        if extra:
            raise UnexpectedValueError(f"entry {entry.id!r}", extra, names)
        missing = entry.required - self._usable(entry, given, defaults)
        if missing:
            raise MissingValueError(entry.id, missing)

    def _accepts(self, entry: EntryDef, given: frozenset[str], defaults: frozenset[str]) -> bool:
        if not entry.required <= self._usable(entry, given, defaults):
            return False
        return given <= accepted(entry)

    def _named_entry(
        self,
        entry_id: str,
        stage: Stage,
        situation: str,
        channel: Channel | None,
        given: frozenset[str],
        defaults: frozenset[str],
    ) -> tuple[EntryDef, str]:
        """The entry a call named with ``entry=``, if it fits the request."""
        entry = self._neutral.entries.get(entry_id)
        if entry is None:
            raise UnknownEntryError(entry_id)
        if entry.kind is not Kind.PHRASE or entry.stage is not stage:
            raise UnknownEntryError(entry_id, f"it is not a phrase of stage {stage.value!r}")
        came_from = dict(self._neutral.lines.get((situation, stage, Kind.PHRASE), ()))
        if entry_id not in came_from:
            raise UnknownEntryError(
                entry_id, f"it is not a line of situation {situation!r} at stage {stage.value!r}"
            )
        # A line asked for by name needs only to suit the channel if one is given.
        if channel is not None and channel not in entry.channels:
            raise UnknownEntryError(entry_id, f"it does not suit channel {channel.value!r}")
        self._check_values(entry, given, defaults)
        return entry, came_from[entry_id]

    def _eligible(
        self,
        stage: Stage,
        situation: str,
        channel: Channel | None,
        given: frozenset[str],
        defaults: frozenset[str],
    ) -> tuple[list[tuple[EntryDef, str]], list[Fallback]]:
        """The phrase entries to choose from, and the situation fallback taken (if any).

        A ladder's later steps are said only as ladder steps (``entry=``).
        """
        entries = self._neutral.entries
        pool = [
            (entries[e], came_from)
            for e, came_from in self._neutral.lines.get((situation, stage, Kind.PHRASE), ())
            if entries[e].ladder_step <= 1 and suits(entries[e], channel)
        ]
        fitting = [(e, f) for e, f in pool if self._accepts(e, given, defaults)]
        if fitting:
            fallbacks: list[Fallback] = []
            if all(f != situation for _, f in fitting):
                used = fitting[0][1]
                own = any(f == situation for _, f in pool)
                fallbacks.append(
                    Fallback.model_construct(
                        kind=FallbackKind.SITUATION,
                        requested=situation,
                        used=used,
                        reason=(
                            f"{situation!r} has no {stage.value} line"
                            + (f" on {channel.value}" if channel else "")
                            + (
                                f" for the values given ({', '.join(sorted(given)) or 'none'})"
                                if own
                                else ""
                            )
                            + f"; using {used!r}"
                        ),
                    )
                )
            return fitting, fallbacks
        if not pool:
            where = f"stage {stage.value!r} of situation {situation!r}"
            if stage is Stage.COOL_DOWN:
                raise NoContentError(
                    f"{where} has no lines to say: cool-down is for the agent; use tips()"
                )
            raise NoContentError(
                f"{where} has no lines" + (f" for channel {channel.value!r}" if channel else "")
            )
        # Something exists but not for these values: say what is missing or extra.
        declared = frozenset().union(*(accepted(e) for e, _ in pool))
        extra = given - declared
        if extra:
            raise UnexpectedValueError(
                f"stage {stage.value!r} of situation {situation!r}", extra, declared
            )
        closest = min(
            (e for e, _ in pool), key=lambda e: len(e.required - self._usable(e, given, defaults))
        )
        raise MissingValueError(
            closest.id, closest.required - self._usable(closest, given, defaults)
        )

    def _texts_for(
        self, entry: EntryDef, locale_id: str
    ) -> tuple[LocaleData, tuple[tuple[Fallback, ...], tuple[str, ...]]]:
        data = self._store.locale(locale_id)
        if entry.id in data.texts or locale_id == SOURCE_LOCALE:
            if entry.id not in data.texts:
                raise CatalogueError(
                    f"the source locale has no text for entry {entry.id!r}", path=data.path
                )
            return data, ((), ())
        source = self._store.locale(SOURCE_LOCALE)
        reason = f"the {locale_id} catalogue has no text for {entry.id!r}; using {SOURCE_LOCALE}"
        return source, (
            (
                Fallback.model_construct(
                    kind=FallbackKind.LOCALE, requested=locale_id, used=SOURCE_LOCALE, reason=reason
                ),
            ),
            (reason,),
        )

    @staticmethod
    def _variants(
        entry: EntryDef, data: LocaleData, register: Register | None, strict: bool
    ) -> tuple[tuple[Variant, ...], Register, Fallback | None]:
        texts = data.texts[entry.id]
        wanted = register or data.default_register
        if wanted not in data.registers:
            # A language with one register serves every request with it.
            used = data.registers[0] if len(data.registers) == 1 else data.default_register
            note = Fallback.model_construct(
                kind=FallbackKind.REGISTER,
                requested=wanted.value,
                used=used.value,
                reason=f"{data.id} does not use the {wanted.value} register",
            )
            if strict and len(data.registers) > 1:
                raise NoContentError(f"{data.id} has no {wanted.value} register")
            return texts.get(used, ()) + texts.get(None, ()), used, note
        own = texts.get(wanted, ()) + texts.get(None, ())
        if own:
            return own, wanted, None
        if strict:
            raise NoContentError(
                f"entry {entry.id!r} has no {wanted.value} text in {data.id} (strict register)"
            )
        used = next(r for r in data.registers if r in texts)
        return (
            texts[used],
            used,
            Fallback.model_construct(
                kind=FallbackKind.REGISTER,
                requested=wanted.value,
                used=used.value,
                reason=f"entry {entry.id!r} has no {wanted.value} text in {data.id}",
            ),
        )

    def gloss(self, chosen: Candidate, values: Values, gloss_locale: str) -> Gloss:
        data, _ = self._texts_for(chosen.entry, gloss_locale)
        variants, _, _ = self._variants(chosen.entry, data, None, False)
        given = frozenset(values)
        fitting = [v for v in variants if v.names <= given] or list(variants)
        same = [v for v in fitting if v.index == chosen.variant.index]
        variant = same[0] if same else fitting[chosen.variant.index % len(fitting)]
        text = render_variant(
            chosen.entry,
            variant,
            value_locale(data),
            values,
            plan=plan_for(data, chosen.entry, None),
        )
        return Gloss.model_construct(locale=data.id, text=text)

    def tips(
        self,
        stage: Stage | str,
        *,
        situation: str = "general",
        locale: LocaleArg = SOURCE_LOCALE,
        channel: Channel | str | None = None,
        gloss: str | None = None,
    ) -> tuple[Tip, ...]:
        """Advice for the agent at ``stage``: the situation's own tips first, then its parents'.

        Which parent tips a situation takes is in its stage rules (``safety-threat``
        takes none); the channel rule is the one :meth:`pick` applies.
        """
        raw = (stage, situation, tupled(locale), channel, gloss)
        try:
            return self.tips_front[raw]
        except (KeyError, TypeError):  # not seen yet, or an unhashable (invalid) argument
            pass
        check_arguments(
            stage=stage, situation=situation, locale=locale, channel=channel, gloss=gloss
        )
        stage_ = Stage.coerce(stage)
        channel_ = coerce_option(Channel, "channel", channel)
        self.situation_chain(situation)
        negotiated = self.negotiate(locale)
        gloss_locale = negotiate(gloss, self._available).locale if gloss is not None else None
        key = (Kind.TIP, stage_, situation, negotiated, channel_, gloss_locale)
        found = self.selections.get(key)
        if found is None:
            found = remember(
                self.selections,
                key,
                self._select_tips(stage_, situation, negotiated, channel_, gloss_locale),
            )
        return remember(self.tips_front, raw, found)  # type: ignore[no-any-return]

    def _select_tips(
        self,
        stage: Stage,
        situation: str,
        negotiated: Negotiated,
        channel: Channel | None,
        gloss_locale: str | None,
    ) -> tuple[Tip, ...]:
        result: list[Tip] = []
        for eid, came_from in self._neutral.lines.get((situation, stage, Kind.TIP), ()):
            e = self._neutral.entries[eid]
            if not suits(e, channel):
                continue
            data, (notes, warns) = self._texts_for(e, negotiated.locale)
            # A tip has one register-free text (the loader allows nothing else).
            variant = data.texts[e.id][None][0]
            gloss_obj = None
            if gloss_locale is not None:
                gdata, _ = self._texts_for(e, gloss_locale)
                gvariant = gdata.texts[e.id][None][0]
                gloss_obj = Gloss.model_construct(
                    locale=gdata.id, text=render_variant(e, gvariant, get_locale(gdata.id), {})
                )
            result.append(
                Tip.model_construct(
                    text=render_variant(e, variant, get_locale(data.id), {}),
                    id=e.id,
                    stage=e.stage,
                    situation=came_from,
                    locale=data.id,
                    fallback=((negotiated.fallback,) if negotiated.fallback else ()) + notes,
                    warnings=negotiated.warnings + warns,
                    gloss=gloss_obj,
                )
            )
        return tuple(result)
