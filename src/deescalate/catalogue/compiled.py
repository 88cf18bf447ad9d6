"""The shipped catalogues, validated when the wheel is built.

Loading a catalogue means parsing TOML and validating it, which costs more than
everything else a program's first pick does. A wheel therefore carries, for
each shipped TOML file, the structures that loading it produces, pickled, in
``locales/_compiled/`` (the build runs ``python -m deescalate.catalogue.compiled``). The
shipped phrasebook reads them instead of the TOML when they match it.

Each compiled file starts with one line that names the format, the package
version and a SHA-256 of the TOML bytes it was made from (for a locale file,
also of ``entries.toml``, which it was validated against). A file that does not
match is ignored, and the TOML is read and validated as usual: editing a
shipped TOML file in place never serves stale text. Only the package's own
directory is read this way, never an overlay or a directory a caller names, so
nothing unpickled comes from anywhere the package's code does not.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import sys
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .._records import replace
from .._version import __version__
from ..errors import DeescalateError
from .data import NEUTRAL_FILE, LocaleData, Neutral, _frozen
from .files import CatalogueDir, discover_locales

__all__ = ["DIRECTORY", "compile_catalogue", "digest", "read_locale", "read_neutral"]

DIRECTORY = "_compiled"
"""The sub-directory of ``locales/`` that holds the compiled files in a wheel."""

FORMAT = 8
"""Bumped whenever the pickled structures change shape."""

_SUFFIX = ".pickle"


def digest(*sources: bytes) -> str:
    """The SHA-256 that binds a compiled file to the TOML bytes it was made from."""
    hasher = hashlib.sha256()
    for source in sources:
        hasher.update(len(source).to_bytes(8, "big"))
        hasher.update(source)
    return hasher.hexdigest()


def _locale_digest(neutral_digest: str, source: bytes) -> str:
    # A locale file is checked against entries.toml, so its compiled form depends on both.
    return digest(neutral_digest.encode("ascii"), source)


def _header(source_digest: str) -> bytes:
    return f"deescalate-compiled {FORMAT} {__version__} {source_digest}\n".encode("ascii")


def _read(directory: CatalogueDir, stem: str, source_digest: str) -> Any:
    """The unpickled payload of ``stem``'s compiled file, or None if it is missing or stale."""
    item = directory.joinpath(stem + _SUFFIX)
    try:
        blob = item.read_bytes()
    except OSError:
        return None
    header = _header(source_digest)
    if not blob.startswith(header):
        return None
    try:
        return pickle.loads(memoryview(blob)[len(header) :])
    except Exception:  # a damaged file: the TOML is still there
        return None


def read_neutral(directory: CatalogueDir, source_digest: str, shown: str) -> Neutral | None:
    """The compiled neutral file, if made from the TOML whose :func:`digest` is given.

    ``shown`` is how messages name the TOML file, as when it is loaded itself.
    """
    neutral = _read(directory, Path(NEUTRAL_FILE).stem, source_digest)
    return replace(neutral, path=shown) if isinstance(neutral, Neutral) else None


def read_locale(
    directory: CatalogueDir,
    locale_id: str,
    neutral_digest: str,
    source: bytes,
    *,
    text: str,
    shown: str,
) -> LocaleData | None:
    """The compiled locale file, if made from exactly ``source`` and the neutral file
    whose :func:`digest` is ``neutral_digest``.

    ``text`` (the decoded TOML, or "" to keep none: the shipped store passes "" and
    :meth:`Store.source_text` reads the file when a check needs its lines) is put into
    the result; ``shown`` names the file.
    """
    data = _read(directory, locale_id, _locale_digest(neutral_digest, source))
    return replace(data, text=text, path=shown) if isinstance(data, LocaleData) else None


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        # Read-only mappings are rebuilt as read-only mappings.
        if type(obj) is MappingProxyType:
            return _frozen, (dict(obj),)
        return NotImplemented


def _write(path: Path, header: bytes, payload: object) -> None:
    buffer = io.BytesIO()
    buffer.write(header)
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(payload)
    from .._files import write_atomically

    write_atomically(path, buffer.getvalue())


def compile_catalogue(source: Path, target: Path) -> list[Path]:
    """Validate every file of the catalogue directory ``source``; write the compiled forms.

    Any problem raises the same :class:`~deescalate.errors.CatalogueError` that
    loading the TOML would, before anything is written. Returns the files written.
    """
    from .load import load_locale, load_neutral  # the build's need only
    from .toml import parse_toml

    neutral_file = source / NEUTRAL_FILE
    neutral_source = neutral_file.read_bytes()
    neutral_digest = digest(neutral_source)
    raw, text = parse_toml(neutral_source, str(neutral_file))
    neutral = load_neutral(raw, text, f"deescalate/locales/{NEUTRAL_FILE}")
    compiled: list[tuple[Path, bytes, object]] = [
        (target / (neutral_file.stem + _SUFFIX), _header(neutral_digest), neutral)
    ]
    for locale_id, item in discover_locales(source).items():
        locale_source = item.read_bytes()
        raw, text = parse_toml(locale_source, str(item))
        data = load_locale(raw, text, f"deescalate/locales/{item.name}", neutral)
        compiled.append(
            (
                target / (locale_id + _SUFFIX),
                _header(_locale_digest(neutral_digest, locale_source)),
                replace(data, text=""),
            )
        )
    target.mkdir(parents=True, exist_ok=True)
    for path, header, payload in compiled:
        _write(path, header, payload)
    return [path for path, _, _ in compiled]


def main(argv: list[str] | None = None) -> int:
    """``python -m deescalate.catalogue.compiled SOURCE TARGET``: what the wheel build runs."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(
            "usage: python -m deescalate.catalogue.compiled SOURCE_DIR TARGET_DIR", file=sys.stderr
        )
        return 2
    try:
        written = compile_catalogue(Path(args[0]), Path(args[1]))
    except DeescalateError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
