"""The only code that opens catalogue files: the shipped directory, overlays, sizes.

Only names discovered by listing a directory are ever opened: no path is built
from a caller's locale tag. A package in a plain directory is opened directly;
``importlib.resources`` only for a package inside a zip.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from .._files import FileProblem, FileTooLarge, read_regular
from ..errors import (
    CatalogueError,
    CatalogueTooLargeError,
    InvalidLocaleError,
    InvalidOptionError,
)
from ..i18n import parse_tag
from ..limits import MAX_CATALOGUE_FILE_BYTES
from .data import NEUTRAL_FILE, SOURCE_LOCALE, LocaleData, Neutral
from .load import load_locale, load_neutral
from .toml import decode_toml, parse_toml


class CatalogueDir(Protocol):
    """A directory of catalogue files: a :class:`pathlib.Path` or a package resource."""

    @property
    def name(self) -> str: ...

    def iterdir(self) -> Iterator[CatalogueDir]: ...

    def joinpath(self, *descendants: str) -> CatalogueDir: ...

    def read_bytes(self) -> bytes: ...

    def is_file(self) -> bool: ...


def shipped_catalogue() -> CatalogueDir:
    """The catalogue directory shipped inside the package (works from a wheel or a zip).

    An installed package or a source tree is a plain directory, opened directly;
    only a package inside a zip goes through ``importlib.resources``, whose
    machinery costs more at start-up than everything else a first pick needs.
    """
    import sys

    plain = Path(__file__).parent / "locales"
    if plain.is_dir():
        return plain

    if sys.version_info >= (3, 12):
        from importlib.resources import files
    else:  # pragma: no cover - exercised on 3.11 only
        from importlib_resources import files
    directory: CatalogueDir = files("deescalate").joinpath("locales")
    return directory


def display_path(item: CatalogueDir) -> str:
    """How messages name a catalogue file: its path, or its place in the package."""
    return str(item) if isinstance(item, Path) else f"deescalate/locales/{item.name}"


def discover_locales(directory: CatalogueDir) -> dict[str, CatalogueDir]:
    """Map each locale file in ``directory`` to its locale id (the file's stem).

    A file whose stem is not a locale identifier in Babel's spelling
    (``da``, ``zh_Hans``) is a :class:`CatalogueError`.
    """
    found: dict[str, CatalogueDir] = {}
    for item in directory.iterdir():
        name = item.name
        if not name.endswith(".toml") or name == NEUTRAL_FILE:
            continue
        if isinstance(item, Path):
            _check_regular(item)
        elif not item.is_file():
            continue
        stem = name[: -len(".toml")]
        try:
            normalised = parse_tag(stem)
        except InvalidLocaleError as err:
            raise CatalogueError(
                f"the file name is not a locale identifier: {err.reason}",
                path=display_path(item),
            ) from None
        if normalised != stem:
            raise CatalogueError(
                f"name the file {normalised}.toml (Babel's spelling of the locale)",
                path=display_path(item),
            )
        found[stem] = item
    return dict(sorted(found.items()))


def _check_regular(item: Path) -> None:
    """Refuse a catalogue file in a directory that is a link or not a regular file.

    A symbolic link would let a catalogue directory read (and show key names
    from) a file elsewhere; a FIFO or a device would block or never end.
    """
    if item.is_symlink():
        raise CatalogueError(
            "a symbolic link: catalogue files must be regular files in the directory itself",
            path=item,
        )
    if not item.is_file():
        raise CatalogueError(
            "not a regular file (a catalogue file is a plain TOML file)", path=item
        )


def read_catalogue_bytes(item: CatalogueDir, shown: str | None = None) -> bytes:
    """The bytes of one catalogue file, refused if it is over the size limit.

    A file on disk must be a regular file, not a symbolic link
    (:class:`CatalogueError`), of at most ``limits.MAX_CATALOGUE_FILE_BYTES``
    (:class:`CatalogueTooLargeError`); it is never read further than that.
    """
    shown = shown or display_path(item)
    if isinstance(item, Path):
        try:
            return read_regular(item, MAX_CATALOGUE_FILE_BYTES, follow_symlinks=False)
        except FileTooLarge as err:
            raise CatalogueTooLargeError(
                err.size, err.maximum, what="the file", path=shown
            ) from None
        except FileProblem as err:
            raise CatalogueError(f"the file cannot be read: {err.problem}", path=shown) from None
    raw = item.read_bytes()
    if len(raw) > MAX_CATALOGUE_FILE_BYTES:
        raise CatalogueTooLargeError(
            len(raw), MAX_CATALOGUE_FILE_BYTES, what="the file", path=shown
        )
    return raw


def read_toml(item: CatalogueDir, path: str | None = None) -> tuple[dict[str, Any], str]:
    """Parse one TOML file; return its data and its text (for locating errors).

    Raises :class:`CatalogueSyntaxError` (or :class:`DuplicateEntryError` for a
    key defined twice) with the file and line, and the errors of
    :func:`read_catalogue_bytes` and :func:`parse_toml`.
    """
    shown = path or display_path(item)
    return parse_toml(read_catalogue_bytes(item, shown), shown)


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
        """The shipped catalogues, from their compiled form where a wheel carries it."""
        from .. import _compiled

        directory = shipped_catalogue()
        neutral_file = directory.joinpath(NEUTRAL_FILE)
        shown = display_path(neutral_file)
        source = read_catalogue_bytes(neutral_file, shown)
        compiled = directory.joinpath(_compiled.DIRECTORY)
        source_digest = _compiled.digest(source)
        neutral = _compiled.read_neutral(compiled, source_digest, shown)
        if neutral is None:
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
                    from .._compiled import read_locale

                    compiled, neutral_digest = self._compiled
                    text = decode_toml(source, shown)
                    data = read_locale(
                        compiled, locale_id, neutral_digest, source, text=text, shown=shown
                    )
                if data is None:
                    raw, text = parse_toml(source, shown)
                    data = load_locale(raw, text, shown, self.neutral)
                self._loaded[locale_id] = data
        return data
