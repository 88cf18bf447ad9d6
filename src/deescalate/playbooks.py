"""A whole contact's lines: every stage in order, one line per entry the selection offers.

A playbook shows exactly what :class:`~deescalate.selection.Selection` offers a
pick with the same arguments (and a ladder's later steps after them, in
order); a stage without values is the same in every such playbook, so it is
built once and shared.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._arguments import check_seed
from .catalogue import SOURCE_LOCALE, Store
from .choice import choose
from .errors import MissingValueError, NoContentError, UnexpectedValueError, UnknownEntryError
from .i18n import Negotiated
from .models import (
    Channel,
    Kind,
    Phrase,
    Playbook,
    PlaybookStage,
    Register,
    Stage,
    coerce_option,
)
from .results import Candidate, Values, finish
from .selection import LocaleArg, Selection, accepted, remember, suits

__all__ = ["Playbooks"]


def _salt(entry_id: str) -> int:
    """A per-entry salt, so that one seed does not pick the same variant number everywhere."""
    import zlib  # a playbook's need only: kept off import time

    return zlib.crc32(entry_id.encode())


class Playbooks:
    """The playbooks of one selection, with their bounded caches."""

    def __init__(self, selection: Selection, store: Store) -> None:
        self._selection = selection
        self._store = store
        self._neutral = store.neutral
        self._available = store.locales
        self.contents: dict[Any, dict[str, Any]] = {}
        """Normalised requests without values → the playbook's fields, made once."""
        self.playbooks: dict[Any, Playbook] = {}
        """Identical playbook calls without values → the playbook."""
        self._negotiated: dict[Any, Negotiated] = {}
        """A locale argument as given → its negotiation."""

    def clear(self) -> None:
        """Forget every playbook and stage built."""
        for memo in (self.contents, self.playbooks, self._negotiated):
            memo.clear()

    def build(
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
        # Any sequence of tags as a tuple: a deque of them is valid, and unhashable.
        locale_key = locale if isinstance(locale, str) else tuple(locale)
        raw = (situation, locale_key, register, channel, seed, gloss)
        if not values:
            cached = self.playbooks.get(raw)
            if cached is not None:
                return cached
        register_ = coerce_option(Register, "register", register)
        channel_ = coerce_option(Channel, "channel", channel)
        negotiated = self._negotiated.get(locale_key)
        key = (situation, negotiated, register_, channel_, seed, gloss)
        # Without values, the contents depend only on the normalised request: made once.
        # (A key is kept only once its situation and locale were found valid.)
        contents = None if values or negotiated is None else self.contents.get(key)
        if contents is None:
            chain = self._selection.situation_chain(situation)  # validates the id
            defaults = dict(values or {})
            if defaults:
                self._check_playbook_values(situation, chain, defaults.keys())
            if negotiated is None:
                negotiated = self._selection.negotiate(locale)
                remember(self._negotiated, locale_key, negotiated)
                key = (situation, negotiated, *key[2:])
                contents = None if values else self.contents.get(key)
            if contents is None:
                contents = self._contents(
                    situation, locale, negotiated, register_, channel_, defaults, seed, gloss
                )
                if not values:
                    remember(self.contents, key, contents, 256)
        # model_construct, not validation: a playbook builds no pydantic schema.
        result = Playbook.model_construct(**contents)
        if not values:
            remember(self.playbooks, raw, result, 256)
        return result

    def _contents(
        self,
        situation: str,
        locale: LocaleArg,
        negotiated: Negotiated,
        register: Register | None,
        channel: Channel | None,
        defaults: dict[str, object],
        seed: int | None,
        gloss: str | None,
    ) -> dict[str, Any]:
        """The fields of a playbook: its title, register, stages, fallbacks and warnings."""
        data = self._store.locale(negotiated.locale)
        source = self._store.locale(SOURCE_LOCALE)
        neutral = self._store.neutral
        stages: list[PlaybookStage] = []
        warnings = dict.fromkeys(negotiated.warnings)
        for stage in Stage:
            phrases = self._playbook_phrases(
                stage, situation, locale, register, channel, defaults, seed, gloss
            )
            stages.append(
                PlaybookStage.model_construct(
                    stage=stage,
                    label=data.labels.get(heading := neutral.stage_label(situation, stage))
                    or source.labels.get(heading, heading),
                    phrases=phrases,
                    tips=self._selection.tips(
                        stage, situation=situation, locale=locale, channel=channel, gloss=gloss
                    ),
                )
            )
            warnings.update(dict.fromkeys(w for p in phrases for w in p.warnings))
        return {
            "situation": situation,
            "title": data.situation_names.get(situation)
            or source.situation_names.get(situation, situation),
            "locale": data.id,
            "register_": register if register in data.registers else data.default_register,
            "channel": channel,
            "stages": tuple(stages),
            "fallback": (negotiated.fallback,) if negotiated.fallback else (),
            "warnings": tuple(warnings),
        }

    def _check_playbook_values(
        self, situation: str, chain: tuple[str, ...], given: Iterable[str]
    ) -> None:
        """Values no line of the playbook takes are an error, as they are for :meth:`pick`."""
        names = frozenset().union(
            *(
                accepted(e)
                for e in self._neutral.entries.values()
                if e.kind is Kind.PHRASE and any(s in chain for s in e.situations)
            )
        )
        extra = set(given) - names
        if extra:
            raise UnexpectedValueError(f"playbook of situation {situation!r}", extra, names)

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

        def offered(entry: str | None) -> tuple[Candidate, ...]:
            try:
                return self._selection.candidates(
                    stage, situation, locale, register, channel, False, entry, gloss, None,
                    defaults or None,
                )  # fmt: skip
            except (NoContentError, MissingValueError, UnexpectedValueError, UnknownEntryError):
                return ()

        groups: dict[str, list[Candidate]] = {}
        for candidate in offered(None):
            groups.setdefault(candidate.entry.id, []).append(candidate)
        entries = self._neutral.entries
        for eid in self._neutral.line_ids(situation, stage, Kind.PHRASE):
            if entries[eid].ladder_step > 1 and suits(entries[eid], channel):
                for candidate in offered(eid):
                    groups.setdefault(eid, []).append(candidate)
        phrases: list[Phrase] = []
        for eid, group in groups.items():
            index = 0 if seed is None else choose(seed, len(group), _salt(eid))
            chosen = group[index]
            if gloss is None and chosen.ready:
                phrases.append(chosen.prototype)
            else:
                phrases.append(finish(chosen, defaults, self._selection.gloss))
        return tuple(phrases)
