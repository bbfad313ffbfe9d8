"""The mission sheet's whole journey clicked through in Chromium by its actors."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import OpenPage
from tests.e2e.journey import (
    CAREER_SERVICE,
    company_token_in,
    pdf_text,
    reach_tutor_review,
    unique_supervisor_email,
)
from tests.harness.browser import PHONE_WIDTH, check_page
from tests.harness.campus import EmbeddedCampus, User, wait_for_email
from tests.harness.seed import fresh_student

SECTION_VALUES = {
    "student": {
        "first_name": "Inès",
        "last_name": "Benali",
        "student_number": "20260117",
        "phone": "+33 6 98 76 54 32",
    },
    "organisation": {"name": "Atelier Lumière SAS", "sector": "Éclairage"},
    "mission": {
        "title": "Étude de marché de l'éclairage public",
        "description": "Recenser les besoins des communes et chiffrer l'offre.",
    },
}


def fill_section(page: Page, values: dict[str, str]) -> None:
    for field, value in values.items():
        page.locator(f"#field-{field}").fill(value)


def create_sheet(page: Page, student: str, supervisor: str) -> str:
    """Create a France sheet through the pages and send it; return its id."""
    page.goto("/")
    page.get_by_role("button", name="New mission sheet").click()
    page.get_by_label("Your program").select_option("mge-1-2026")
    page.get_by_label("I have read this commitment and I accept it.").check()
    page.get_by_role("button", name="Create the sheet").click()

    page.get_by_label("First day").fill("2027-04-01")
    page.get_by_label("Last day").fill("2027-07-30")
    page.get_by_label("In France").check()
    page.get_by_role("button", name="Save and continue").click()
    mission_id = re.search(r"/missions/([0-9a-f-]+)/edit/student", page.url)
    assert mission_id is not None, page.url

    fill_section(page, SECTION_VALUES["student"])
    page.locator("#field-email").fill(student)
    page.get_by_role("button", name="Save and go on").click()
    fill_section(page, SECTION_VALUES["organisation"])
    page.locator("#field-country").select_option("FR")
    page.get_by_role("button", name="Save and go on").click()
    fill_section(
        page, {"first_name": "Paul", "last_name": "Arnaud", "email": supervisor}
    )
    page.get_by_role("button", name="Save and go on").click()
    fill_section(page, SECTION_VALUES["mission"])
    page.get_by_role("button", name="Save and go on").click()
    page.locator("#field-weekly_hours").fill("35")
    page.get_by_label("Tuesday").check()
    page.get_by_label("Wednesday").check()
    page.get_by_label("Thursday").check()
    page.get_by_label("Friday").check()
    page.get_by_label("Saturday").check()
    page.get_by_role("button", name="Save and go on").click()

    assert page.url.endswith("/review")
    page.get_by_role("button", name="Send to the company").click()
    expect(page.get_by_text("The sheet is sent to the company.")).to_be_visible()
    return mission_id.group(1)


def company_completes(
    open_page: OpenPage, campus: EmbeddedCampus, supervisor: str, mission_id: str
) -> None:
    """The supervisor follows the emailed link and completes the sheet in French."""
    email = wait_for_email(campus, supervisor, "")
    token = company_token_in(email["text"])
    company = open_page(language="fr", width=PHONE_WIDTH)
    company.goto(f"/company/{token}")
    expect(company.locator("h1")).to_contain_text("Fiche de mission")
    expect(company.locator("label.missing").first).to_be_visible()
    check_page(company, "company-form-fr")

    company.locator("#organisation-address").fill("4 rue des Lampes, 69002 Lyon")
    company.locator("#organisation-representative_name").fill("Claire Roussel")
    company.locator("#supervisor-position").fill("Responsable des études")
    company.locator("#terms-monthly_allowance").fill("700.00")
    company.get_by_role("button", name="Enregistrer et valider").click()
    expect(company.locator("h1")).to_have_text("Merci, la fiche est validée.")


def test_four_actors_journey(open_page: OpenPage, web_campus: EmbeddedCampus) -> None:
    student_email = fresh_student("en")
    supervisor = unique_supervisor_email()
    student = open_page(student_email, language="en")

    mission_id = create_sheet(student, student_email, supervisor)
    company_completes(open_page, web_campus, supervisor, mission_id)

    student.goto(f"/missions/{mission_id}")
    expect(student.get_by_text("The company completed the sheet.")).to_be_visible()
    check_page(student, "mission-company-completed-en")
    link = student.get_by_role("link", name="Read the completed sheet (PDF)")
    sheet = student.request.get(str(link.get_attribute("href")))
    assert sheet.headers["content-type"] == "application/pdf"
    assert "Claire Roussel" in pdf_text(sheet.body())
    student.get_by_label("Message to your tutor (optional)").fill("Merci !")
    student.get_by_role("button", name="Confirm the sheet").click()
    expect(
        student.get_by_text("Confirmed: the sheet goes to your tutor.")
    ).to_be_visible()
    expect(student.locator(".badge")).to_have_text("With the tutor")

    tutor_email = (
        User(web_campus, student_email)
        .get(f"/missions/{mission_id}")
        .json()["tutor"]["email"]
    )
    tutor = open_page(tutor_email)
    in_english(tutor)
    tutor.goto("/tutor")
    check_page(tutor, "tutor-queue-en")
    tutor.locator(f'a[href="/missions/{mission_id}"]').first.click()
    tutor.get_by_role("button", name="Approve the sheet").click()

    career = open_page(CAREER_SERVICE, width=PHONE_WIDTH)
    in_english(career)
    career.goto("/career")
    check_page(career, "career-queues-en")
    career.goto(f"/missions/{mission_id}")
    career.get_by_role("button", name="Give the final approval").click()

    student.goto("/agreements")
    check_page(student, "agreements-en")
    with student.expect_download() as agreement:
        student.get_by_role("button", name="Download the agreement (PDF)").click()
    text = pdf_text(Path(agreement.value.path()).read_bytes())
    assert "Benali" in text
    assert "Atelier Lumière SAS" in text


def in_english(page: Page) -> None:
    """Switch a signed-in page to English with the switch at the top right."""
    page.goto("/")
    page.get_by_role("link", name="EN English").click()


def test_tutor_refusal_sent_back_to_company(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    journey, tutor_user = reach_tutor_review(web_campus)
    tutor = open_page(tutor_user.email)
    in_english(tutor)
    tutor.goto(f"/missions/{journey.mission_id}")
    tutor.get_by_label("Reason for refusing (sent to the student)").fill(
        "Les objectifs manquent de précision."
    )
    tutor.get_by_role("button", name="Refuse the sheet").click()

    student = open_page(journey.student.email)
    in_english(student)
    student.goto(f"/missions/{journey.mission_id}")
    refusal = student.get_by_text("Les objectifs manquent de précision.")
    expect(refusal.first).to_be_visible()
    student.get_by_label("What should the company change?").fill(
        "Précisez les objectifs, s'il vous plaît."
    )
    student.get_by_role("button", name="Send back to the company").click()

    expect(student.locator(".badge")).to_have_text("With the company")
    email = wait_for_email(
        web_campus, journey.supervisor_email, "", "Précisez les objectifs"
    )
    assert company_token_in(email["text"])
