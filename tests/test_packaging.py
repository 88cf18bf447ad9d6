"""The catalogues ship in the wheel and are read from it, not from the source tree."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

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
    for name in ("entries.toml", "en.toml", "da.toml", "zh_Hans.toml"):
        assert f"deescalate/locales/{name}" in names
    assert "deescalate/py.typed" in names

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True)
    script = (
        "import deescalate as de, json;"
        "p = de.pick('apologise', situation='late-delivery', locale='da-DK', seed=1);"
        "print(json.dumps([de.__file__, p.locale, p.text]))"
    )
    # -I: isolated mode, so neither the source tree nor the user site can leak in.
    done = subprocess.run(
        [str(python), "-I", "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    import json

    location, locale, text = json.loads(done.stdout)
    assert str(env_dir) in location
    assert locale == "da"
    assert text
