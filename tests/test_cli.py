"""The deescalate command: output, JSON, exit codes and one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from deescalate.cli import main


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_pick_prints_the_line_and_where_it_came_from() -> None:
    """pick prints the text, then the entry, locale and register."""
    code, out = run(
        "pick",
        "restate",
        "--situation",
        "late-delivery",
        "--locale",
        "en-GB",
        "--value",
        "summary=the parcel hasn't arrived",
        "--seed",
        "1",
    )
    assert code == 0
    assert "the parcel hasn't arrived" in out
    assert "(restate.summary, en, neutral)" in out


def test_pick_json_with_money() -> None:
    """pick --json prints the Phrase as JSON, money formatted for the locale."""
    code, out = run(
        "pick",
        "resolve",
        "--situation",
        "billing-error",
        "--locale",
        "en",
        "--value",
        "amount=12.5",
        "--value",
        "currency=EUR",
        "--json",
        "--seed",
        "0",
    )
    assert code == 0
    data = json.loads(out)
    assert "€12.50" in data["text"]
    assert data["situation"] == "billing-error"
    assert data["register"] == "neutral"


def test_repeated_value_becomes_a_list() -> None:
    """--value options=a --value options=b fills a list placeholder."""
    code, out = run(
        "pick", "resolve", "--value", "options=a refund", "--value", "options=a voucher", "--json"
    )
    assert code == 0
    assert "a refund or a voucher" in json.loads(out)["text"]


def test_tips_playbook_situations_locales() -> None:
    """tips, playbook, situations and locales print what they promise."""
    code, out = run("tips", "listen", "--situation", "wants-manager")
    assert code == 0 and out.startswith("- ")
    code, out = run("playbook", "abusive-language")
    assert code == 0 and "Abusive language" in out and "7. Cool down" in out
    code, out = run("situations")
    assert code == 0 and "safety-threat" in out
    code, out = run("locales", "--json")
    rows = json.loads(out)
    assert {r["locale"] for r in rows} >= {"en", "da", "zh_Hans"}
    assert all(r["coverage"] == 100.0 for r in rows)
    zh = next(r for r in rows if r["locale"] == "zh_Hans")
    assert zh["name"] == "Chinese (Simplified)"
    hant = next(r for r in rows if r["locale"] == "zh_Hant")
    assert hant["name"] == "Chinese (Traditional)"


@pytest.mark.parametrize("locale", ["af", "da", "ko", "ro", "zh_Hans", "zh_Hant"])
def test_playbook_in_each_locale_has_no_english(locale: str) -> None:
    """A playbook printed in a locale contains no English catalogue text."""
    from deescalate import Phrasebook

    english = Phrasebook.default().locale_data("en")
    code, out = run("playbook", "late-delivery", "--locale", locale, "--register", "informal")
    assert code == 0
    for words in ("Late or missing delivery", "Say:", "Tips:", "Listen"):
        assert words not in out
    assert english.situation_names["late-delivery"] not in out


@pytest.mark.parametrize(("locale", "columns"), [("en", 24), ("zh_Hant", 18), ("ko", None)])
def test_playbook_title_is_underlined_to_its_width_on_screen(
    locale: str, columns: int | None
) -> None:
    """The title's underline is as wide as the title looks: CJK characters take two columns."""
    import unicodedata

    code, out = run("playbook", "late-delivery", "--locale", locale)
    title, underline = out.splitlines()[:2]
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in title)
    assert code == 0 and set(underline) == {"="}
    assert len(underline) == len(title) + wide
    if columns is not None:
        assert len(underline) == columns


def test_check_passes_on_shipped_catalogues() -> None:
    """check exits 0 and reports 100% for every locale."""
    code, out = run("check")
    assert code == 0
    assert "ok: 0 errors" in out
    assert out.count("100.0%") == 7


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pick", "calm", "--situation", "flood"], "unknown situation 'flood'"),
        (["pick", "shout"], "invalid choice"),
        (["pick", "calm", "--locale", "!!"], "invalid locale tag"),
        (["pick", "restate", "--entry", "restate.summary"], "needs a value for placeholder"),
        (["pick", "calm", "--value", "novalue"], "name=value"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad input gives exit code 2 and one clear line on stderr, no traceback."""
    code, _ = run(*argv)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_python_dash_m_runs_the_cli() -> None:
    """python -m deescalate is the same command."""
    done = subprocess.run(
        [sys.executable, "-m", "deescalate", "pick", "calm", "--seed", "1", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stage"] == "calm"


def test_an_argument_with_a_line_break_still_gives_one_error_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A stray argument holding a newline is shown escaped, so the error stays one line."""
    assert main(["situations", "\n"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\\n" in err
