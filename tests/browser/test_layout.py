"""Every visitor's first page, in both languages and both widths."""

from __future__ import annotations

import pytest

from tests.browser.conftest import OpenPage
from tests.harness.browser import DESKTOP_WIDTH, PHONE_WIDTH, check_page


@pytest.mark.parametrize("width", [PHONE_WIDTH, DESKTOP_WIDTH])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_signin_page_readable(open_page: OpenPage, language: str, width: int) -> None:
    page = open_page(language=language, width=width)
    page.goto("/signin")

    assert page.locator("html").get_attribute("lang") == language
    check_page(page, f"signin-{language}")


def test_language_switch_remembered(open_page: OpenPage) -> None:
    page = open_page(language="en")
    page.goto("/signin")
    page.get_by_role("link", name="FR Français").click()

    assert page.locator("h1").inner_text() == "Connexion à Campus"
    page.goto("/signin")
    assert page.locator("html").get_attribute("lang") == "fr"
