"""Each locale's never-say list catches the natural forms, and only them.

``tests/data/never-say/<locale>.toml`` holds ``bad`` lines (sentences an agent
might say that the list must catch) and ``good`` lines (that it must not). Every
shipped locale needs such a file. The lines are laid over phrase entries as an
overlay, one line per entry, and ``deescalate check`` must report ``never-say``
for exactly the entries that hold a bad line.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

import deescalate as de
from deescalate.checks import check

BOOK = de.Phrasebook.default()
DATA = Path(__file__).parent / "data" / "never-say"
MIN_BAD = 20
MIN_GOOD = 10

# Phrase entries any plain line can stand in for: no required value, no plural forms.
FREE_ENTRIES = sorted(
    e.id
    for e in BOOK.neutral.entries.values()
    if e.kind is de.Kind.PHRASE and not e.required and e.plural is None
)


def _lines(locale: str) -> tuple[list[str], list[str]]:
    path = DATA / f"{locale}.toml"
    if not path.is_file():
        pytest.fail(f"{locale} ships without known-bad and known-good lines: add {path}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return list(data.get("bad", [])), list(data.get("good", []))


@pytest.mark.parametrize("locale", BOOK.locales)
def test_every_shipped_locale_has_enough_known_lines(locale: str) -> None:
    """Each shipped locale has ≥ 20 bad and ≥ 10 good lines, distinct, none a list item itself."""
    bad, good = _lines(locale)
    assert len(bad) >= MIN_BAD, f"{locale}: {len(bad)} bad lines"
    assert len(good) >= MIN_GOOD, f"{locale}: {len(good)} good lines"
    assert len(set(bad + good)) == len(bad) + len(good), "a line is listed twice"
    listed = {phrase.casefold() for phrase in BOOK.locale_data(locale).never_say}
    copied = [line for line in bad if line.casefold().strip(" .!?。！？") in listed]
    assert copied == [], "bad lines must be sentences, not the list's own items"
    # Lines are plain text: a brace would be read as a placeholder.
    assert not [line for line in bad + good if "{" in line or "}" in line]


def _flagged(locale: str, lines: list[str], tmp_path: Path) -> dict[str, bool]:
    """Whether check reports never-say for each line, laid over a phrase entry each."""
    result: dict[str, bool] = {}
    for batch, start in enumerate(range(0, len(lines), len(FREE_ENTRIES))):
        chunk = lines[start : start + len(FREE_ENTRIES)]
        directory = tmp_path / f"batch{batch}"
        directory.mkdir()
        body = "".join(
            f'[entries."{eid}"]\ntext = [{json.dumps(line, ensure_ascii=False)}]\n\n'
            for eid, line in zip(FREE_ENTRIES, chunk, strict=False)
        )
        (directory / f"{locale}.toml").write_text(body, encoding="utf-8")
        report = check(de.Phrasebook.load(directory), (locale,))
        assert [str(p) for p in report.problems if p.code == "load"] == []
        hits = {p.entry_id for p in report.problems if p.code == "never-say"}
        for eid, line in zip(FREE_ENTRIES, chunk, strict=False):
            result[line] = eid in hits
    return result


@pytest.mark.parametrize("locale", BOOK.locales)
def test_check_flags_every_bad_line_and_no_good_line(locale: str, tmp_path: Path) -> None:
    """Every known-bad line is a never-say finding; no known-good line is."""
    bad, good = _lines(locale)
    flagged = _flagged(locale, bad + good, tmp_path)
    assert [line for line in bad if not flagged[line]] == [], "bad lines the list misses"
    assert [line for line in good if flagged[line]] == [], "good lines the list flags"


def test_the_harness_finds_a_line_the_list_misses(tmp_path: Path) -> None:
    """The overlay harness itself tells a caught line from a missed one."""
    flagged = _flagged("en", ["Calm down, please.", "Thanks for your patience."], tmp_path)
    assert flagged == {"Calm down, please.": True, "Thanks for your patience.": False}
