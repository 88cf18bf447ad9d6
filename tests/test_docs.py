"""The examples in docstrings run and show what they say."""

from __future__ import annotations

import contextlib
import doctest
import io
import re
from pathlib import Path

import pytest

# The >>> examples in the package's docstrings run as part of every test run
# (``--doctest-modules`` in pyproject.toml); this file checks the pages.

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("name", ["conversations.md"])
def test_documented_examples_print_what_the_page_shows(name: str) -> None:
    """The page's Python examples, run in order, print exactly their "Output" blocks."""
    page = (DOCS / name).read_text(encoding="utf-8")
    blocks = list(re.finditer(r"```(\w+)\n(.*?)```", page, re.S))
    namespace: dict[str, object] = {}
    checked = 0
    for block, following in zip(blocks, [*blocks[1:], None], strict=True):
        if block.group(1) != "python":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block.group(2), name, "exec"), namespace)
        between = page[block.end() : following.start()] if following else ""
        if following is not None and following.group(1) == "text" and "Output" in between:
            # Timestamps differ from run to run; the page shows them as they were.
            stamp = r"\d{4}-\d\d-\d\dT[\d:.]+(?:\+00:00|Z)?"
            expected = following.group(2)
            assert re.sub(stamp, "T", out.getvalue()) == re.sub(stamp, "T", expected)
            checked += 1
    assert checked


def test_readme_tour_runs() -> None:
    """The README's five-minute tour runs as written."""
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    (tour,) = re.findall(r"```python\n(.*?)```", readme, re.S)
    exec(compile(tour, "README.md", "exec"), {})


@pytest.mark.parametrize("name", ["guide.md", "listening.md"])
def test_page_doctests(name: str) -> None:
    """The >>> examples on a documentation page give the output shown."""
    result = doctest.testfile(str(DOCS / name), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted and result.failed == 0
