"""The Phrasebook: pick, text, options, tips and playbook over loaded catalogues.

A :class:`Phrasebook` is immutable once made and safe to share between
threads: locales are loaded lazily, once, under a lock. Every question of the
form "which lines fit here?" is answered by one selection
(:meth:`Phrasebook._select`), which starts from the neutral file's line sets
(the situations' stage rules, applied at load) and keeps the entries and
variants that suit the channel, the register and the values. Its answers are
kept in bounded caches keyed on normalised input (the negotiated locale, the
coerced stage, register and channel, the value names); a small front cache
keyed on the call's own arguments sits before them on the hot path.
:func:`cache_clear` empties all of them.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from babel import Locale

from . import i18n, render
from ._arguments import (
    check_arguments,
    check_seed,
    check_values_mapping,
    check_variant,
    entry_point,
)
from .catalogue import (
    SOURCE_LOCALE,
    CatalogueDir,
    EntryDef,
    LocaleData,
    Neutral,
    Store,
    Variant,
    shipped_store,
)
from .catalogue import directory as catalogue_directory
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
    Playbook,
    PlaybookStage,
    Register,
    SituationInfo,
    Stage,
    StageRuleInfo,
    Tip,
    coerce_option,
)
from .render import (
    MAX_RENDERED_LENGTH,
    MAX_VALUE_LENGTH,
    Formatter,
    _number,
    choose_plural,
    has_surrogate,
)

if TYPE_CHECKING:  # conversation imports this module; import it lazily at run time
    from .conversation import Conversation, ConversationState
    from .listening import Heard

__all__ = [
    "CURRENCY",
    "MEMO_SIZE",
    "Phrasebook",
    "cache_clear",
    "check_seed",
    "choose",
    "listen",
    "pick",
    "playbook",
    "text",
    "tips",
]

_ANY_CHANNEL = frozenset(Channel)
_ABSENT = object()

CURRENCY = "currency"
"""The value name that gives the currency of a plain-number money value."""

MEMO_SIZE = 2048
"""The most answers each of a phrasebook's caches keeps (the oldest go first)."""

LocaleArg = str | Sequence[str]
Values = Mapping[str, object]


_MEMO_LOCK = threading.Lock()


def _remember(memo: dict[Any, Any], key: Any, value: Any, size: int = MEMO_SIZE) -> Any:
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


_BOOKS: weakref.WeakSet[Phrasebook] = weakref.WeakSet()


def cache_clear() -> None:
    """Empty every cache of the package: each phrasebook's answers, locales, rendering.

    Loaded catalogues are data, not caches, and stay loaded. Tests call this
    before each test, so no test depends on what another left behind.
    """
    i18n.cache_clear()
    render.cache_clear()
    for book in list(_BOOKS):
        book._clear_caches()


Plan = tuple[tuple[str, bool, Formatter], ...]
"""Each placeholder's name, whether it is text, and its formatter (see Formats.plan)."""


def _value_locale(data: LocaleData) -> Locale:
    """The Babel locale that formats values for ``data`` (its ``[formats] cldr``, or itself)."""
    return get_locale(data.formats.locale(data.id))


def _plan(data: LocaleData, entry: EntryDef, channel: Channel | None) -> Plan:
    """``entry``'s formatters with ``data``'s formatting choices for ``channel`` bound."""
    return data.formats.plan(entry.placeholders, channel, entry.formatters, _value_locale(data))


def _format_values(
    entry: EntryDef, values: Values, babel: Locale, plan: Plan | None = None
) -> dict[str, str]:
    """The given values of ``entry``'s placeholders, formatted for ``babel``.

    Values the entry does not declare are ignored here (the candidates were
    matched to the value names when they were selected); a plain-number money
    value takes its currency from the ``currency`` value. ``plan`` carries a
    locale's formatting choices (by default, the entry's plain formatters).
    """
    formatted: dict[str, str] = {}
    currency: Any = values.get(CURRENCY)
    if currency.__class__ is not str:
        currency = None
    for name, is_text, format_one in entry.formatters if plan is None else plan:
        value = values.get(name, _ABSENT)
        if value is _ABSENT:
            continue
        if (
            is_text
            and value.__class__ is str
            and len(value) <= MAX_VALUE_LENGTH
            and (value.isascii() or not has_surrogate(value))
        ):
            formatted[name] = value  # text needs no formatting, only the checks
        else:
            formatted[name] = format_one(value, babel, currency)
    return formatted


def _render(
    entry: EntryDef, variant: Variant, babel: Locale, values: Values, *, plan: Plan | None = None
) -> str:
    """The text of ``variant`` with ``values``: the one render path (plural forms included)."""
    formatted = _format_values(entry, values, babel, plan)
    if variant.template is not None:
        return variant.template.render(formatted)
    count = values.get(entry.plural or "")
    if count is None:
        template = (variant.forms or {})["other"]
    else:
        template = choose_plural(
            variant.forms or {}, babel, _number(entry.plural or "", count, "a number")
        )
    return template.render(formatted)


def _renderer(
    entry: EntryDef,
    variant: Variant,
    babel: Locale,
    fill: Mapping[str, object],
    plan: Plan | None = None,
) -> Callable[[Values], str]:
    """The function that renders one candidate with a call's values.

    A template with one placeholder (the common case) gets a function that
    formats the value and joins three strings; anything else (several
    placeholders, plural forms, defaults from an overlay) goes through :func:`_render`.
    Both give the same text: the short cut skips only work that cannot change it.
    """
    template = variant.template
    if template is None or fill or len(template.keys) != 1:

        def render_any(values: Values) -> str:
            return _render(entry, variant, babel, {**fill, **values} if fill else values, plan=plan)

        return render_any

    (name,) = template.keys
    is_text, format_one = next(
        (t, f) for n, t, f in (entry.formatters if plan is None else plan) if n == name
    )
    before, after = template.literals
    longest = MAX_VALUE_LENGTH
    # A text value within its limit always fits the rendered limit here, so the
    # text path skips that check; a template too long for that takes the other path.
    is_text = is_text and len(before) + len(after) + longest <= MAX_RENDERED_LENGTH

    def render_one(values: Values) -> str:
        value: object = values.get(name, _ABSENT)
        if value is _ABSENT:
            raise MissingValueError(entry.id, (name,))
        currency: Any = values.get(CURRENCY)
        return template.join_one(
            format_one(value, babel, currency if currency.__class__ is str else None)
        )

    if not is_text:
        return render_one

    def render_text(values: Values) -> str:
        # The hot path: a plain str within its limit goes in as it is.
        try:
            value = values[name]
        except KeyError:
            return render_one(values)
        if value.__class__ is str and len(value) <= longest and value.isascii():
            return f"{before}{value}{after}"
        return render_one(values)  # the full checks (lone surrogates) for other text

    return render_text


def _accepted(entry: EntryDef) -> frozenset[str]:
    """The value names ``entry`` takes: its placeholders, and ``currency`` with a money one."""
    names = entry.placeholders.keys()
    if any(p.type is PlaceholderType.MONEY for p in entry.placeholders.values()):
        return frozenset((*names, CURRENCY))
    return frozenset(names)


def _suits(entry: EntryDef, channel: Channel | None) -> bool:
    """The channel rule, the same for every question: with no channel, only lines for all."""
    return channel in entry.channels if channel is not None else entry.channels == _ANY_CHANNEL


def _salt(entry_id: str) -> int:
    import zlib  # a playbook's need only: kept off import time

    return zlib.crc32(entry_id.encode())


@dataclass(frozen=True, slots=True)
class _Candidate:
    """One variant the picker may choose, with everything known before values arrive."""

    entry: EntryDef
    variant: Variant
    data: LocaleData
    babel: Locale
    register: Register
    prototype: Phrase
    """The result, complete for a variant without placeholders."""
    text: str
    """The prototype's text (what text() returns when ``ready``)."""
    fill: Mapping[str, object]
    """Default values (from overlays) for placeholders the call gives no value for."""
    ready: bool
    """Whether the prototype is the finished result when the call gives no values."""
    render: Callable[[Values], str]
    """The text for a call's values (see :func:`_renderer`)."""
    gloss_locale: str | None
    """The catalogue locale of the gloss the call asked for, if any."""


class Phrasebook:
    """The shipped catalogues (and any overlays), ready to pick from.

    Make one with :meth:`default` (the shipped catalogues, loaded lazily per
    locale) or :meth:`load` (a catalogue directory of your own, on top of the
    shipped one or instead of it).

    >>> book = Phrasebook.default()
    >>> book.pick("restate", locale="en-GB", values={"summary": "the parcel is late"}, seed=1).text
    'Let me make sure I have this right: the parcel is late.'
    """

    def __init__(
        self,
        neutral: Neutral,
        files: Mapping[str, CatalogueDir],
        *,
        preloaded: Mapping[str, LocaleData] | None = None,
        store: Store | None = None,
    ) -> None:
        """Prefer :meth:`default` or :meth:`load`; this takes already validated parts.

        ``files`` are read lazily; ``preloaded`` locales (overlays merged at load
        time) are used as they are; a ``store`` given holds both.
        """
        self._neutral = neutral
        self._store = store or Store(neutral, files, preloaded=preloaded)
        """Where every catalogue comes from: selection never opens a file."""
        self._available = self._store.locales
        self._front: dict[Any, tuple[_Candidate, ...]] = {}
        """Raw call arguments → candidates: the hot path's one lookup."""
        self._selections: dict[Any, Any] = {}
        """Normalised questions → candidates (phrases) or tips."""
        self._picked: dict[Any, _Candidate] = {}
        """Raw call arguments with a seed → the candidate chosen."""
        self._tips: dict[Any, tuple[Tip, ...]] = {}
        self._stages: dict[Any, tuple[PlaybookStage, tuple[str, ...]]] = {}
        """Playbook stages without values, with their warnings, built once."""
        self._playbooks: dict[Any, Playbook] = {}
        self._negotiated: dict[Any, Negotiated] = {}
        """A locale argument as given → its negotiation."""
        self._random: Callable[[], float] | None = None
        """The source of unseeded choices, made on first use (random is slow to import)."""
        _BOOKS.add(self)

    def _clear_caches(self) -> None:
        """Forget every answer (loaded locales stay loaded)."""
        memos = (self._front, self._selections, self._picked, self._tips, self._stages)
        for memo in (*memos, self._playbooks, self._negotiated):
            memo.clear()

    # --- construction ---------------------------------------------------------------

    @classmethod
    def default(cls) -> Phrasebook:
        """The shipped catalogues; one shared instance, made on first use."""
        return _default_book()

    @classmethod
    def from_directory(cls, directory: CatalogueDir) -> Phrasebook:
        """Load one catalogue directory (``entries.toml`` plus locale files).

        ``directory`` is a path (``str`` or ``os.PathLike``) or a
        ``importlib.resources`` traversable.
        """
        if isinstance(directory, str | os.PathLike):
            directory = catalogue_directory(directory)
        elif not all(hasattr(directory, name) for name in ("joinpath", "iterdir", "read_bytes")):
            raise InvalidOptionError(
                "directory", directory, ["a path (str or os.PathLike)", "a Traversable"]
            )
        store = Store.from_directory(directory)
        return cls(store.neutral, store.files, store=store)

    @classmethod
    @entry_point
    def load(cls, *paths: str | os.PathLike[str], include_default: bool = True) -> Phrasebook:
        """The shipped catalogues with company overlay directories laid on top, in order.

        An overlay directory may hold an ``entries.toml`` (new situations, new
        entries, default ``[values]`` such as ``company = "Acme"``) and locale
        files (``en.toml``, ``da.toml``, ...) with texts for new or shipped
        entries; see ``docs/overlays.md``. Every overlay file is validated now,
        exactly like a shipped file, and a :class:`CatalogueError` names the
        file, entry, field and line. Nothing is written and nothing shared is
        changed: a broken overlay leaves :meth:`default` as it was.

        With ``include_default=False`` the first directory is a full catalogue
        (``entries.toml`` with ``general``, and ``en.toml``) that replaces the
        shipped one; it is validated completely, now.

        >>> book = Phrasebook.load()  # no overlays: the shipped catalogues
        >>> book.locales == Phrasebook.default().locales
        True
        """
        store = Store.layered(
            [catalogue_directory(p) for p in paths], include_default=include_default
        )
        return cls(store.neutral, store.files, store=store)

    @classmethod
    def _shipped(cls) -> Phrasebook:
        """The shipped catalogues, from their compiled form where a wheel carries it."""
        store = Store.shipped()
        return cls(store.neutral, store.files, store=store)

    # --- what is there --------------------------------------------------------------

    @property
    def store(self) -> Store:
        """Where this phrasebook's catalogues come from (the translator tools read it)."""
        return self._store

    @property
    def values(self) -> Mapping[str, object]:
        """Default placeholder values set by overlays (``[values]``), e.g. ``company``."""
        return self._neutral.values

    @property
    def locales(self) -> tuple[str, ...]:
        """The locale ids with a catalogue, e.g. ``('af', 'da', 'en', ...)``."""
        return self._available

    def _negotiate(self, locale: str | Sequence[str]) -> Negotiated:
        """The catalogue for ``locale``, with a warning when it follows another territory."""
        negotiated = negotiate(locale, self._available)
        usage = self.locale_data(negotiated.locale).usage
        return negotiated if usage is None else with_usage(negotiated, usage)

    @property
    def neutral(self) -> Neutral:
        """The validated locale-neutral metadata."""
        return self._neutral

    def situations(self) -> tuple[SituationInfo, ...]:
        """The situation taxonomy, ``general`` first."""
        items = sorted(
            self._neutral.situations.values(), key=lambda s: (s.parent is not None, s.id)
        )
        return tuple(
            SituationInfo.model_construct(
                id=s.id,
                parent=s.parent,
                description=s.description,
                inherits=s.inherits,
                ladder=s.ladder,
                stages=tuple(
                    StageRuleInfo.model_construct(
                        stage=stage,
                        phrases="replace" if rule.phrases == "replace" else "extend",
                        tips="replace" if rule.tips == "replace" else "extend",
                        exclude=tuple(sorted(rule.exclude)),
                    )
                    for stage, rule in sorted(
                        s.stages.items(), key=lambda item: list(Stage).index(item[0])
                    )
                ),
            )
            for s in items
        )

    def locale_data(self, locale_id: str) -> LocaleData:
        """The validated catalogue of one locale id (loaded on first use, by the store)."""
        return self._store.locale(locale_id)

    def load_all(self) -> tuple[LocaleData, ...]:
        """Load and validate every locale now (``deescalate check`` does this)."""
        return tuple(self.locale_data(locale_id) for locale_id in self._available)

    # --- selection ------------------------------------------------------------------

    def pick(
        self,
        stage: Stage | str,
        *,
        situation: str = "general",
        locale: LocaleArg = SOURCE_LOCALE,
        register: Register | str | None = None,
        channel: Channel | str | None = None,
        values: Values | None = None,
        defaults: Values | None = None,
        seed: int | None = None,
        gloss: str | None = None,
        strict: bool = False,
        entry: str | None = None,
        variant: int | None = None,
    ) -> Phrase:
        """Return a line to say to the customer at ``stage``.

        ``situation`` narrows the content: its own lines, and its parent's as
        its stage rules allow (``safety-threat`` takes nothing from
        ``general``). ``locale`` is a tag, a list of tags or an Accept-Language
        value. ``register`` is a preference unless ``strict``. ``channel`` keeps
        only lines that suit it; without one, only lines that suit every
        channel. ``values`` fill the entry's placeholders and choose among
        entries: only entries that use exactly the given values (all their
        required ones, any of their optional ones) are eligible. ``defaults``
        are values used where an entry declares them and never rule an entry
        out (a contact's customer name, say). ``seed`` makes the choice
        deterministic. ``gloss`` adds the same line in a second locale.
        ``entry`` asks for one entry id (a ladder step, say) and ``variant`` for
        one of its variants.
        """
        _check_unkeyed(values, defaults, seed, variant)
        key = (
            stage, situation, locale, register, channel, strict, entry, gloss,
            (*values,) if values else None, (*defaults,) if defaults else None, seed, variant,
        )  # fmt: skip
        try:  # a repeated seeded call: one lookup
            chosen = self._picked[key]
        except (KeyError, TypeError):
            chosen = self._chosen(key, values, defaults)
        if defaults:
            values = {**defaults, **values} if values else defaults
        if gloss is None:
            if chosen.ready:
                if values:  # checked even where this variant does not show them
                    _format_values(chosen.entry, values, chosen.babel)
                return chosen.prototype
            return chosen.prototype.model_copy(update={"text": chosen.render(values or {})})
        return self._finish(chosen, values or {})

    def text(
        self,
        stage: Stage | str,
        *,
        situation: str = "general",
        locale: LocaleArg = SOURCE_LOCALE,
        register: Register | str | None = None,
        channel: Channel | str | None = None,
        values: Values | None = None,
        defaults: Values | None = None,
        seed: int | None = None,
        strict: bool = False,
        entry: str | None = None,
        variant: int | None = None,
    ) -> str:
        """Just the words of :meth:`pick`: the same line, as a plain ``str``.

        The arguments, the choice (the same ``seed`` gives the same line) and the
        errors are those of :meth:`pick`; what is left out is the result object,
        with its fallbacks, warnings and flags. For a hot path that only shows
        or sends the line; call :meth:`pick` where the agent should see why a
        line was chosen.

        >>> book = Phrasebook.default()
        >>> book.text("restate", locale="en", seed=1, values={"summary": "the parcel is late"})
        'Let me make sure I have this right: the parcel is late.'
        """
        _check_unkeyed(values, defaults, seed, variant)
        key = (
            stage, situation, locale, register, channel, strict, entry, None,
            (*values,) if values else None, (*defaults,) if defaults else None, seed, variant,
        )  # fmt: skip
        try:  # a repeated seeded call: one lookup
            chosen = self._picked[key]
        except (KeyError, TypeError):
            chosen = self._chosen(key, values, defaults)
        if defaults:
            values = {**defaults, **values} if values else defaults
        if chosen.ready:
            if values:  # checked even where this variant does not show them
                _format_values(chosen.entry, values, chosen.babel)
            return chosen.text
        return chosen.render(values or {})

    def options(
        self,
        stage: Stage | str,
        *,
        situation: str = "general",
        locale: LocaleArg = SOURCE_LOCALE,
        register: Register | str | None = None,
        channel: Channel | str | None = None,
        values: Values | None = None,
        defaults: Values | None = None,
        strict: bool = False,
        entry: str | None = None,
    ) -> tuple[tuple[str, int], ...]:
        """The ``(entry id, variant)`` pairs :meth:`pick` would choose from, in order.

        A caller that keeps its own rotation (a :class:`Conversation` does) passes
        one pair back as ``pick(..., entry=id, variant=n)``. A playbook shows one
        line for each entry here (and a ladder's later steps).
        """
        candidates = self._candidates(
            stage, situation, locale, register, channel, strict, entry, None, values, defaults
        )
        return tuple((c.entry.id, c.variant.index) for c in candidates)

    def _chosen(
        self, key: tuple[Any, ...], values: Values | None, defaults: Values | None
    ) -> _Candidate:
        """The candidate a pick or text() with these arguments (``key``) says.

        A seeded choice is the same every time, so it is remembered under the
        call's own arguments (only the names of the values count), and a
        repeated seeded call costs one lookup. ``seed.__class__ is int`` keeps
        ``True`` (equal to 1) out of that memo, so it is refused as a seed.
        """
        stage, situation, locale, register, channel, strict, entry, gloss, _, _, seed, variant = key
        candidates = self._candidates(
            stage, situation, locale, register, channel, strict, entry, gloss, values, defaults
        )
        chosen = self._choose(candidates, seed, entry, variant)
        if seed.__class__ is int:
            _remember(self._picked, key, chosen)
        return chosen

    def _candidates(
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
    ) -> tuple[_Candidate, ...]:
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
            return self._front[key]
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
        negotiated = self._negotiate(locale)  # type: ignore[arg-type]
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
        return _remember(self._front, key, found)  # type: ignore[no-any-return]

    def _choose(
        self,
        candidates: tuple[_Candidate, ...],
        seed: int | None,
        entry: str | None,
        variant: int | None,
    ) -> _Candidate:
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
    def _exact(candidates: tuple[_Candidate, ...], entry: str | None, variant: int) -> _Candidate:
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
    ) -> tuple[_Candidate, ...]:
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
        cached = self._selections.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        if entry_id is not None:
            entries = [self._named_entry(entry_id, stage, situation, channel, given, defaults)]
            fallbacks: list[Fallback] = []
        else:
            entries, fallbacks = self._eligible(stage, situation, channel, given, defaults)
        if negotiated.fallback is not None:
            fallbacks.insert(0, negotiated.fallback)
        candidates: list[_Candidate] = []
        for e, came_from in entries:
            data, (notes, warns) = self._texts_for(e, negotiated.locale)
            variants, used, reg_fallback = self._variants(e, data, register, strict)
            usable = self._usable(e, given, defaults)
            entry_fallbacks = (*fallbacks, *notes, *((reg_fallback,) if reg_fallback else ()))
            entry_warnings = (*negotiated.warnings, *warns)
            for v in variants:
                if v.names <= usable:
                    candidates.append(
                        self._candidate(
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
        return _remember(self._selections, key, tuple(candidates))  # type: ignore[no-any-return]

    def situation_chain(self, situation: str) -> tuple[str, ...]:
        """The situation and the ancestors whose content it may use, nearest first.

        ``safety-threat`` does not inherit, so its chain is itself alone; an
        unknown id raises :class:`UnknownSituationError`. Which of an
        ancestor's lines a situation takes at each stage is in its stage rules.
        """
        situations = self._neutral.situations
        if not isinstance(situation, str) or situation not in situations:
            raise UnknownSituationError(situation, situations)
        chain = [situation]
        current = situations[situation]
        while current.inherits and current.parent is not None:
            chain.append(current.parent)
            current = situations[current.parent]
        return tuple(chain)

    def lines(
        self, stage: Stage | str, *, situation: str = "general", kind: Kind | str = Kind.PHRASE
    ) -> tuple[str, ...]:
        """The entry ids that fit ``situation`` at ``stage`` before channel, register and values.

        The situation's stage rules applied (see ``docs/overlays.md``); a
        ladder's later steps included.

        >>> Phrasebook.default().lines("cool-down", situation="safety-threat", kind="tip")[:1]
        ('cool-down.safety-threat.debrief',)
        """
        self.situation_chain(situation)
        kind_ = coerce_option(Kind, "kind", kind) or Kind.PHRASE
        return self._neutral.line_ids(situation, Stage.coerce(stage), kind_)

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
        accepted = _accepted(entry)
        extra = given - accepted
        if extra:
            raise UnexpectedValueError(f"entry {entry.id!r}", extra, accepted)
        missing = entry.required - self._usable(entry, given, defaults)
        if missing:
            raise MissingValueError(entry.id, missing)

    def _accepts(self, entry: EntryDef, given: frozenset[str], defaults: frozenset[str]) -> bool:
        if not entry.required <= self._usable(entry, given, defaults):
            return False
        return given <= _accepted(entry)

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
            if entries[e].ladder_step <= 1 and _suits(entries[e], channel)
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
        declared = frozenset().union(*(_accepted(e) for e, _ in pool))
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
        data = self.locale_data(locale_id)
        if entry.id in data.texts or locale_id == SOURCE_LOCALE:
            if entry.id not in data.texts:
                raise CatalogueError(
                    f"the source locale has no text for entry {entry.id!r}", path=data.path
                )
            return data, ((), ())
        source = self.locale_data(SOURCE_LOCALE)
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

    def _candidate(
        self,
        entry: EntryDef,
        variant: Variant,
        data: LocaleData,
        register: Register,
        fallbacks: Iterable[Fallback],
        warnings: tuple[str, ...],
        situation: str,
        given: frozenset[str] = frozenset(),
        gloss_locale: str | None = None,
        channel: Channel | None = None,
    ) -> _Candidate:
        fill = {
            name: value
            for name, value in self._neutral.values.items()
            if name in entry.placeholders and name not in given
        }
        # The locale's formatting choices for this channel, bound once for every pick.
        babel = _value_locale(data)
        plan = _plan(data, entry, channel)
        text = ""
        ready = False
        if variant.template is not None and variant.template.is_static:
            text = variant.template.render({})
            ready = True
        elif variant.template is not None and fill and variant.names <= fill.keys():
            # Overlay defaults complete it: render once here, not on every pick.
            text = _render(entry, variant, babel, fill, plan=plan)
            ready = True
        prototype = Phrase.model_construct(
            text=text,
            id=entry.id,
            variant=variant.index,
            stage=entry.stage,
            situation=situation,
            locale=data.id,
            register_=register,
            channels=tuple(c for c in Channel if c in entry.channels),
            flags=entry.flags,
            fallback=tuple(fallbacks),
            warnings=warnings,
            gloss=None,
        )
        return _Candidate(
            entry,
            variant,
            data,
            babel,
            register,
            prototype,
            text,
            fill,
            ready,
            _renderer(entry, variant, babel, fill, plan),
            gloss_locale,
        )

    # --- rendering ------------------------------------------------------------------

    def _finish(self, chosen: _Candidate, values: Values) -> Phrase:
        if chosen.ready:
            _format_values(chosen.entry, values, chosen.babel)  # checks the values
            text = chosen.prototype.text
        else:
            text = chosen.render(values)
        update: dict[str, object] = {"text": text}
        if chosen.gloss_locale is not None:
            update["gloss"] = self._gloss(chosen, {**chosen.fill, **values}, chosen.gloss_locale)
        return chosen.prototype.model_copy(update=update)

    def _gloss(self, chosen: _Candidate, values: Values, gloss_locale: str) -> Gloss:
        data, _ = self._texts_for(chosen.entry, gloss_locale)
        variants, _, _ = self._variants(chosen.entry, data, None, False)
        given = frozenset(values)
        fitting = [v for v in variants if v.names <= given] or list(variants)
        same = [v for v in fitting if v.index == chosen.variant.index]
        variant = same[0] if same else fitting[chosen.variant.index % len(fitting)]
        text = _render(
            chosen.entry,
            variant,
            _value_locale(data),
            values,
            plan=_plan(data, chosen.entry, None),
        )
        return Gloss.model_construct(locale=data.id, text=text)

    # --- tips and playbooks ---------------------------------------------------------

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
        raw = (stage, situation, _tupled(locale), channel, gloss)
        try:
            return self._tips[raw]
        except (KeyError, TypeError):  # not seen yet, or an unhashable (invalid) argument
            pass
        check_arguments(
            stage=stage, situation=situation, locale=locale, channel=channel, gloss=gloss
        )
        stage_ = Stage.coerce(stage)
        channel_ = coerce_option(Channel, "channel", channel)
        self.situation_chain(situation)
        negotiated = self._negotiate(locale)
        gloss_locale = negotiate(gloss, self._available).locale if gloss is not None else None
        key = (Kind.TIP, stage_, situation, negotiated, channel_, gloss_locale)
        found = self._selections.get(key)
        if found is None:
            found = _remember(
                self._selections,
                key,
                self._select_tips(stage_, situation, negotiated, channel_, gloss_locale),
            )
        return _remember(self._tips, raw, found)  # type: ignore[no-any-return]

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
            if not _suits(e, channel):
                continue
            data, (notes, warns) = self._texts_for(e, negotiated.locale)
            # A tip has one register-free text (the loader allows nothing else).
            variant = data.texts[e.id][None][0]
            gloss_obj = None
            if gloss_locale is not None:
                gdata, _ = self._texts_for(e, gloss_locale)
                gvariant = gdata.texts[e.id][None][0]
                gloss_obj = Gloss.model_construct(
                    locale=gdata.id, text=_render(e, gvariant, get_locale(gdata.id), {})
                )
            result.append(
                Tip.model_construct(
                    text=_render(e, variant, get_locale(data.id), {}),
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

    @entry_point
    def playbook(
        self,
        situation: str = "general",
        *,
        locale: LocaleArg = SOURCE_LOCALE,
        register: Register | str | None = None,
        channel: Channel | str | None = None,
        values: Values | None = None,
        seed: int | None = None,
        gloss: str | None = None,
    ) -> Playbook:
        """Every stage in order for ``situation``: one line per entry :meth:`options` offers.

        A stage shows exactly the entries a :meth:`pick` with the same
        arguments chooses from (``values`` are used as ``defaults``: they fill
        the entries that declare them and rule nothing out), and a ladder's
        later steps after them, in order. Without a ``seed`` each entry shows
        its first fitting variant.
        """
        seed = check_seed(seed)
        raw = (
            situation,
            _tupled(locale),
            register,
            channel,
            seed,
            gloss,
        )
        if not values:
            cached = self._playbooks.get(raw)
            if cached is not None:
                return cached
        register_ = coerce_option(Register, "register", register)
        channel_ = coerce_option(Channel, "channel", channel)
        chain = self.situation_chain(situation)
        defaults = dict(values or {})
        self._check_playbook_values(situation, chain, defaults.keys())
        negotiated = self._negotiated.get(raw[1])
        if negotiated is None:
            negotiated = _remember(self._negotiated, raw[1], self._negotiate(locale))
        data = self.locale_data(negotiated.locale)
        source = self.locale_data(SOURCE_LOCALE)
        stages: list[PlaybookStage] = []
        warnings: list[str] = list(negotiated.warnings)
        for stage in Stage:
            # A stage without values is the same in every such playbook: built once.
            key = (stage, situation, negotiated, register_, channel_, seed, gloss)
            built = None if values else self._stages.get(key)
            if built is None:
                phrases = self._playbook_phrases(
                    stage, situation, locale, register_, channel_, defaults, seed, gloss
                )
                shown = PlaybookStage.model_construct(
                    stage=stage,
                    label=data.labels.get(stage.value)
                    or source.labels.get(stage.value, stage.value),
                    phrases=phrases,
                    tips=self.tips(
                        stage, situation=situation, locale=locale, channel=channel_, gloss=gloss
                    ),
                )
                built = (shown, tuple(dict.fromkeys(w for p in phrases for w in p.warnings)))
                if not values:
                    _remember(self._stages, key, built)
            stages.append(built[0])
            warnings.extend(w for w in built[1] if w not in warnings)
        register_used = register_ if register_ in data.registers else data.default_register
        # model_construct, not validation: a playbook builds no pydantic schema.
        result = Playbook.model_construct(
            situation=situation,
            title=data.situation_names.get(situation)
            or source.situation_names.get(situation, situation),
            locale=data.id,
            register_=register_used,
            channel=channel_,
            stages=tuple(stages),
            fallback=(negotiated.fallback,) if negotiated.fallback else (),
            warnings=tuple(warnings),
        )
        if not values:
            _remember(self._playbooks, raw, result, 256)
        return result

    def _check_playbook_values(
        self, situation: str, chain: tuple[str, ...], given: Iterable[str]
    ) -> None:
        """Values no line of the playbook takes are an error, as they are for :meth:`pick`."""
        accepted = frozenset().union(
            *(
                _accepted(e)
                for e in self._neutral.entries.values()
                if e.kind is Kind.PHRASE and any(s in chain for s in e.situations)
            )
        )
        extra = set(given) - accepted
        if extra:
            raise UnexpectedValueError(f"playbook of situation {situation!r}", extra, accepted)

    def _playbook_phrases(
        self,
        stage: Stage,
        situation: str,
        locale: LocaleArg,
        register: Register | None,
        channel: Channel | None,
        defaults: dict[str, object],
        seed: int | None,
        gloss: str | None,
    ) -> tuple[Phrase, ...]:
        """One phrase per entry the selection offers at ``stage``, then the ladder's steps."""

        def offered(entry: str | None) -> tuple[_Candidate, ...]:
            try:
                return self._candidates(
                    stage, situation, locale, register, channel, False, entry, gloss, None,
                    defaults or None,
                )  # fmt: skip
            except (NoContentError, MissingValueError, UnexpectedValueError, UnknownEntryError):
                return ()

        groups: dict[str, list[_Candidate]] = {}
        for candidate in offered(None):
            groups.setdefault(candidate.entry.id, []).append(candidate)
        entries = self._neutral.entries
        for eid in self._neutral.line_ids(situation, stage, Kind.PHRASE):
            if entries[eid].ladder_step > 1 and _suits(entries[eid], channel):
                for candidate in offered(eid):
                    groups.setdefault(eid, []).append(candidate)
        phrases: list[Phrase] = []
        for eid, group in groups.items():
            index = 0 if seed is None else choose(seed, len(group), _salt(eid))
            chosen = group[index]
            if gloss is None and chosen.ready:
                phrases.append(chosen.prototype)
            else:
                phrases.append(self._finish(chosen, defaults))
        return tuple(phrases)

    # --- listening -------------------------------------------------------------------

    def listen(self, text: str, *, locale: str | Sequence[str] = "en") -> Heard:
        """What a customer's words signal, heard with the phrases of ``locale``'s catalogue.

        ``text`` is one utterance: a transcript line or a chat message. The
        result lists each signal heard (self-harm, violence, legal threat,
        abuse, a manager request, distress, calming down) with the customer's
        words that carried it, the situation and conversation event it
        suggests, and a confidence: ``high`` for a direct phrase, ``low`` for
        a weaker cue. These are hints for the agent, never a verdict.
        :meth:`Conversation.hear` notes what the direct signals imply.

        >>> heard = Phrasebook.default().listen("Jeg vil tale med din chef", locale="da")
        >>> heard.signals[0].signal.value, heard.situation
        ('wants-manager', 'wants-manager')
        """
        from .listening import listen

        return listen(self, text, locale=locale)

    # --- conversations --------------------------------------------------------------

    @entry_point
    def conversation(self, **options: Any) -> Conversation:
        """Start a contact with memory: no repeated lines, the abuse ladder, safety mode.

        The options are those of :class:`~deescalate.Conversation`: ``situation``,
        ``locale``, ``register``, ``channel``, ``gloss``, ``customer_name``, ``values``,
        ``warnings``, ``seed`` and ``clock``.

        >>> conv = Phrasebook.default().conversation(situation="late-delivery", seed=1)
        >>> conv.say(conv.next_stage()).stage
        <Stage.CALM: 'calm'>
        """
        from .conversation import Conversation

        return Conversation(self, **options)

    @entry_point
    def resume(
        self, state: ConversationState | str | bytes | Mapping[str, Any], **options: Any
    ) -> Conversation:
        """Carry on a contact from its saved state (the model, its JSON, or that JSON parsed).

        See :meth:`deescalate.Conversation.resume` for ``repair`` and ``clock``; a
        state that does not fit these catalogues raises :class:`~deescalate.StateError`.
        """
        from .conversation import Conversation

        return Conversation.resume(self, state, **options)


@lru_cache(maxsize=1)
def _default_book() -> Phrasebook:
    store = shipped_store()
    return Phrasebook(store.neutral, store.files, store=store)


def _check_unkeyed(values: object, defaults: object, seed: object, variant: object) -> None:
    """The checks a pick's front cache cannot stand for: before its key is built, since
    ``True == 1 == 1.0`` would find an int's answer and a list's names a mapping's."""
    if (
        (values is not None and values.__class__ is not dict)
        or (defaults is not None and defaults.__class__ is not dict)
        or (seed is not None and seed.__class__ is not int)
        or (variant is not None and variant.__class__ is not int)
    ):
        check_arguments(values=values, defaults=defaults, seed=seed, variant=variant)


def _tupled(locale: object) -> object:
    """A list of tags as a tuple (hashable); anything else as it is, to be checked."""
    return tuple(locale) if locale.__class__ is list else locale


def pick(stage: Stage | str, **options: Any) -> Phrase:
    """:meth:`Phrasebook.pick` on the shipped catalogues."""
    return _default_book().pick(stage, **options)


def text(stage: Stage | str, **options: Any) -> str:
    """:meth:`Phrasebook.text` on the shipped catalogues."""
    return _default_book().text(stage, **options)


def tips(stage: Stage | str, **options: Any) -> tuple[Tip, ...]:
    """:meth:`Phrasebook.tips` on the shipped catalogues."""
    return _default_book().tips(stage, **options)


@entry_point
def playbook(situation: str = "general", **options: Any) -> Playbook:
    """:meth:`Phrasebook.playbook` on the shipped catalogues."""
    return _default_book().playbook(situation, **options)


def listen(text: str, *, locale: str | Sequence[str] = "en") -> Heard:
    """:meth:`Phrasebook.listen` on the shipped catalogues."""
    return _default_book().listen(text, locale=locale)
