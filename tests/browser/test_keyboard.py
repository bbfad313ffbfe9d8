"""A student reaches and sends forms with the keyboard alone."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import OpenPage

LIAM = "liam.oconnor@etu.ecole-campus.fr"


def tab_to(page: Page, selector: str, presses: int = 60) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_sheet_created_with_keyboard(open_page: OpenPage) -> None:
    page = open_page(language="en")
    page.goto("/signin")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    tab_to(page, "select[name=email]")
    page.keyboard.type("Liam")  # a focused list jumps to the option typed
    assert page.locator("select[name=email]").input_value() == LIAM
    tab_to(page, 'form[action="/login"] button')
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("My mission sheets")

    tab_to(page, 'a[href="/missions/new"]')
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("New mission sheet")
    tab_to(page, "select[name=program_id]")
    tab_to(page, "input[name=commitment]")
    page.keyboard.press("Space")
    tab_to(page, 'form[action="/missions/new"] button[type=submit]')
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/missions/[0-9a-f-]+/dates$"))
    tab_to(page, "input[name=start_date]")
    tab_to(page, "input[name=end_date]")
    tab_to(page, "#location-france")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#location-abroad")).to_be_checked()
