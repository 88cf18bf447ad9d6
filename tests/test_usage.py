"""``[locale] usage``: a catalogue written for one territory serves the others with a warning."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import pytest

import deescalate as de
from deescalate.cli import main
from deescalate.i18n import negotiate, with_usage

FOLLOWS_GB = "The 'en' catalogue follows United Kingdom usage"


def _book(tmp_path: Path, locale_table: str) -> de.Phrasebook:
    """A phrasebook whose English overlay sets ``[locale]`` as given."""
    directory = tmp_path / "overlay"
    directory.mkdir()
    (directory / "en.toml").write_text(textwrap.dedent(locale_table), encoding="utf-8")
    return de.Phrasebook.load(directory)


@pytest.fixture
def british(tmp_path: Path) -> de.Phrasebook:
    """English texts declared as British usage."""
    return _book(tmp_path, '[locale]\nusage = "GB"\n')


@pytest.mark.parametrize(
    ("preferences", "matched"),
    [
        ("da-DK", "da_DK"),
        ("da", "da"),
        (["zh-TW", "da"], "da"),
        ("xx", None),
    ],
)
def test_negotiate_records_the_preference_it_served(
    preferences: str | list[str], matched: str | None
) -> None:
    """``matched`` is the normalised preference the chosen catalogue serves, None for a default."""
    assert negotiate(preferences, ["en", "da"]).matched == matched


def test_matched_preference_does_not_split_equal_results() -> None:
    """``da`` and ``da-DK`` are served alike, so they compare equal (and share cache entries)."""
    assert negotiate("da", ["en", "da"]) == negotiate("da-DK", ["en", "da"])


@pytest.mark.parametrize("request_", ["en-US", "en-AU", "en-Latn-IN", ["xx", "en-US"]])
def test_another_territory_gets_the_catalogue_with_a_warning(
    british: de.Phrasebook, request_: str | list[str]
) -> None:
    """A request for another territory is still served in English, and told whose usage it is."""
    result = british.pick("calm", locale=request_)
    assert result.locale == "en"
    assert sum(FOLLOWS_GB in w for w in result.warnings) == 1


def test_the_warning_names_both_territories(british: de.Phrasebook) -> None:
    """The warning says which territory the texts follow and which one was asked for."""
    (warning,) = british.pick("calm", locale="en-US").warnings
    assert warning == (
        "The 'en' catalogue follows United Kingdom usage; "
        "there is no catalogue for United States yet ('en_US')."
    )


@pytest.mark.parametrize("request_", ["en", "en-GB", "en-Latn-GB"])
def test_same_or_no_territory_has_no_warning(british: de.Phrasebook, request_: str) -> None:
    """The territory the texts follow, or no territory at all, is served without a word."""
    assert british.pick("calm", locale=request_).warnings == ()


def test_every_kind_of_result_carries_the_warning(british: de.Phrasebook) -> None:
    """Picks of any offered line, tips and playbook all say it, so no caller misses it."""
    for entry, variant in british.options("close", locale="en-US"):
        picked = british.pick("close", locale="en-US", entry=entry, variant=variant)
        assert any(FOLLOWS_GB in w for w in picked.warnings), entry
    assert all(
        any(FOLLOWS_GB in w for w in t.warnings) for t in british.tips("close", locale="en-US")
    )
    assert any(FOLLOWS_GB in w for w in british.playbook("general", locale="en-US").warnings)


def test_without_usage_no_territory_is_warned_about() -> None:
    """The shipped English catalogue declares no usage: en-US is served silently."""
    book = de.Phrasebook.default()
    assert book.locale_data("en").usage is None
    assert book.pick("calm", locale="en-US").warnings == ()


def test_with_usage_leaves_a_default_choice_alone() -> None:
    """A catalogue chosen as the default serves no preference, so there is nothing to warn."""
    chosen = negotiate("xx-US", ["en", "da"])
    assert with_usage(chosen, "GB") is chosen


@pytest.mark.parametrize(
    ("usage", "reason"),
    [
        ('"gb"', "a CLDR region code"),
        ('"GBR"', "a CLDR region code"),
        ('"TW"', "Babel has no en_TW"),
    ],
)
def test_a_bad_usage_is_an_error_naming_file_field_and_line(
    tmp_path: Path, usage: str, reason: str
) -> None:
    """A usage that is no region, or one with no CLDR data for the language, fails the load."""
    with pytest.raises(de.CatalogueError) as caught:
        _book(tmp_path, f"[locale]\n# whose English\nusage = {usage}\n")
    err = caught.value
    assert reason in str(err)
    assert err.field == "locale.usage"
    assert err.line == 3
    assert str(err.path).endswith("en.toml")


def test_an_overlay_keeps_the_usage_below_it_unless_it_sets_one(tmp_path: Path) -> None:
    """An overlay without ``usage`` keeps the catalogue's; one with it replaces it."""
    british = _book(tmp_path, '[locale]\nusage = "GB"\n')
    assert british.locale_data("en").usage == "GB"
    directory = tmp_path / "second"
    directory.mkdir()
    (directory / "en.toml").write_text('[labels]\ncalm = "Calm"\n', encoding="utf-8")
    layered = de.Phrasebook.load(tmp_path / "overlay", directory)
    assert layered.locale_data("en").usage == "GB"
    (directory / "en.toml").write_text('[locale]\nusage = "AU"\n', encoding="utf-8")
    assert de.Phrasebook.load(tmp_path / "overlay", directory).locale_data("en").usage == "AU"


def test_cli_locales_json_shows_usage(tmp_path: Path) -> None:
    """``deescalate locales --json`` lists each catalogue's usage (null when it has none)."""
    _book(tmp_path, '[locale]\nusage = "GB"\n')
    out = io.StringIO()
    code = main(["--catalogue", str(tmp_path / "overlay"), "locales", "--json"], out=out)
    assert code == 0
    rows = {row["locale"]: row for row in json.loads(out.getvalue())}
    assert rows["en"]["usage"] == "GB"
    assert rows["da"]["usage"] is None


def test_service_locales_show_usage(tmp_path: Path) -> None:
    """``GET /v1/locales`` lists each catalogue's usage, and a pick for another territory warns."""
    from fastapi.testclient import TestClient

    from deescalate.server import Settings, create_app

    _book(tmp_path, '[locale]\nusage = "GB"\n')
    app = create_app(Settings(catalogues=(str(tmp_path / "overlay"),), store="memory://"))
    with TestClient(app) as client:
        rows = {row["locale"]: row for row in client.get("/v1/locales").json()}
        picked = client.get("/v1/pick", params={"stage": "calm", "locale": "en-US"}).json()
    assert rows["en"]["usage"] == "GB"
    assert rows["da"]["usage"] is None
    assert any(FOLLOWS_GB in w for w in picked["warnings"])
