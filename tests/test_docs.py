"""The examples in docstrings run and show what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "deescalate",
    "deescalate.catalogue",
    "deescalate.checks",
    "deescalate.errors",
    "deescalate.models",
    "deescalate.picker",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    """Every >>> example in the module's docstrings gives the output shown."""
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
