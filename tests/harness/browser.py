"""Debian's Chromium driven by Playwright, with the checks every page gets.

The browser is the one `scripts/system-packages.sh` installs; Playwright's own
browser download is never used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.harness.processes import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_SCRIPT = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / ".run" / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PHONE_WIDTH = 390
DESKTOP_WIDTH = 1280


@contextmanager
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        raise RuntimeError(
            f"{CHROMIUM} is missing: run scripts/system-packages.sh (make install)"
        )
    playwright: Playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


def new_page(browser: Browser, base_url: str, language: str, width: int) -> Page:
    """Open a fresh browser context: its own cookies, language and window width."""
    context = browser.new_context(
        base_url=base_url,
        locale="fr-FR" if language == "fr" else "en-GB",
        viewport={"width": width, "height": 900},
        accept_downloads=True,
    )
    context.set_default_timeout(20_000)
    return context.new_page()


def sign_in(page: Page, email: str) -> None:
    """Sign in through the development login's page, as a person would."""
    page.goto("/signin")
    page.locator("select[name=email]").select_option(email)
    page.locator('form[action="/login"] button[type=submit]').click()
    page.wait_for_url(re.compile(r"^(?!.*/signin)"))


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as `.run/screenshots/NAME-WIDTH.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    path = SCREENSHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def horizontal_overflow(page: Page) -> int:
    """Return by how many pixels the page is wider than the window (0 when it fits)."""
    overflow: int = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return overflow


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page; return its serious and critical violations."""
    if not AXE_SCRIPT.exists():
        raise RuntimeError(f"{AXE_SCRIPT} is missing: run `make install`")
    page.add_script_tag(path=str(AXE_SCRIPT))
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def check_page(page: Page, name: str) -> None:
    """Screenshot the page, then check that it fits the window and passes axe."""
    screenshot(page, name)
    assert horizontal_overflow(page) <= 0, f"{name} scrolls sideways"
    violations = serious_violations(page)
    assert violations == [], f"{name}: {violations}"
