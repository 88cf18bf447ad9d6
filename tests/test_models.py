"""The result models, and the unvalidated construction the picker uses for them."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest
from pydantic import BaseModel

import deescalate as de
from deescalate.models import trusted


def _same_as_validated(result: BaseModel) -> None:
    """``result`` is exactly what validating its own fields gives: values, types, order."""
    validated = type(result).model_validate(result.model_dump(by_alias=True))
    assert validated == result
    # repr shows enum members as such and every nested model, in field order.
    assert repr(validated) == repr(result)
    assert validated.model_fields_set == result.model_fields_set | {
        name for name in validated.model_fields_set if name not in result.model_fields_set
    }


def test_trusted_fills_defaults_and_records_the_given_fields() -> None:
    fallback = trusted(de.Fallback)(
        kind=de.FallbackKind.LOCALE, requested="de", used="en", reason="no German"
    )
    assert fallback == de.Fallback(
        kind=de.FallbackKind.LOCALE, requested="de", used="en", reason="no German"
    )
    tip = trusted(de.Tip)(
        text="Breathe.", id="calm.breathe", stage=de.Stage.CALM, situation="general", locale="en"
    )
    assert tip.fallback == () and tip.warnings == () and tip.gloss is None
    assert tip.model_fields_set == {"text", "id", "stage", "situation", "locale"}
    assert list(tip.__dict__) == list(de.Tip.model_fields)
    _same_as_validated(tip)


def test_trusted_accepts_the_alias_and_the_field_name() -> None:
    fields = {
        "text": "Hi",
        "id": "calm.hi",
        "variant": 0,
        "stage": de.Stage.CALM,
        "situation": "general",
        "locale": "en",
        "channels": (de.Channel.PHONE,),
    }
    by_alias = trusted(de.Phrase)(register=de.Register.NEUTRAL, **fields)  # type: ignore[call-arg]
    by_name = trusted(de.Phrase)(register_=de.Register.NEUTRAL, **fields)
    assert by_alias == by_name
    assert by_alias.register is de.Register.NEUTRAL
    _same_as_validated(by_alias)


def test_trusted_refuses_unknown_missing_and_positional_fields() -> None:
    make = trusted(de.Gloss)
    with pytest.raises(TypeError, match="no field"):
        make(locale="en", text="x", colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="needs a value for text"):
        make(locale="en")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="keyword arguments only"):
        make("en", "x")  # type: ignore[misc]


def test_trusted_results_are_frozen_and_serialise() -> None:
    gloss = trusted(de.Gloss)(locale="en", text="Hello")
    with pytest.raises(Exception, match="frozen"):
        gloss.text = "changed"  # type: ignore[misc]
    assert de.Gloss.model_validate_json(gloss.model_dump_json()) == gloss
    assert hash(gloss) == hash(de.Gloss(locale="en", text="Hello"))


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
