"""The admin's pages: programs with their rules, tutors with capacity and load."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import OpenPage
from tests.browser.staff_steps import staff_page
from tests.e2e.journey import CAREER_SERVICE, reach_tutor_review
from tests.harness.browser import DESKTOP_WIDTH, PHONE_WIDTH, check_page
from tests.harness.campus import EmbeddedCampus, User

ADMIN = "admin@ecole-campus.fr"


def program_of(user: User, program_id: str) -> dict[str, Any]:
    response = user.get("/programs")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = next(p for p in response.json() if p["id"] == program_id)
    return found


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
    assert row.locator("input[name=capacity]").input_value() == "40"
    load = int(row.locator("td[data-label=Load]").inner_text())
    assert load >= 1
    bachelor = page.locator("#tutors-bach-2-2026 tbody tr")
    assert bachelor.count() == 1
    assert bachelor.locator("input[name=capacity]").input_value() == "2"


def test_admin_changes_capacity_and_rules(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    admin = User(web_campus, ADMIN)
    page = staff_page(open_page, ADMIN)
    try:
        page.goto("/admin/tutors")
        bachelor = page.locator("#tutors-bach-2-2026")
        bachelor.get_by_label("Capacity of Marc Leroy").fill("6")
        bachelor.get_by_role("button", name="Save").click()
        page.wait_for_url("**/admin/tutors#tutors-bach-2-2026")
        assert "Tutor's capacity saved." in page.locator(".flash-info").inner_text()

        page.goto("/admin/programs")
        rules = page.locator("#program-bach-2-2026")
        rules.locator("summary").click()
        rules.get_by_label("Maximum weeks").fill("14")
        rules.get_by_label("Lead time abroad (days)").fill("20")
        rules.get_by_role("button", name="Save the rules").click()
        page.wait_for_url("**/admin/programs#program-bach-2-2026")
        assert "Program rules saved." in page.locator(".flash-info").inner_text()
        assert "4 to 14 weeks" in page.locator("#program-bach-2-2026").inner_text()

        bachelor_now = program_of(admin, "bach-2-2026")
        assert bachelor_now["tutors"][0]["capacity"] == 6
        assert bachelor_now["max_weeks"] == 14
        assert bachelor_now["lead_time_abroad_days"] == 20
        assert bachelor_now["min_weeks"] == 4
    finally:
        admin.put(
            "/programs/bach-2-2026", {"max_weeks": 12, "lead_time_abroad_days": 15}
        )
        admin.put(
            "/programs/bach-2-2026/tutors/marc.leroy@ecole-campus.fr", {"capacity": 2}
        )


def test_incoherent_rules_shown_as_error(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    page = staff_page(open_page, ADMIN, "fr")
    page.goto("/admin/programs")
    rules = page.locator("#program-mge-1-2026")
    rules.locator("summary").click()

    rules.get_by_label("Nombre minimum de semaines").fill("30")
    rules.get_by_role("button", name="Enregistrer les règles").click()

    page.wait_for_url("**/admin/programs#program-mge-1-2026")
    assert "min_weeks" in page.locator(".flash-error").inner_text()
    assert program_of(User(web_campus, ADMIN), "mge-1-2026")["min_weeks"] == 4


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
