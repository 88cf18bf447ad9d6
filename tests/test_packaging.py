"""The catalogues ship in the wheel and are read from it, not from the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path
from typing import Any

import pytest
from babel.numbers import format_currency

import deescalate as de

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_contains_catalogues_and_works_installed(tmp_path: Path) -> None:
    """A wheel built from the tree, installed in a fresh venv, picks a Danish phrase."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
    )
    (wheel,) = dist.glob("deescalate-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(p.stem for p in (ROOT / "src" / "deescalate" / "locales").glob("*.toml"))
    for stem in shipped:
        assert f"deescalate/locales/{stem}.toml" in names
        # Each file also ships validated and compiled, for a quick start.
        assert f"deescalate/locales/_compiled/{stem}.pickle" in names
    assert "deescalate/py.typed" in names

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True)

    def run(script: str) -> Any:
        # -I: isolated mode, so neither the source tree nor the user site can leak in.
        done = subprocess.run(
            [str(python), "-I", "-c", script],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=True,
        )
        return json.loads(done.stdout)

    location, locale, text = run(
        "import deescalate as de, json;"
        "p = de.pick('apologise', situation='late-delivery', locale='da-DK', seed=1);"
        "print(json.dumps([de.__file__, p.locale, p.text]))"
    )
    assert str(env_dir) in location
    assert locale == "da"
    assert text == de.pick("apologise", situation="late-delivery", locale="da", seed=1).text

    # The installed copy starts from the compiled catalogues: no TOML parser, no
    # validation schemas, no pydantic plugin discovery on the way to the first line.
    first_pick = (
        "import sys, json, deescalate as de;"
        "p = de.pick('resolve', situation='billing-error', locale='da', seed=1,"
        " values={'amount': 12.5, 'currency': 'DKK'});"
        "names = ('tomllib', 'deescalate.catalogue.schema', 'pydantic.plugin._loader');"
        "loaded = [m for m in names if m in sys.modules];"
        "print(json.dumps([p.model_dump(mode='json'), loaded]))"
    )

    def run_first_pick() -> tuple[dict[str, object], list[str]]:
        dumped, modules = run(first_pick)
        return dumped, modules

    dumped, modules = run_first_pick()
    expected = de.pick(
        "resolve",
        situation="billing-error",
        locale="da",
        seed=1,
        values={"amount": 12.5, "currency": "DKK"},
    )
    assert dumped == expected.model_dump(mode="json")
    assert modules == []

    # An installed TOML file edited in place wins over its compiled form.
    installed_da = Path(location).parent / "locales" / "da.toml"
    variants = de.Phrasebook.default().locale_data("da").texts[expected.id][expected.register]
    source = variants[expected.variant].source
    assert isinstance(source, str) and "{amount}" in source
    edited = installed_da.read_text("utf-8").replace(source, "Det er ordnet: {amount} til dig.")
    installed_da.write_text(edited, "utf-8")
    dumped, modules = run_first_pick()
    amount = format_currency(12.5, "DKK", locale="da")
    assert dumped["text"] == f"Det er ordnet: {amount} til dig."
    assert "tomllib" in modules


@pytest.mark.slow
def test_the_suite_refuses_a_package_from_outside_the_tree_under_test(tmp_path: Path) -> None:
    """conftest stops the run when deescalate is not imported from the tree being tested."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "DEESCALATE_UNDER_TEST": str(tmp_path)},
    )
    assert done.returncode != 0
    assert "not from the tree under test" in done.stdout + done.stderr
