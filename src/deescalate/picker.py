"""The Phrasebook: pick, text, options, tips and playbook over loaded catalogues.

A :class:`Phrasebook` is immutable once made and safe to share between
threads: locales are loaded lazily, once, under a lock, by its catalogue
:class:`~deescalate.catalogue.Store`. Every question of the form "which lines
fit here?" is answered by one :class:`~deescalate.selection.Selection`; results
are made by :mod:`deescalate.results` and playbooks by
:mod:`deescalate.playbooks`. This module is the public face over them: the
argument handling of the hot path, and nothing that walks entries.
:func:`cache_clear` empties every cache.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from . import i18n, render
from ._arguments import MISS, check_arguments, check_seed, entry_point, with_front
from .catalogue import (
    SOURCE_LOCALE,
    CatalogueDir,
    LocaleData,
    Neutral,
    Store,
    shipped_store,
)
from .catalogue import directory as catalogue_directory
from .choice import choose
from .errors import InvalidOptionError
from .models import (
    Channel,
    Kind,
    Phrase,
    Playbook,
    Register,
    SituationInfo,
    Stage,
    StageRuleInfo,
    Tip,
    coerce_option,
)
from .playbooks import Playbooks
from .results import CURRENCY, Values, finish, format_values
from .selection import MEMO_SIZE, LocaleArg, Selection, remember

if TYPE_CHECKING:  # imported on first use (see conversation() and listen())
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

_BOOKS: weakref.WeakSet[Phrasebook] = weakref.WeakSet()


def cache_clear() -> None:
    """Empty every cache of the package: each phrasebook's answers, locales, rendering.

    Loaded catalogues are data, not caches, and stay loaded. Tests call this
    before each test, so no test depends on what another left behind.
    """
    from . import conversation

    i18n.cache_clear()
    render.cache_clear()
    conversation.cache_clear()
    for book in list(_BOOKS):
        book._clear_caches()


def _playbook_front(
    book: Phrasebook,
    situation: object = "general",
    *,
    locale: object = SOURCE_LOCALE,
    register: object = None,
    channel: object = None,
    values: object = None,
    seed: object = None,
    gloss: object = None,
) -> object:
    """A repeated playbook call without values: the playbook made for it before, or MISS.

    Asked before any argument is checked (see :func:`with_front`), so it
    answers only where the arguments equal ones checked before; ``is int``
    keeps ``True`` (equal to 1) out, to be refused as a seed.
    """
    if values is None and (seed is None or seed.__class__ is int):
        return book._playbooks.get((situation, locale, register, channel, seed, gloss), MISS)
    return MISS


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
        self._selection = Selection(self._store)
        """The one answer to "which lines fit here?", with its caches."""
        self._playbook_builder = Playbooks(self._selection, self._store)
        # The hot path's caches, looked up here without going through the selection.
        self._front = self._selection.front
        self._picked = self._selection.picked
        self._ready = self._selection.ready
        self._ready_texts = self._selection.ready_texts
        self._selections = self._selection.selections
        self._tips = self._selection.tips_front
        self._playbooks = self._playbook_builder.playbooks
        _BOOKS.add(self)

    def _clear_caches(self) -> None:
        """Forget every answer (loaded locales stay loaded)."""
        self._selection.clear()
        self._playbook_builder.clear()

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
                        label=rule.label,
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
        plain = values is None and defaults is None and gloss is None and variant is None
        if plain and seed.__class__ is int:  # ``is int``: True (== 1) is not a seed
            try:  # a repeated seeded call without values: its result, in one lookup
                return self._ready[stage, situation, locale, register, channel, strict, entry, seed]
            except (KeyError, TypeError):
                pass
        _check_unkeyed(values, defaults, seed, variant)
        key = (
            stage, situation, locale, register, channel, strict, entry, gloss,
            (*values,) if values else None, (*defaults,) if defaults else None, seed, variant,
        )  # fmt: skip
        try:  # a repeated seeded call: one lookup
            chosen = self._picked[key]
        except (KeyError, TypeError):
            chosen = self._selection.chosen(key, values, defaults)
        if plain and chosen.ready:
            if seed.__class__ is int:  # the checks above passed: later calls may skip them
                remember(self._ready, (*key[:7], seed), chosen.prototype)
            return chosen.prototype
        if defaults:
            values = {**defaults, **values} if values else defaults
        if gloss is None:
            if chosen.ready:
                if values:  # checked even where this variant does not show them
                    format_values(chosen.entry, values, chosen.babel)
                return chosen.prototype
            return chosen.prototype.model_copy(update={"text": chosen.render(values or {})})
        return finish(chosen, values or {}, self._selection.gloss)

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
        plain = values is None and defaults is None and variant is None
        if plain and seed.__class__ is int:  # as in pick(): one lookup for a repeated call
            try:
                return self._ready_texts[
                    stage, situation, locale, register, channel, strict, entry, seed
                ]
            except (KeyError, TypeError):
                pass
        _check_unkeyed(values, defaults, seed, variant)
        key = (
            stage, situation, locale, register, channel, strict, entry, None,
            (*values,) if values else None, (*defaults,) if defaults else None, seed, variant,
        )  # fmt: skip
        try:  # a repeated seeded call: one lookup
            chosen = self._picked[key]
        except (KeyError, TypeError):
            chosen = self._selection.chosen(key, values, defaults)
        if plain and chosen.ready:
            if seed.__class__ is int:
                remember(self._ready_texts, (*key[:7], seed), chosen.text)
            return chosen.text
        if defaults:
            values = {**defaults, **values} if values else defaults
        if chosen.ready:
            if values:  # checked even where this variant does not show them
                format_values(chosen.entry, values, chosen.babel)
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
        candidates = self._selection.candidates(
            stage, situation, locale, register, channel, strict, entry, None, values, defaults
        )
        return tuple((c.entry.id, c.variant.index) for c in candidates)

    def situation_chain(self, situation: str) -> tuple[str, ...]:
        """The situation and the ancestors whose content it may use, nearest first.

        ``safety-threat`` does not inherit, so its chain is itself alone; an
        unknown id raises :class:`UnknownSituationError`. Which of an
        ancestor's lines a situation takes at each stage is in its stage rules.
        """
        return self._selection.situation_chain(situation)

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
        return self._selection.tips(
            stage, situation=situation, locale=locale, channel=channel, gloss=gloss
        )

    @with_front(_playbook_front)
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
        return self._playbook_builder.build(
            situation,
            locale=locale,
            register=register,
            channel=channel,
            values=values,
            seed=seed,
            gloss=gloss,
        )

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
