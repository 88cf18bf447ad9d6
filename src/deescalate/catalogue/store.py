"""One phrasebook's catalogues: its neutral metadata, and each locale read on first use.

:class:`Store` is where selection, the translator tools and listening get their
data from; it reads files only through :mod:`.files`, the shipped ones from
their compiled form (:mod:`.compiled`) where a wheel carries it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from ..errors import CatalogueError, InvalidOptionError
from . import compiled as _compiled
from .data import NEUTRAL_FILE, SOURCE_LOCALE, LocaleData, Neutral
from .files import (
    CatalogueDir,
    discover_locales,
    display_path,
    exists,
    read_catalogue_bytes,
    read_toml,
    shipped_catalogue,
)
from .toml import decode_toml, parse_toml

__all__ = [
    "CatalogueDir",
    "HasStore",
    "Store",
    "discover_locales",
    "display_path",
    "read_catalogue_bytes",
    "read_toml",
    "shipped_catalogue",
    "shipped_store",
    "store_of",
]


class Store:
    """The catalogue files behind one phrasebook: its neutral metadata, and each locale
    validated on first use, once, under a lock (as Babel's ``localedata`` loads a locale).

    The only place a phrasebook's data comes from: selection asks :meth:`locale` and
    never opens a file. ``files`` maps each locale id to its file, read lazily;
    ``preloaded`` locales (overlays merged at load time) are used as they are.
    """

    def __init__(
        self,
        neutral: Neutral,
        files: Mapping[str, CatalogueDir],
        *,
        preloaded: Mapping[str, LocaleData] | None = None,
        compiled: tuple[CatalogueDir, str] | None = None,
    ) -> None:
        self.neutral = neutral
        self.files = dict(files)
        self._loaded: dict[str, LocaleData] = dict(preloaded or {})
        if SOURCE_LOCALE not in self.files and SOURCE_LOCALE not in self._loaded:
            raise CatalogueError(f"no {SOURCE_LOCALE}.toml: the source locale is required")
        self.locales = tuple(sorted({*self.files, *self._loaded}))
        """The locale ids with a catalogue."""
        self._lock = threading.Lock()
        self._compiled = compiled
        """The shipped catalogue's compiled files, and the digest of the entries.toml in use."""

    @classmethod
    def shipped(cls) -> Store:
        """The shipped catalogues, read afresh, from their compiled form where a wheel
        carries it (see :func:`shipped_store` for the shared one)."""
        return cls._read_shipped()

    @classmethod
    def from_directory(cls, directory: CatalogueDir) -> Store:
        """One catalogue directory (``entries.toml`` plus locale files), read lazily."""
        neutral_file = directory.joinpath(NEUTRAL_FILE)
        shown = display_path(neutral_file)
        if not exists(neutral_file):
            raise CatalogueError(f"no {NEUTRAL_FILE} in this catalogue directory", path=shown)
        data, text = read_toml(neutral_file, shown)
        from .load import load_neutral  # validation: kept off a compiled first pick

        return cls(load_neutral(data, text, shown), discover_locales(directory))

    @classmethod
    def layered(cls, overlays: Sequence[Path], *, include_default: bool = True) -> Store:
        """The shipped catalogues (or the first of ``overlays`` as a full catalogue, when
        ``include_default`` is false) with each overlay directory laid on top, in order.

        Every overlay file is validated now (see :func:`.load.layer_overlays`);
        what is below is never changed.
        """
        if include_default:
            below = shipped_store()
        elif overlays:
            below = cls.from_directory(overlays[0])
            overlays = overlays[1:]
        else:
            raise CatalogueError("include_default=False needs at least one catalogue directory")
        from .load import layer_overlays

        neutral, merged = layer_overlays(
            below.neutral, below.files, below.locale, overlays, full=not include_default
        )
        return cls(neutral, below.files, preloaded=merged)

    def load_all(self) -> tuple[LocaleData, ...]:
        """Every locale, read and validated now."""
        return tuple(self.locale(locale_id) for locale_id in self.locales)

    @classmethod
    def _read_shipped(cls) -> Store:
        directory = shipped_catalogue()
        neutral_file = directory.joinpath(NEUTRAL_FILE)
        shown = display_path(neutral_file)
        source = read_catalogue_bytes(neutral_file, shown)
        compiled = directory.joinpath(_compiled.DIRECTORY)
        source_digest = _compiled.digest(source)
        neutral = _compiled.read_neutral(compiled, source_digest, shown)
        if neutral is None:
            from .load import load_neutral

            data, text = parse_toml(source, shown)
            neutral = load_neutral(data, text, shown)
        return cls(neutral, discover_locales(directory), compiled=(compiled, source_digest))

    def locale(self, locale_id: str) -> LocaleData:
        """The validated catalogue of one locale id (read and validated on first use)."""
        data = self._loaded.get(locale_id)
        if data is not None:
            return data
        if locale_id not in self.locales:
            raise InvalidOptionError("catalogue locale", locale_id, self.locales)
        with self._lock:
            data = self._loaded.get(locale_id)
            if data is None:
                item = self.files[locale_id]
                shown = display_path(item)
                source = read_catalogue_bytes(item, shown)
                if self._compiled is not None:
                    compiled, neutral_digest = self._compiled
                    text = decode_toml(source, shown)
                    data = _compiled.read_locale(
                        compiled, locale_id, neutral_digest, source, text=text, shown=shown
                    )
                if data is None:
                    from .load import load_locale

                    raw, text = parse_toml(source, shown)
                    data = load_locale(raw, text, shown, self.neutral)
                self._loaded[locale_id] = data
        return data


@lru_cache(maxsize=1)
def shipped_store() -> Store:
    """The shipped catalogues' one shared store, made on first use: the default
    phrasebook and every overlay laid on the shipped catalogues read from it."""
    return Store._read_shipped()


class HasStore(Protocol):
    """Anything that holds a :class:`Store` (a :class:`~deescalate.Phrasebook` does)."""

    @property
    def store(self) -> Store: ...


def store_of(source: Store | HasStore) -> Store:
    """The store of ``source``: itself, or the store a phrasebook holds."""
    return source if isinstance(source, Store) else source.store
