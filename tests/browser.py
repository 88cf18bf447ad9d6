"""A real Chromium for the page's tests: Debian's browser driven by Playwright, and axe-core.

Browser downloads are not possible here, so Playwright launches the system
``chromium`` by its path (``.ci/run`` installs it). axe-core's ``axe.min.js``
comes from the npm package, fetched once with ``npm pack`` into a cache
directory (``DEESCALATE_AXE_DIR``, default ``~/.cache/deescalate-tests``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_PACKAGE = "axe-core@4.14.1"


@contextmanager
def chromium(**options: Any) -> Iterator[BrowserContext]:
    """A fresh Chromium profile (its own user-data directory), closed afterwards."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is not installed (.ci/run installs Debian's chromium)")
    with (
        tempfile.TemporaryDirectory(prefix="deescalate-chromium-") as profile,
        sync_playwright() as p,
    ):
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            accept_downloads=True,
            **options,
        )
        try:
            yield context
        finally:
            context.close()


def axe_script() -> str:
    """The text of axe-core's ``axe.min.js``, fetched with ``npm pack`` on first use."""
    cache = Path(os.environ.get("DEESCALATE_AXE_DIR", Path.home() / ".cache/deescalate-tests"))
    target = cache / AXE_PACKAGE.replace("@", "-") / "axe.min.js"
    if not target.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed once, to fetch axe-core")
        with tempfile.TemporaryDirectory() as work:
            subprocess.run(
                [npm, "pack", AXE_PACKAGE, "--silent"], cwd=work, check=True, capture_output=True
            )
            (tarball,) = Path(work).glob("axe-core-*.tgz")
            with tarfile.open(tarball) as archive:
                member = archive.extractfile("package/axe.min.js")
                assert member is not None
                data = member.read()
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)
    return target.read_text(encoding="utf-8")


def axe_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the page's CSP allows no inline script.
        page.evaluate(axe_script() + "\n;true")
    result = page.evaluate("async () => await axe.run(document)")
    assert result["passes"], "axe-core ran no checks"
    violations = result["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
