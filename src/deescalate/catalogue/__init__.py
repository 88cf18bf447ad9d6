"""Catalogue files: reading, validating, and the structures selection starts from.

A catalogue directory holds the locale-neutral ``entries.toml`` (ids and their
metadata, written once) and one TOML file per locale (texts only), named by
its Babel identifier (``da.toml``, ``zh_Hans.toml``). Anything wrong raises a
:class:`~deescalate.errors.CatalogueError` that names the file, the entry id,
the field and, where it can be found, the line.

The package answers one question per module, and imports flow one way:

* :mod:`.toml` — parsing a file's bytes, finding a key's line;
* :mod:`.schema` — the raw file shapes (pydantic), built only when a file is validated;
* :mod:`.data` — the validated structures and the per-situation line sets;
* :mod:`.files` — the only code that opens catalogue files;
* :mod:`.load` — validating the neutral file, a locale, and overlays laid over them;
* :mod:`.compiled` — the shipped catalogues' compiled form, made when a wheel is built;
* :mod:`.store` — :class:`Store`, one phrasebook's catalogues, each locale read on first use.
"""

from typing import TYPE_CHECKING, Any

from .data import (
    LABEL_KEYS,
    NEUTRAL_FILE,
    OVERLAY_MODES,
    PAGE_LABEL_KEYS,
    SOURCE_LOCALE,
    EntryDef,
    GlossaryTerm,
    LocaleData,
    Neutral,
    SignalPhrases,
    SituationDef,
    StageRule,
    Variant,
    fingerprint,
    line_sets,
)
from .data import (
    _frozen as _frozen,
)
from .files import (
    CatalogueDir,
    directory,
    discover_locales,
    display_path,
    exists,
    read_catalogue_bytes,
    read_toml,
    shipped_catalogue,
)
from .store import HasStore, Store, shipped_store, store_of
from .toml import decode_toml, find_line, find_text_line, parse_toml

if TYPE_CHECKING:
    from .load import (
        layer_overlays,
        load_locale,
        load_neutral,
        load_overlay_locale,
        require_cldr,
        require_source_texts,
    )

_LOADING = frozenset(
    [
        "layer_overlays",
        "load_locale",
        "load_neutral",
        "load_overlay_locale",
        "require_cldr",
        "require_source_texts",
    ]
)
"""Names of :mod:`.load`, imported on first use: a first pick from the compiled
catalogues validates nothing and should not pay for the validation code."""


def __getattr__(name: str) -> Any:
    if name in _LOADING:
        from . import load

        return getattr(load, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "LABEL_KEYS",
    "NEUTRAL_FILE",
    "OVERLAY_MODES",
    "PAGE_LABEL_KEYS",
    "SOURCE_LOCALE",
    "CatalogueDir",
    "EntryDef",
    "GlossaryTerm",
    "HasStore",
    "LocaleData",
    "Neutral",
    "SignalPhrases",
    "SituationDef",
    "StageRule",
    "Store",
    "Variant",
    "decode_toml",
    "directory",
    "discover_locales",
    "display_path",
    "exists",
    "find_line",
    "find_text_line",
    "fingerprint",
    "layer_overlays",
    "line_sets",
    "load_locale",
    "load_neutral",
    "load_overlay_locale",
    "parse_toml",
    "read_catalogue_bytes",
    "read_toml",
    "require_cldr",
    "require_source_texts",
    "shipped_catalogue",
    "shipped_store",
    "store_of",
]
