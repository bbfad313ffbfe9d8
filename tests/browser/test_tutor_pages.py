"""The academic tutor's queue and decisions, driven through Chromium."""

from __future__ import annotations

import pytest

from tests.browser.conftest import OpenPage
from tests.browser.staff_steps import staff_page
from tests.e2e.journey import TUTORS, reach_tutor_review
from tests.harness.browser import DESKTOP_WIDTH, PHONE_WIDTH, check_page
from tests.harness.campus import EmbeddedCampus


def test_tutor_refuses_with_reason(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    journey, tutor = reach_tutor_review(web_campus)
    page = staff_page(open_page, tutor.email)
    page.goto("/tutor")
    page.locator(f'.todo a[href="/missions/{journey.mission_id}"]').click()

    page.get_by_label("Reason for refusing (sent to the student)").fill(
        "Les objectifs ne correspondent pas au programme."
    )
    page.get_by_role("button", name="Refuse the sheet").click()

    page.wait_for_url("**/tutor")
    assert "Sheet refused" in page.locator(".flash-info").inner_text()
    mission = journey.mission()
    assert mission["status"] == "company_completed"
    assert (
        mission["tutor_refusal"] == "Les objectifs ne correspondent pas au programme."
    )
    assert mission["history"][-1]["type"] == "TutorRefused"
    waiting = page.locator("section[aria-labelledby=sheets]")
    assert waiting.locator(f'a[href="/missions/{journey.mission_id}"]').count() == 0


def test_tutor_approves_from_mission_page(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    journey, tutor = reach_tutor_review(web_campus)
    page = staff_page(open_page, tutor.email, "fr")
    page.goto(f"/missions/{journey.mission_id}")
    next_action = page.locator(".todo").inner_text()
    assert "Validez la fiche, ou refusez-la avec un motif" in next_action

    page.get_by_role("button", name="Valider la fiche").click()

    page.wait_for_url("**/tutor")
    assert "Fiche validée" in page.locator(".flash-info").inner_text()
    assert journey.mission()["status"] == "career_service_review"


def test_refusal_needs_a_reason(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    journey, tutor = reach_tutor_review(web_campus)
    page = staff_page(open_page, tutor.email)
    page.goto(f"/missions/{journey.mission_id}")
    field = page.get_by_label("Reason for refusing (sent to the student)")

    field.fill("   ")
    page.get_by_role("button", name="Refuse the sheet").click()

    page.wait_for_url(f"**/missions/{journey.mission_id}")
    assert "reason" in page.locator(".flash-error").inner_text()
    assert journey.mission()["status"] == "tutor_review"


def test_tutor_kept_out_of_others_pages(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    journey, tutor = reach_tutor_review(web_campus)
    other = next(email for email in TUTORS if email != tutor.email)
    page = staff_page(open_page, other)

    mission_page = page.goto(f"/missions/{journey.mission_id}")
    career_page = page.goto("/career")

    # Another tutor's sheet is reported as not found, and staff pages as forbidden.
    assert mission_page is not None and mission_page.status == 404
    assert career_page is not None and career_page.status == 403
    assert "This page is not for your role." in page.locator("main").inner_text()
    assert journey.mission()["status"] == "tutor_review"


@pytest.mark.parametrize("width", [PHONE_WIDTH, DESKTOP_WIDTH])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_tutor_pages_readable(
    open_page: OpenPage, web_campus: EmbeddedCampus, language: str, width: int
) -> None:
    journey, tutor = reach_tutor_review(web_campus)
    page = staff_page(open_page, tutor.email, language, width)

    page.goto("/tutor")
    assert page.locator(f'a[href="/missions/{journey.mission_id}"]').count() >= 1
    check_page(page, f"tutor-home-{language}")
    page.goto(f"/missions/{journey.mission_id}")
    assert page.locator("textarea#refuse-reason").count() == 1
    check_page(page, f"tutor-mission-{language}")
