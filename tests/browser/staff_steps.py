"""Shared steps of the staff's browser tests: a signed-in page in a language."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import OpenPage
from tests.harness.browser import DESKTOP_WIDTH


def staff_page(
    open_page: OpenPage, email: str, language: str = "en", width: int = DESKTOP_WIDTH
) -> Page:
    """Sign in as a member of staff, then choose the page language, as they would."""
    page = open_page(email, language, width)
    page.goto(f"/language/{language}?next=/")
    return page
