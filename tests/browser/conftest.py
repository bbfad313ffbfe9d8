"""One embedded Campus and one Chromium for the browser tests of a module."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.harness.browser import DESKTOP_WIDTH, chromium, new_page, sign_in
from tests.harness.campus import EmbeddedCampus

OpenPage = Callable[..., Page]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture(scope="module")
def web_campus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCampus]:
    campus = EmbeddedCampus(Path(tmp_path_factory.mktemp("browser")))
    yield campus
    campus.stop()


@pytest.fixture
def open_page(browser: Browser, web_campus: EmbeddedCampus) -> Iterator[OpenPage]:
    """Open a page signed in as EMAIL (or nobody), in a language and a width."""
    pages: list[Page] = []

    def open_as(
        email: str | None = None, language: str = "en", width: int = DESKTOP_WIDTH
    ) -> Page:
        page = new_page(browser, web_campus.base_url, language, width)
        pages.append(page)
        if email is not None:
            sign_in(page, email)
        return page

    yield open_as
    for page in pages:
        page.context.close()
