"""The career service's queues and decisions, driven through Chromium."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.browser.conftest import OpenPage
from tests.browser.staff_steps import staff_page
from tests.e2e.journey import (
    CAREER_SERVICE,
    PROGRAM,
    TUTORS,
    Journey,
    approve,
    reach_company_completed,
    reach_tutor_review,
    unique_supervisor_email,
)
from tests.harness.browser import DESKTOP_WIDTH, PHONE_WIDTH, check_page
from tests.harness.campus import EmbeddedCampus, User
from tests.harness.seed import fresh_student

# Longer than the program's 26 weeks: only a derogation allows these dates.
TOO_LONG = {
    "start_date": "2027-01-11",
    "end_date": "2027-09-24",
    "location": "france",
    "country": "FR",
    "request_derogation": True,
    "message": "Mon école partenaire impose un stage de huit mois.",
}


def reach_career_review(campus: EmbeddedCampus) -> Journey:
    journey, tutor = reach_tutor_review(campus)
    approved = tutor.post(f"/missions/{journey.mission_id}/tutor/approve")
    assert approved.status_code == 200, approved.text
    return journey


def request_derogation(campus: EmbeddedCampus) -> tuple[User, str]:
    student = User(campus, fresh_student())
    created = student.post(
        "/missions", {"program_id": PROGRAM, "commitment_accepted": True}
    )
    assert created.status_code == 201, created.text
    mission_id: str = created.json()["id"]
    requested = student.put(f"/missions/{mission_id}/dates", TOO_LONG)
    assert requested.status_code == 200, requested.text
    assert requested.json()["status"] == "derogation_pending"
    return student, mission_id


def mission_of(user: User, mission_id: str) -> dict[str, Any]:
    response = user.get(f"/missions/{mission_id}")
    assert response.status_code == 200, response.text
    mission: dict[str, Any] = response.json()
    return mission


def test_career_service_gives_final_approval(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    journey = reach_career_review(web_campus)
    page = staff_page(open_page, CAREER_SERVICE)
    page.goto("/career?status=career_service_review")
    page.locator(f'table a[href="/missions/{journey.mission_id}"]').click()
    next_action = page.locator(".todo").inner_text()
    assert "Give the final approval, or send the sheet back" in next_action

    page.get_by_role("button", name="Give the final approval").click()

    page.wait_for_url("**/career?status=career_service_review")
    assert "Final approval given" in page.locator(".flash-info").inner_text()
    assert journey.mission()["status"] == "approved"


def test_career_service_sends_back_with_reason(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    journey = reach_career_review(web_campus)
    page = staff_page(open_page, CAREER_SERVICE, "fr")
    page.goto(f"/missions/{journey.mission_id}")

    page.get_by_label("Motif du renvoi (envoyé à l'étudiant)").fill(
        "La gratification mensuelle manque."
    )
    page.get_by_role("button", name="Renvoyer à l'étudiant").click()

    page.wait_for_url("**/career?status=career_service_review")
    assert "Fiche renvoyée" in page.locator(".flash-info").inner_text()
    mission = journey.mission()
    assert mission["status"] == "company_completed"
    assert mission["send_back_reason"] == "La gratification mensuelle manque."
    assert mission["history"][-1]["message"] == "La gratification mensuelle manque."


def test_career_service_approves_derogation(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    student, mission_id = request_derogation(web_campus)
    name = mission_of(student, mission_id)["student"]["name"]
    page = staff_page(open_page, CAREER_SERVICE)
    page.goto("/career/derogations")
    request = page.locator("article").filter(has_text=name)

    request.get_by_label("Your message to the student").fill(
        "Accordée : joindre l'accord de l'école partenaire."
    )
    request.get_by_role("button", name="Approve the derogation").click()

    page.wait_for_url("**/career/derogations")
    assert "Derogation approved" in page.locator(".flash-info").inner_text()
    mission = mission_of(student, mission_id)
    assert mission["status"] == "draft"
    assert mission["derogation"]["status"] == "approved"
    assert mission["history"][-1]["message"] == (
        "Accordée : joindre l'accord de l'école partenaire."
    )
    assert page.locator("article").filter(has_text=name).count() == 0


def test_career_service_rejects_derogation(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    student, mission_id = request_derogation(web_campus)
    page = staff_page(open_page, CAREER_SERVICE)
    page.goto(f"/missions/{mission_id}")

    page.get_by_label("Your message to the student").fill("Huit mois, c'est trop.")
    page.get_by_role("button", name="Reject the derogation").click()

    page.wait_for_url("**/career/derogations")
    mission = mission_of(student, mission_id)
    assert mission["derogation"]["status"] == "rejected"
    assert mission["start_date"] is None


def test_career_service_reassigns_tutor(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    journey, tutor = reach_tutor_review(web_campus)
    other = next(email for email in TUTORS if email != tutor.email)
    page = staff_page(open_page, CAREER_SERVICE)
    page.goto(f"/missions/{journey.mission_id}")

    page.locator("summary", has_text="Change the academic tutor").click()
    page.get_by_label("New tutor").select_option(other)
    page.get_by_label("Reason (optional, kept in the history)").fill("Tuteur en congé.")
    page.get_by_role("button", name="Change the tutor").click()

    page.wait_for_url(f"**/missions/{journey.mission_id}")
    assert "Tutor changed" in page.locator(".flash-info").inner_text()
    mission = journey.mission()
    assert mission["tutor"]["email"] == other
    assert mission["history"][-1]["type"] == "TutorAssigned"
    assert mission["history"][-1]["message"] == "Tuteur en congé."


def test_career_service_changes_supervisor_email(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    journey, _tutor = reach_tutor_review(web_campus)
    new_email = unique_supervisor_email()
    page = staff_page(open_page, CAREER_SERVICE)
    page.goto(f"/missions/{journey.mission_id}")

    page.locator("summary", has_text="Change the supervisor's email").click()
    page.get_by_label("New email of the company supervisor").fill(new_email)
    page.get_by_role("button", name="Change the email").click()

    page.wait_for_url(f"**/missions/{journey.mission_id}")
    assert "Supervisor's email changed" in page.locator(".flash-info").inner_text()
    mission = journey.mission()
    assert mission["sections"]["supervisor"]["email"] == new_email
    assert mission["history"][-1]["type"] == "SupervisorChanged"


def test_career_service_cancels_and_records_originals(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    approved = reach_company_completed(web_campus)
    approve(approved)
    dropped, _tutor = reach_tutor_review(web_campus)
    page = staff_page(open_page, CAREER_SERVICE)

    page.goto(f"/missions/{approved.mission_id}")
    page.get_by_role(
        "button", name="Record receipt of the three signed originals"
    ).click()
    page.wait_for_url(f"**/missions/{approved.mission_id}")
    page.goto(f"/missions/{dropped.mission_id}")
    page.locator("summary", has_text="Cancel the sheet").click()
    page.get_by_label("Reason for cancelling").fill("L'entreprise a renoncé.")
    page.get_by_role("button", name="Cancel the sheet").click()
    page.wait_for_url(f"**/missions/{dropped.mission_id}")

    assert approved.mission()["originals_received_at"] is not None
    cancelled = dropped.mission()
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancel_reason"] == "L'entreprise a renoncé."


def test_queue_filtered_and_exported(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    journey, _tutor = reach_tutor_review(web_campus)
    page = staff_page(open_page, CAREER_SERVICE)
    page.goto("/career")

    page.get_by_label("State", exact=True).select_option("tutor_review")
    page.get_by_label("Program", exact=True).select_option(PROGRAM)
    page.get_by_role("button", name="Filter").click()

    page.wait_for_url("**/career?status=tutor_review&program_id=*")
    rows = page.locator("table.stack tbody tr")
    assert rows.count() >= 1
    assert rows.filter(has_text="With the career service").count() == 0
    assert page.locator(f'table a[href="/missions/{journey.mission_id}"]').count() == 1
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export this list (CSV)").click()
    download = download_info.value
    content = download.path().read_text(encoding="utf-8-sig")
    exported = list(csv.DictReader(io.StringIO(content)))
    assert download.suggested_filename == "missions.csv"
    assert journey.mission_id in {row["id"] for row in exported}
    assert {row["status"] for row in exported} == {"tutor_review"}
    assert {row["program_id"] for row in exported} == {PROGRAM}
    assert len(exported) == rows.count()


def test_emails_log_lists_mission_emails(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    journey, tutor = reach_tutor_review(web_campus)
    page = staff_page(open_page, CAREER_SERVICE)
    page.goto("/career/emails")

    page.get_by_label("Mission id (optional)").fill(journey.mission_id)
    page.get_by_role("button", name="Filter").click()

    page.wait_for_url(f"**/career/emails?mission_id={journey.mission_id}")
    recipients = page.locator("tbody td[data-label=To]").all_inner_texts()
    assert journey.supervisor_email in recipients
    assert tutor.email in recipients


@pytest.mark.parametrize("width", [PHONE_WIDTH, DESKTOP_WIDTH])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_career_pages_readable(
    open_page: OpenPage, web_campus: EmbeddedCampus, language: str, width: int
) -> None:
    journey = reach_career_review(web_campus)
    request_derogation(web_campus)
    page = staff_page(open_page, CAREER_SERVICE, language, width)

    for path, name in (
        ("/career", "career-queues"),
        ("/career/derogations", "career-derogations"),
        ("/career/at-risk", "career-at-risk"),
        ("/career/emails", "career-emails"),
        (f"/missions/{journey.mission_id}", "career-mission"),
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        check_page(page, f"{name}-{language}")


def test_queue_pages_through_long_list(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    """More drafts than a page: 50 shown, the rest one click away, none twice."""
    student = User(web_campus, fresh_student())
    for _ in range(51):
        created = student.post(
            "/missions", {"program_id": PROGRAM, "commitment_accepted": True}
        )
        assert created.status_code == 201, created.text
    career = User(web_campus, CAREER_SERVICE)
    drafts = career.get("/missions/counts").json()["by_status"]["draft"]
    page = staff_page(open_page, CAREER_SERVICE)
    page.goto("/career?status=draft")

    rows = page.locator("table.stack tbody tr")
    assert rows.count() == 50
    assert page.get_by_text(f"{drafts} sheets", exact=False).count() >= 1
    first_links = set(
        page.locator("table.stack tbody a").evaluate_all(
            "links => links.map(link => link.getAttribute('href'))"
        )
    )
    check_page(page, "career-queue-first-page")
    page.get_by_role("link", name="Next page").click()
    page.wait_for_url("**/career?status=draft&cursor=*")

    later_links = set(
        page.locator("table.stack tbody a").evaluate_all(
            "links => links.map(link => link.getAttribute('href'))"
        )
    )
    assert later_links
    assert first_links.isdisjoint(later_links)
    assert page.get_by_role("link", name="First page").count() == 1
