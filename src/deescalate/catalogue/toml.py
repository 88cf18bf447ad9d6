"""TOML reading and error locations: parse a catalogue file's bytes, find a key's line."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..errors import (
    CatalogueSyntaxError,
    CatalogueTooDeepError,
    CatalogueTooLargeError,
    DuplicateEntryError,
    TextTooLongError,
)
from ..limits import MAX_CATALOGUE_FILE_BYTES, MAX_TEXT_LENGTH, MAX_TOML_DEPTH

# Patterns kept as strings: ``re`` compiles each on first use (and caches it), so an
# import does not pay for the ones a first pick never needs.
_TOML_POSITION = r"\(at line (\d+), column \d+\)|\(at end of document\)"
_TOML_TWICE = r"Cannot (?:declare|overwrite)"


def decode_toml(raw: bytes, shown: str) -> str:
    """The text of a TOML file's bytes: UTF-8, without a byte-order mark."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        bad_line = raw[: err.start].count(b"\n") + 1
        raise CatalogueSyntaxError(
            "the file is not valid UTF-8", path=shown, line=bad_line
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def parse_toml(raw: bytes, shown: str) -> tuple[dict[str, Any], str]:
    """Parse the bytes of a TOML file shown as ``shown``; see :func:`read_toml`."""
    import tomllib  # not needed when the catalogues come compiled

    if len(raw) > MAX_CATALOGUE_FILE_BYTES:
        raise CatalogueTooLargeError(
            len(raw), MAX_CATALOGUE_FILE_BYTES, what="the file", path=shown
        )
    text = decode_toml(raw, shown)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively.
        raise CatalogueTooDeepError(
            0, MAX_TOML_DEPTH, what="the nesting of arrays and tables", path=shown
        ) from None
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        match = re.search(_TOML_POSITION, message)
        line: int | None = None
        if match:
            line = int(match.group(1)) if match.group(1) else text.count("\n") + 1
            message = message[: match.start()].rstrip()
        kind = DuplicateEntryError if re.match(_TOML_TWICE, message) else CatalogueSyntaxError
        raise kind(f"invalid TOML: {message}", path=shown, line=line) from None
    _check_shape(data, text, shown)
    return data, text


def _check_shape(data: dict[str, Any], text: str, shown: str) -> None:
    """Refuse nesting deeper than ``MAX_TOML_DEPTH`` and texts longer than ``MAX_TEXT_LENGTH``.

    Iterative, so a hostile file cannot exhaust the stack here or in the
    validation after it.
    """
    stack: list[tuple[object, tuple[str, ...]]] = [(data, ())]
    while stack:
        item, where = stack.pop()
        if len(where) >= MAX_TOML_DEPTH and isinstance(item, dict | list):
            raise CatalogueTooDeepError(
                len(where) + 1,
                MAX_TOML_DEPTH,
                what="the nesting of arrays and tables",
                path=shown,
                field=_dotted(where),
            )
        if isinstance(item, dict):
            for key in item:
                if len(key) > MAX_TEXT_LENGTH:
                    raise TextTooLongError(
                        len(key), MAX_TEXT_LENGTH, what="a key", path=shown, field=_dotted(where)
                    )
            stack.extend((value, (*where, str(key))) for key, value in item.items())
        elif isinstance(item, list):
            stack.extend((value, (*where, f"[{i}]")) for i, value in enumerate(item))
        elif isinstance(item, str) and len(item) > MAX_TEXT_LENGTH:
            entry_id = where[1] if len(where) > 1 and where[0] == "entries" else None
            field_name = _dotted(where[2:] if entry_id is not None else where)
            line = (
                find_line(text, "entries", entry_id, where[2] if len(where) > 2 else None)
                if entry_id is not None
                else None
            )
            raise TextTooLongError(
                len(item),
                MAX_TEXT_LENGTH,
                what="the text",
                path=shown,
                entry_id=entry_id,
                field=field_name,
                line=find_text_line(text, line, item) or line,
            )


def _dotted(where: Sequence[str]) -> str | None:
    return "".join(p if p.startswith("[") else f".{p}" for p in where).lstrip(".") or None


def find_line(
    text: str, table: str, key: str | None = None, field: str | None = None
) -> int | None:
    """Find the line (from 1) of ``[table."key"]`` and then of ``field =`` inside it."""
    lines = text.splitlines()
    if key is None:
        header = re.compile(rf"\s*\[{re.escape(table)}\]\s*(#.*)?$")
    else:
        quoted = re.escape(key)
        header = re.compile(rf"\s*\[{re.escape(table)}\.(\"{quoted}\"|'{quoted}'|{quoted})\]")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        if key is not None:
            # An inline form such as `key = { ... }` inside [table].
            inline = re.compile(rf"\s*(\"{re.escape(key)}\"|{re.escape(key)})\s*=")
            hit = next((i for i, line in enumerate(lines) if inline.match(line)), None)
            return hit + 1 if hit is not None else None
        return None
    if field is None:
        return start + 1
    assignment = re.compile(rf"\s*(\"{re.escape(field)}\"|{re.escape(field)})\s*[.=]")
    for offset, line in enumerate(lines[start + 1 :], start=start + 1):
        if line.lstrip().startswith("["):
            break
        if assignment.match(line):
            return offset + 1
    return start + 1


def find_text_line(text: str, after: int | None, snippet: str) -> int | None:
    """The first line from ``after`` on that contains the start of ``snippet``.

    Used to point at the exact variant of a multi-line list; the snippet is
    cut before any character TOML may have escaped.
    """
    if after is None:
        return None
    probe = re.split(r'["\\\n]', snippet, maxsplit=1)[0][:40]
    if len(probe) < 4:
        return None
    for number, line in enumerate(text.splitlines()[after - 1 :], start=after):
        if probe in line:
            return number
    return None
