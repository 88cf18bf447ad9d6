"""The agent-assist page in a real Chromium against a real `deescalate serve`.

The flows an agent goes through: a Danish contact glossed in English, another
line, the abuse ladder to its end, safety mode, the log, the interface in the
agent's language, the translators' view; axe-core on every view; catalogue
text that looks like HTML shown as text.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

import deescalate as de
from browser import axe_problems, chromium
from server_processes import Server, serve

pytestmark = pytest.mark.slow
# The machine is shared: give the page time to answer (the coverage grid runs the check).
expect.set_options(timeout=30_000)

DESKTOP = {"width": 1280, "height": 900}
PANEL = {"width": 360, "height": 800}
LOCALES = de.Phrasebook.default().locales
PAYLOAD_LINE = "<img src=x onerror=\"document.body.dataset.owned='yes'\"> Hold on, please."
PAYLOAD_TIP = "<script>document.body.dataset.owned='yes'</script> Breathe first."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `deescalate serve` (memory store) for the module's tests."""
    with serve(tmp_path_factory.mktemp("page"), "--store", "memory://") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    """Debian's Chromium with a fresh profile, shared by the module's tests."""
    with chromium(viewport=DESKTOP) as context:
        yield context


@pytest.fixture
def page(browser: BrowserContext, server: Server) -> Iterator[Page]:
    """The page, loaded and ready; fails the test on any script error."""
    tab = browser.new_page()
    tab.set_default_timeout(30_000)
    errors: list[str] = []
    tab.on("pageerror", lambda err: errors.append(str(err)))
    tab.goto(server.url + "/")
    expect(tab.locator("body")).to_have_attribute("data-ready", "true", timeout=30_000)
    yield tab
    tab.close()
    assert not errors


def start(
    page: Page,
    customer: str = "da",
    agent: str = "en",
    situation: str = "late-delivery",
    channel: str = "phone",
) -> None:
    """Fill the setup form and start a contact; waits for the first line."""
    page.select_option("#customer-locale", customer)
    page.select_option("#agent-locale", agent)
    page.select_option("#situation", situation)
    page.select_option("#channel", channel)
    page.click("#start")
    expect(page.locator("#line-text")).not_to_be_empty()


def line(page: Page) -> str:
    """The suggested line as shown."""
    return page.locator("#line-text").inner_text()


def page_log(page: Page) -> list[dict[str, object]]:
    """The log of the page's current conversation, read from the service."""
    conversation = page.locator("#contact").get_attribute("data-conversation")
    base = page.url.rstrip("/")
    log: list[dict[str, object]] = httpx.get(f"{base}/v1/conversations/{conversation}/log").json()
    return log


def ladder_step(page: Page) -> str:
    """The abuse ladder's current step, as shown."""
    return page.locator("#ladder [aria-current=step]").inner_text()


def test_the_page_is_served_with_a_strict_policy_and_no_inline_script(server: Server) -> None:
    """GET / is the page; its CSP allows only its own scripts, and it has no inline script."""
    response = httpx.get(server.url + "/")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    html = response.text
    assert "<script>" not in html and " on" + "click=" not in html
    assert httpx.get(server.url + "/static/page.js").status_code == 200


def test_a_danish_contact_glossed_in_english(page: Page) -> None:
    """A Danish line with its English gloss, the stage's tips, another line, then the next stage."""
    start(page)
    first = line(page)
    assert page.locator("#line-text").get_attribute("lang") == "da"
    gloss = page.locator("#line-gloss")
    assert gloss.get_attribute("lang") == "en" and gloss.inner_text().strip()
    assert page.locator("#tips li").count() > 0
    assert page.locator("#stages [aria-current=step]").inner_text() == "Calm"
    expect(page.locator("#copy")).to_be_hidden()  # nothing to copy on a call
    page.keyboard.press("a")
    expect(page.locator("#line-text")).not_to_have_text(first)
    page.keyboard.press("n")
    expect(page.locator("#stages [aria-current=step]")).to_have_text("Listen")
    assert "{" not in line(page)


def test_the_agent_picks_the_true_manager_line(page: Page) -> None:
    """At resolve in a wants-manager contact the other lines are on offer, glossed; the one
    the agent picks is said and logged, and after "the manager is busy" the close is not the
    hand-over to the manager."""
    start(page, customer="da", situation="wants-manager")
    for _ in range(4):
        page.keyboard.press("n")
    expect(page.locator("#stages [aria-current=step]")).to_have_text("Resolve")
    choices = page.locator("#choices")
    expect(choices).to_be_visible()
    book = de.Phrasebook.default()
    busy = {
        book.pick("resolve", situation="wants-manager", locale="da", channel="phone", **pair).text
        for pair in (
            {"entry": e, "variant": v}
            for e, v in book.options(
                "resolve", situation="wants-manager", locale="da", channel="phone"
            )
            if e == "resolve.wants-manager.busy"
        )
    }
    first = line(page)
    if first in busy:  # the busy line came first: ask for another, so it is a choice
        page.keyboard.press("a")
        expect(page.locator("#line-text")).not_to_have_text(first)
    # The choices are drawn just after the line: wait until they leave the line shown out.
    page.wait_for_function(
        """() => {
            const shown = document.querySelector('#line-text').textContent;
            const items = [...document.querySelectorAll('#choices-list button > span:first-child')];
            return items.length > 0 && items.every((span) => span.textContent !== shown);
        }"""
    )
    page.locator("#choices summary").click()
    buttons = page.locator("#choices-list button")
    shown = [buttons.nth(i).locator("span").first.inner_text() for i in range(buttons.count())]
    assert line(page) not in shown
    assert buttons.first.locator(".gloss").get_attribute("lang") == "en"
    target = next(i for i, text in enumerate(shown) if text in busy)
    buttons.nth(target).click()
    expect(page.locator("#line-text")).to_have_text(shown[target])
    said = [r for r in page_log(page) if r["kind"] == "phrase"]
    assert said[-1]["entry"] == "resolve.wants-manager.busy"
    page.keyboard.press("n")
    expect(page.locator("#stages [aria-current=step]")).to_have_text("Close")
    expect(page.locator("#line-text")).not_to_have_text(shown[target])
    said = [r for r in page_log(page) if r["kind"] == "phrase"]
    assert said[-1]["stage"] == "close"
    assert said[-1]["entry"] not in (
        "close.wants-manager.handing-over",
        "close.wants-manager.handing-over-chat",
    )
    expect(page.locator("#choices-count")).not_to_be_empty()


def test_a_chat_line_can_be_copied(page: Page) -> None:
    """On chat the copy control is there and says so when used."""
    start(page, channel="chat")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#copy")
    expect(page.locator("#status")).to_have_text("Copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == line(page)


def test_the_abuse_ladder_to_its_end(page: Page) -> None:
    """Each insult climbs one visible step; the last one gives the line that ends the contact."""
    start(page, customer="en", situation="billing-error")
    assert ladder_step(page) == "No abuse"
    seen = []
    for _ in range(4):
        page.keyboard.press("i")
        expect(page.locator("#ladder [aria-current=step]")).not_to_have_text(
            seen[-1] if seen else "No abuse"
        )
        seen.append(ladder_step(page))
    assert seen == ["Request", "Warning", "Final warning", "End"]
    expect(page.locator("#stages [aria-current=step]")).to_have_text("Close")
    log = page_log(page)
    said = [r for r in log if r["kind"] == "phrase"]
    assert said[-1]["entry"] == "close.abusive-language.end-contact"
    assert said[-1]["text"] == line(page)
    page.keyboard.press("n")
    expect(page.locator("#stages [aria-current=step]")).to_have_text("Cool down")
    page.keyboard.press("n")
    expect(page.locator("#status")).to_have_text("The contact is over.")
    expect(page.locator("#next")).to_be_disabled()


def test_safety_mode_stays_on_with_the_verbatim_wording_and_the_log_records_it(
    page: Page, tmp_path: Path
) -> None:
    """Self-harm: calm safety mode, no end-call control, verbatim line; the log has it all."""
    start(page, customer="en", situation="billing-error")
    expect(page.locator("#end")).to_be_visible()
    page.fill("#heard-input", "I can't take this any more")
    page.keyboard.press("Escape")
    page.keyboard.press("h")
    expect(page.locator("#safety")).to_be_visible()
    expect(page.locator("#end")).to_be_hidden()
    expect(page.locator("#line-note")).to_contain_text("verbatim")
    # The apologise stage of a safety contact thanks the caller: its heading says so.
    expect(page.locator("#stages")).to_contain_text("Acknowledge")
    expect(page.locator("#stages")).not_to_contain_text("Apologise")
    assert page.locator("#safety-steps li").count() > 0
    shown = line(page)
    page.keyboard.press("e")  # the end-call shortcut does nothing now
    page.keyboard.press("k")  # calmed down: recorded, safety mode stays
    expect(page.locator("#safety")).to_be_visible()
    expect(page.locator("#end")).to_be_hidden()
    with page.expect_download() as download:
        page.keyboard.press("d")
    saved = tmp_path / "log.json"
    download.value.save_as(saved)
    log = json.loads(saved.read_text(encoding="utf-8"))
    assert isinstance(log, list) and log
    text = json.dumps(log, ensure_ascii=False)
    assert "self-harm" in text and "calmed-down" in text
    noted = [r for r in log if r["kind"] == "event" and r["event"] == "self-harm"]
    assert noted[0]["words"] == "I can't take this any more"
    assert shown in text


def test_the_customer_said_box_flags_and_notes_what_it_hears(page: Page) -> None:
    """Danish words asking for a manager are shown with the words, and the contact restates."""
    start(page)
    for stage in ("Listen", "Restate", "Apologise"):
        page.keyboard.press("n")
        expect(page.locator("#stages [aria-current=step]")).to_have_text(stage)
    page.fill("#heard-input", "Jeg vil tale med din chef, nu!")
    page.click("#listen")
    expect(page.locator("#signals li").first).to_contain_text("tale med din chef")
    expect(page.locator("#signals li").first).to_contain_text("Wants a manager")
    expect(page.locator("#stages [aria-current=step]")).to_have_text("Restate")


def test_the_agents_language_changes_the_labels_and_missing_ones_show_the_fallback(
    page: Page,
) -> None:
    """Danish labels replace English ones; a locale without page labels falls back visibly."""
    start_button = page.locator("#start span").first
    expect(start_button).to_have_text("Start contact")
    page.select_option("#agent-locale", "da")
    expect(start_button).to_have_text("Start henvendelse")
    expect(page.locator("label[for=situation]")).to_have_text("Situation")
    page.select_option("#agent-locale", "ko")
    expect(start_button).to_have_class("untranslated")
    expect(start_button).to_have_text("Start contact")
    for button in page.locator("button:visible").all():
        assert button.inner_text().strip()


def test_lines_never_show_a_placeholder_and_values_get_typed_fields(page: Page) -> None:
    """Through a whole billing contact no line shows braces; a stage that takes values asks."""
    start(page, customer="en", situation="billing-error", channel="email")
    asked = set()
    for _ in range(7):
        assert "{" not in line(page) and "}" not in line(page)
        fields = page.evaluate(
            """() => [...document.querySelectorAll('#value-fields :is(input, textarea)')]
                .map((el) => [el.id, document.querySelector(`[for="${el.id}"]`).textContent])"""
        )
        for field_id, label in fields:
            assert label.strip()
            asked.add(field_id)
        if page.locator("#next").is_disabled():
            break
        before = page.locator("#stages [aria-current=step]").inner_text()
        page.keyboard.press("n")
        # The next stage (and its fields) is drawn once its line, tips and choices are in.
        page.wait_for_function(
            """(before) => {
                const now = document.querySelector('#stages [aria-current=step]');
                const over = document.querySelector('#next').disabled;
                return !now || now.textContent !== before || over;
            }""",
            arg=before,
        )
    assert "value-amount" in asked


def test_the_translators_view_shows_the_coverage_grid(page: Page) -> None:
    """T shows one coloured table per locale, each cell a count; the shortcut goes back."""
    page.keyboard.press("t")
    tables = page.locator("#coverage table")
    expect(tables).to_have_count(len(LOCALES))
    assert page.locator("#coverage td.full").count() > 0
    assert page.locator("#coverage td.cell").first.inner_text().strip()
    page.keyboard.press("t")
    expect(page.locator("#contact-view")).to_be_visible()


def test_keyboard_focus_is_visible(page: Page) -> None:
    """Tabbing lands on a control with a visible outline."""
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")


def test_every_view_passes_axe_at_both_widths(page: Page) -> None:
    """No serious or critical axe-core violation: setup, contact (its other lines open too),
    safety, translators, 360 px."""
    problems: dict[str, list[str]] = {}
    for width in (DESKTOP, PANEL):
        page.set_viewport_size(width)
        page.reload()
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        problems[f"setup {width['width']}"] = axe_problems(page)
        start(page, channel="chat")
        problems[f"contact {width['width']}"] = axe_problems(page)
        page.locator("#choices summary").click()
        expect(page.locator("#choices-list button").first).to_be_visible()
        problems[f"contact, other lines open {width['width']}"] = axe_problems(page)
        page.keyboard.press("v")
        expect(page.locator("#safety")).to_be_visible()
        problems[f"safety {width['width']}"] = axe_problems(page)
        scroll = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert scroll <= 0, f"the page scrolls sideways at {width['width']} px"
        page.keyboard.press("t")
        expect(page.locator("#coverage table")).to_have_count(len(LOCALES))
        problems[f"translators {width['width']}"] = axe_problems(page)
    page.set_viewport_size(DESKTOP)
    assert problems == {view: [] for view in problems}


def test_the_page_at_200_percent_zoom_does_not_scroll_sideways(
    browser: BrowserContext, server: Server
) -> None:
    """A 1280 px screen at 200 % zoom is 640 CSS px: the contact fits without a sideways scroll."""
    tab = browser.new_page()
    tab.set_viewport_size({"width": 640, "height": 450})
    tab.goto(server.url + "/")
    expect(tab.locator("body")).to_have_attribute("data-ready", "true")
    start(tab, situation="billing-error")
    assert tab.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    tab.close()


def test_catalogue_text_that_looks_like_html_is_shown_as_text(
    browser: BrowserContext, tmp_path: Path
) -> None:
    """An overlay's <img onerror> line and <script> tip appear as text and run nothing."""
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "entries.toml").write_text(
        textwrap.dedent(
            """
            [situations.markup-test]
            parent = "general"
            description = "Text that looks like HTML."

            [situations.markup-test.stages.calm]
            phrases = "replace"
            tips = "replace"

            [entries."calm.markup-test.line"]
            kind = "phrase"
            stage = "calm"
            situations = ["markup-test"]
            notes = "A line that looks like markup."

            [entries."calm.markup-test.tip"]
            kind = "tip"
            stage = "calm"
            situations = ["markup-test"]
            notes = "A tip that looks like markup."
            """
        ),
        encoding="utf-8",
    )
    (overlay / "en.toml").write_text(
        "[situations]\n"
        'markup-test = "<b>Markup</b> test"\n\n'
        '[entries."calm.markup-test.line"]\n'
        f"text = [{json.dumps(PAYLOAD_LINE)}]\n\n"
        '[entries."calm.markup-test.tip"]\n'
        f"text = [{json.dumps(PAYLOAD_TIP)}]\n",
        encoding="utf-8",
    )
    with serve(
        tmp_path, "--store", "memory://", env={"DEESCALATE_CATALOGUE": str(overlay)}
    ) as server:
        tab = browser.new_page()
        tab.goto(server.url + "/")
        expect(tab.locator("body")).to_have_attribute("data-ready", "true")
        assert tab.locator("#situation option[value=markup-test]").inner_text() == (
            "<b>Markup</b> test"
        )
        start(tab, customer="en", agent="en", situation="markup-test")
        assert line(tab) == PAYLOAD_LINE
        expect(tab.locator("#tips li").first).to_have_text(PAYLOAD_TIP)
        assert tab.locator("#contact img, #contact b, #tips script").count() == 0
        assert tab.evaluate("() => document.body.dataset.owned") is None
