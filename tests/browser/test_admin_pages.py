"""The admin's pages: programs with their rules, tutors with capacity and load."""

from __future__ import annotations

import pytest

from tests.browser.conftest import OpenPage
from tests.browser.staff_steps import staff_page
from tests.e2e.journey import CAREER_SERVICE, reach_tutor_review
from tests.harness.browser import DESKTOP_WIDTH, PHONE_WIDTH, check_page
from tests.harness.campus import EmbeddedCampus

ADMIN = "admin@ecole-campus.fr"


def test_programs_show_their_rules(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    page = staff_page(open_page, ADMIN)
    page.goto("/admin/programs")

    bachelor = page.locator("#program-bach-2-2026")
    rules = bachelor.inner_text()
    assert "Bachelor, 2e année, 2026-2027" in rules
    assert "from May 3, 2027 to August 31, 2027" in rules
    assert "4 to 12 weeks" in rules
    assert "Short internship" in rules
    assert "15 days before the start" in rules
    discovery = page.locator("#program-decouverte-1-2026").inner_text()
    assert "Allowed, within 48 hours a week together" in discovery


def test_tutors_show_capacity_and_load(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    _journey, tutor = reach_tutor_review(web_campus)
    page = staff_page(open_page, ADMIN)
    page.goto("/admin/programs")
    page.locator("#program-mge-1-2026").get_by_role("link", name="2 tutors").click()

    page.wait_for_url("**/admin/tutors#tutors-mge-1-2026")
    row = page.locator("#tutors-mge-1-2026 tbody tr").filter(has_text=tutor.email)
    assert row.locator("td[data-label=Capacity]").inner_text() == "40"
    load = int(row.locator("td[data-label=Load]").inner_text())
    assert load >= 1
    bachelor = page.locator("#tutors-bach-2-2026 tbody tr")
    assert bachelor.count() == 1
    assert bachelor.locator("td[data-label=Capacity]").inner_text() == "2"


def test_admin_pages_only_for_admin(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    page = staff_page(open_page, CAREER_SERVICE)

    programs = page.goto("/admin/programs")
    tutors = page.goto("/admin/tutors")

    assert programs is not None and programs.status == 403
    assert tutors is not None and tutors.status == 403


@pytest.mark.parametrize("width", [PHONE_WIDTH, DESKTOP_WIDTH])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_admin_pages_readable(
    open_page: OpenPage, web_campus: EmbeddedCampus, language: str, width: int
) -> None:
    journey, _tutor = reach_tutor_review(web_campus)
    page = staff_page(open_page, ADMIN, language, width)

    for path, name in (
        ("/admin/programs", "admin-programs"),
        ("/admin/tutors", "admin-tutors"),
        (f"/missions/{journey.mission_id}", "admin-mission"),
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        check_page(page, f"{name}-{language}")
