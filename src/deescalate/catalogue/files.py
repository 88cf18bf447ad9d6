"""The only code that opens catalogue files: where they are, which there are, their bytes.

Only names discovered by listing a directory are ever opened: no path is built
from a caller's locale tag. A package in a plain directory is opened directly;
``importlib.resources`` only for a package inside a zip. Every read is bounded
(``limits.MAX_CATALOGUE_FILE_BYTES``), and a file on disk must be a regular file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
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
from .data import NEUTRAL_FILE
from .toml import parse_toml

__all__ = [
    "CatalogueDir",
    "directory",
    "discover_locales",
    "display_path",
    "exists",
    "read_catalogue_bytes",
    "read_toml",
    "shipped_catalogue",
]


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

    plain = Path(__file__).parent.parent / "locales"
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


def exists(item: CatalogueDir) -> bool:
    """Whether a catalogue file is there at all (a link or a FIFO is there, and refused later)."""
    if isinstance(item, Path):
        return os.path.lexists(item)
    return item.is_file()


def directory(path: str | os.PathLike[str]) -> Path:
    """An overlay or catalogue directory given by a caller, which must exist."""
    if not isinstance(path, str | os.PathLike):
        raise InvalidOptionError("catalogue directory", path, ["a path (str or os.PathLike)"])
    try:
        found = Path(path)
        info = found.stat()
    except (OSError, ValueError, TypeError) as err:
        problem = (
            "no such directory"
            if isinstance(err, FileNotFoundError)
            else f"cannot be used: {getattr(err, 'strerror', None) or err}"
        )
        raise CatalogueError(
            f"{problem} (a catalogue overlay is a directory)", path=str(path)
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise CatalogueError("not a directory (a catalogue overlay is a directory)", path=found)
    return found
