"""Every size limit deescalate enforces, in one place.

Anything that enters from a file, a network or a caller has a bound, so that a
hostile or broken input costs a bounded amount of time and memory and fails
with a specific error where it enters, never later. ``docs/reliability.md``
lists them with the error each one raises. This module imports nothing from
the package.

>>> from deescalate import limits
>>> limits.MAX_CATALOGUE_FILE_BYTES
1048576
"""

from __future__ import annotations

__all__ = [
    "MAX_CATALOGUE_FILE_BYTES",
    "MAX_HEADER_LENGTH",
    "MAX_LIST_ITEMS",
    "MAX_LOCALE_PREFERENCES",
    "MAX_NOTE_LENGTH",
    "MAX_NUMBER",
    "MAX_PO_FILE_BYTES",
    "MAX_RENDERED_LENGTH",
    "MAX_SEED",
    "MAX_STATE_BYTES",
    "MAX_TAG_LENGTH",
    "MAX_TEXT_LENGTH",
    "MAX_TOML_DEPTH",
    "MAX_UTTERANCE_LENGTH",
    "MAX_VALUE_LENGTH",
    "MAX_VARIANTS",
    "MIN_SEED",
]

# --- files --------------------------------------------------------------------------

MAX_CATALOGUE_FILE_BYTES = 1024 * 1024
"""Largest catalogue file (``entries.toml`` or a locale file, shipped or overlay), in bytes.

The largest shipped file is about 55 kB.
"""

MAX_TOML_DEPTH = 8
"""Deepest nesting of tables and arrays in a catalogue file (the format needs 5)."""

MAX_VARIANTS = 50
"""Most variants one entry may have under one key (``text``, ``formal``, ``informal``)."""

MAX_TEXT_LENGTH = 1000
"""Longest catalogue text (a variant, a plural form, a label), in characters.

Well below :data:`MAX_RENDERED_LENGTH`, so a static text can always be said.
"""

MAX_PO_FILE_BYTES = 4 * 1024 * 1024
"""Largest PO file ``po import`` reads, in bytes (an exported locale is about 100 kB)."""

# --- conversation state ---------------------------------------------------------------

MAX_STATE_BYTES = 4 * 1024 * 1024
"""Largest saved conversation state, as JSON in UTF-8, in bytes.

A conversation refuses to grow its log past it, so every state it produces can
be resumed; a typical log record takes about 300 bytes.
"""

MAX_UTTERANCE_LENGTH = 10_000
"""The longest utterance ``Phrasebook.listen`` reads, in characters."""

MAX_NOTE_LENGTH = MAX_UTTERANCE_LENGTH
"""Longest ``words=`` of a note (the customer's exact words), in characters.

As long as the longest utterance ``listen`` takes, so that whatever
:meth:`~deescalate.Conversation.hear` hears, it can note (a safety signal in a
long message switches safety mode on like any other).
"""

MIN_SEED = -(2**63)
"""Smallest seed accepted by the picker and conversations."""

MAX_SEED = 2**64 - 1
"""Largest seed accepted by the picker and conversations."""

# --- values and locales ----------------------------------------------------------------

MAX_VALUE_LENGTH = 1000
"""Longest text value, list item or numeric string accepted, in characters."""

MAX_LIST_ITEMS = 20
"""Most items a list value may have."""

MAX_RENDERED_LENGTH = 4000
"""Longest rendered text, in characters."""

MAX_NUMBER = 10**18
"""Numbers and amounts must be smaller than this in absolute value.

Babel writes every digit of a number, so an unbounded value (``1e999999``)
would cost time and memory before any length check could see it.
"""

MAX_TAG_LENGTH = 64
"""Longest locale tag accepted, in characters (BCP 47 itself sets no limit)."""

MAX_HEADER_LENGTH = 4096
"""Longest Accept-Language header accepted, in characters."""

MAX_LOCALE_PREFERENCES = 32
"""Most tags in a sequence of locale preferences (a header is bounded by its length)."""
