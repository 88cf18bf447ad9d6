"""The result models, and how the picker builds them (public pydantic API only)."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest
from pydantic import BaseModel

import deescalate as de


def _same_as_validated(result: BaseModel) -> None:
    """``result`` is exactly what validating its own fields gives: values, types, order."""
    validated = type(result).model_validate(result.model_dump(by_alias=True))
    assert validated == result
    # repr shows enum members as such and every nested model, in field order.
    assert repr(validated) == repr(result)
    assert validated.model_fields_set == result.model_fields_set | {
        name for name in validated.model_fields_set if name not in result.model_fields_set
    }


def test_results_are_built_without_pydantic_private_slots() -> None:
    """The package builds results through pydantic's public API only: no private slot writes."""
    from pathlib import Path

    source = Path(de.__file__).parent
    for module in source.rglob("*.py"):
        text = module.read_text(encoding="utf-8")
        for private in ("__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"):
            assert private not in text, f"{module.name} writes {private}"


def test_results_are_frozen_and_serialise(book: de.Phrasebook) -> None:
    """A picked phrase is frozen, hashable and round-trips through JSON."""
    phrase = book.pick("calm", locale="da", seed=1, gloss="en")
    with pytest.raises(Exception, match="frozen"):
        phrase.text = "changed"  # type: ignore[misc]
    assert de.Phrase.model_validate_json(phrase.model_dump_json()) == phrase
    assert hash(phrase.gloss) == hash(de.Gloss(locale="en", text=phrase.gloss.text))  # type: ignore[union-attr]


def test_every_result_the_picker_builds_is_what_validation_would_build(
    book: de.Phrasebook,
) -> None:
    """Every candidate line, tip and playbook of every locale, and results with fallbacks."""
    checked = 0
    for locale in book.locales:
        for situation in book.neutral.situations:
            playbook = book.playbook(situation, locale=locale)
            _same_as_validated(playbook)
            for stage in de.Stage:
                for tip in book.tips(stage, situation=situation, locale=locale):
                    _same_as_validated(tip)
                    checked += 1
                if stage is de.Stage.COOL_DOWN:
                    continue
                try:
                    options = book.options(stage, situation=situation, locale=locale)
                except de.DeescalateError:
                    continue  # this stage needs values here: covered below
                for entry, variant in options:
                    _same_as_validated(
                        book.pick(
                            stage, situation=situation, locale=locale, entry=entry, variant=variant
                        )
                    )
                    checked += 1
    assert checked > 1000
    fallbacks = [
        book.pick("calm", locale="de-AT", seed=1),
        book.pick("calm", locale="zh-TW", register="informal", seed=2),
        book.pick("calm", locale="da", register="neutral", seed=1, gloss="en"),
        book.pick("resolve", situation="billing-error", locale="ko", seed=1,
                  values={"amount": Decimal("12.5"), "currency": "KRW"}),
        book.pick("restate", locale="ro", seed=1, values={"summary": "coletul nu a sosit"}),
    ]  # fmt: skip
    for phrase in fallbacks:
        _same_as_validated(phrase)
    assert any(phrase.fallback for phrase in fallbacks)
    for info in book.situations():
        _same_as_validated(info)


def test_picking_builds_no_result_schema() -> None:
    """Result schemas wait until a program validates or dumps one (see also test_packaging)."""
    code = (
        "import deescalate as de\n"
        "de.pick('resolve', situation='billing-error', locale='da',"
        " values={'amount': 12.5, 'currency': 'DKK'}, gloss='en')\n"
        "de.tips('listen', locale='ko'); de.playbook('late-delivery', locale='ro')\n"
        "built = [m.__name__ for m in (de.Phrase, de.Fallback, de.Gloss, de.Tip, de.Playbook)"
        " if m.__pydantic_complete__]\n"
        "print(built)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.split() == ["[]"]
