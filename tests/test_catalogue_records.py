"""The catalogue structures as records: a frozen dataclass's meaning without its import cost.

(Their pickling, which the compiled catalogues use, is tested in test_compiled.py.)"""

from __future__ import annotations

import copy
from dataclasses import FrozenInstanceError

import pytest

import deescalate as de
from deescalate._records import replace
from deescalate.catalogue.data import EntryDef, LocaleData, Neutral, StageRule

BOOK = de.Phrasebook.default()


def test_the_file_text_and_the_bound_formatters_are_not_compared() -> None:
    """LocaleData.text and EntryDef.formatters are caches: two equal catalogues differ in
    them and still compare equal; every other field counts."""
    data = BOOK.locale_data("da")
    assert replace(data, text="something else") == data
    assert replace(data, usage="DK") != data
    entry = BOOK.neutral.entries["resolve.billing-error.refund"]
    assert entry.formatters
    bare = replace(entry, formatters=())
    assert bare == entry
    assert replace(entry, notes="other notes") != entry


def test_records_are_frozen_and_replace_checks_its_fields() -> None:
    """No field can be set or deleted; replace refuses a field the record does not have."""
    rule = StageRule(phrases="replace")
    with pytest.raises(FrozenInstanceError):
        rule.phrases = "extend"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del rule.label  # type: ignore[misc]
    with pytest.raises(TypeError, match="no field 'mode'"):
        replace(rule, mode="x")
    assert replace(rule, label="acknowledge") == StageRule(
        "replace", "extend", frozenset(), "acknowledge"
    )
    assert StageRule() == StageRule("extend", "extend", frozenset(), None)


def test_defaults_and_repr_are_a_dataclass_s() -> None:
    """Fields left out take their defaults; the repr names the shown fields in order and
    leaves out the file text, origins and signals of a locale."""
    neutral = Neutral("entries.toml", {}, {})
    assert neutral.values == {} and neutral.lines == {}
    assert repr(StageRule(tips="replace")) == (
        "StageRule(phrases='extend', tips='replace', exclude=frozenset(), label=None)"
    )
    shown = repr(BOOK.locale_data("ro"))
    assert shown.startswith("LocaleData(id='ro', path=")
    assert "text=" not in shown and "signals=" not in shown and "origins=" not in shown
    entry = BOOK.neutral.entries["calm.here-to-help"]
    assert copy.copy(entry) == entry
    assert isinstance(entry, EntryDef) and isinstance(BOOK.locale_data("ro"), LocaleData)
