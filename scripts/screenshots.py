"""Write screenshots of the agent-assist page's main views into docs/images/.

    python scripts/screenshots.py

Starts `deescalate serve` on a free port (memory store), drives Debian's
Chromium with Playwright as the browser tests do, and saves each view at a
desktop width (1280 px) and a side-panel width (360 px):

- ``page-contact-*.png``: a Danish late-delivery contact glossed in English;
- ``page-ladder-*.png``: the same after two insults (the ladder's warning step);
- ``page-choices-*.png``: a contact asking for a manager at resolve, the stage's other
  lines open for the agent to pick the true one;
- ``page-safety-*.png``: safety mode after a self-harm signal;
- ``page-translators-*.png``: the coverage grid.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect

from deescalate import Phrasebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import chromium  # noqa: E402
from server_processes import serve  # noqa: E402

IMAGES = ROOT / "docs" / "images"
WIDTHS = {"desktop": (1280, 860), "panel": (360, 780)}


def contact(page: Page, url: str, situation: str, customer: str = "da") -> None:
    """Open the page and start a contact glossed in English."""
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=30_000)
    page.select_option("#customer-locale", customer)
    page.select_option("#agent-locale", "en")
    page.select_option("#situation", situation)
    page.select_option("#channel", "chat")
    page.fill("#customer-name", "Mette")
    page.click("#start")
    expect(page.locator("#line-text")).not_to_be_empty()


def shoot(page: Page, name: str, width: str) -> None:
    """Save the whole page as docs/images/NAME-WIDTH.png."""
    page.mouse.move(0, 0)
    path = IMAGES / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    print(path.relative_to(ROOT))


def main() -> None:
    """Take every screenshot."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work, serve(Path(work), "--store", "memory://") as server:
        for width, (w, h) in WIDTHS.items():
            with chromium(viewport={"width": w, "height": h}) as context:
                page = context.new_page()
                contact(page, server.url, "late-delivery")
                page.keyboard.press("n")
                expect(page.locator("#stages [aria-current=step]")).to_have_text("Listen")
                shoot(page, "page-contact", width)
                page.keyboard.press("i")
                page.keyboard.press("i")
                expect(page.locator("#ladder [aria-current=step]")).to_have_text("Warning")
                shoot(page, "page-ladder", width)
                contact(page, server.url, "wants-manager")
                for _ in range(4):
                    page.keyboard.press("n")
                expect(page.locator("#stages [aria-current=step]")).to_have_text("Resolve")
                page.locator("#choices summary").click()
                expect(page.locator("#choices-list button").first).to_be_visible()
                shoot(page, "page-choices", width)
                contact(page, server.url, "billing-error")
                page.fill("#heard-input", "Jeg kan ikke mere, jeg vil ikke leve længere")
                page.click("#listen")
                expect(page.locator("#safety")).to_be_visible()
                shoot(page, "page-safety", width)
                page.keyboard.press("t")
                expect(page.locator("#coverage table")).to_have_count(
                    len(Phrasebook.default().locales)
                )
                shoot(page, "page-translators", width)


if __name__ == "__main__":
    main()
