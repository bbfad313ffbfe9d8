"""One embedded Campus and one Chromium for the browser tests of a module."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.harness.browser import (
    DESKTOP_WIDTH,
    SCREENSHOTS,
    chromium,
    new_page,
    screenshot,
    sign_in,
)
from tests.harness.campus import EmbeddedCampus

OpenPage = Callable[..., Page]
# Whether the test failed, so that its pages are kept as screenshots.
FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="session", autouse=True)
def fresh_screenshots() -> None:
    """Empty the screenshots folder, so that it shows this run's pages only."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API runs an event loop while it is started, which
    # pytest-asyncio's tests cannot share, so it stops after each module.
    with chromium() as running:
        yield running


@pytest.fixture(scope="module")
def web_campus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCampus]:
    campus = EmbeddedCampus(Path(tmp_path_factory.mktemp("browser")))
    yield campus
    campus.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


@pytest.fixture
def open_page(
    request: pytest.FixtureRequest, browser: Browser, web_campus: EmbeddedCampus
) -> Iterator[OpenPage]:
    """Open a page in a language and a width, signed in as EMAIL when given."""
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
    if request.node.stash.get(FAILED, False):
        for number, page in enumerate(pages):
            screenshot(page, f"failed-{request.node.name}-{number}")
    for page in pages:
        page.context.close()
