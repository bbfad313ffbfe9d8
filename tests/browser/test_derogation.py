"""A student warned that the dates break the rules requests a derogation."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import OpenPage
from tests.e2e.journey import CAREER_SERVICE
from tests.harness.browser import PHONE_WIDTH, check_page
from tests.harness.campus import EmbeddedCampus, User
from tests.harness.seed import fresh_student


def test_derogation_requested_then_approved(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    email = fresh_student("en")
    student = open_page(email, language="en", width=PHONE_WIDTH)
    student.goto("/missions/new")
    student.get_by_label("I have read this commitment and I accept it.").check()
    student.get_by_role("button", name="Create the sheet").click()
    student.get_by_label("First day").fill("2027-09-01")
    student.get_by_label("Last day").fill("2027-10-29")
    student.get_by_role("button", name="Save and continue").click()

    expect(student.get_by_role("alert")).to_contain_text(
        "These dates break your program's rules"
    )
    check_page(student, "derogation-warning-en")
    student.get_by_label(
        "I confirm that I ask for a derogation for these dates."
    ).check()
    student.get_by_label("Why do you need these dates?").fill(
        "The company's project starts in September."
    )
    student.get_by_role("button", name="Save and continue").click()
    expect(student.get_by_text("Your derogation request is sent")).to_be_visible()

    mission_id = student.url.split("/missions/")[1].split("/")[0]
    mission = User(web_campus, email).get(f"/missions/{mission_id}").json()
    assert mission["status"] == "derogation_pending"
    assert mission["end_date"] == "2027-10-29"
    career = User(web_campus, CAREER_SERVICE)
    decided = career.post(
        f"/missions/{mission_id}/derogation/approve", {"message": "Accordé."}
    )
    assert decided.status_code == 200, decided.text

    student.goto(f"/missions/{mission_id}")
    expect(student.locator(".badge")).to_have_text("Draft")
    expect(student.get_by_text("Derogation approved")).to_be_attached()


def test_derogation_not_confirmed_keeps_sheet(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    email = fresh_student("fr")
    student = open_page(email, language="fr")
    student.goto("/missions/new")
    student.get_by_label("J'ai lu cet engagement et je l'accepte.").check()
    student.get_by_role("button", name="Créer la fiche").click()
    student.get_by_label("Premier jour").fill("2027-09-01")
    student.get_by_label("Dernier jour").fill("2027-10-29")
    student.get_by_role("button", name="Enregistrer et continuer").click()
    expect(student.get_by_role("alert")).to_contain_text("ne respectent pas")

    student.get_by_role("button", name="Enregistrer et continuer").click()

    expect(student.get_by_role("alert")).to_contain_text("ne respectent pas")
    mission_id = student.url.split("/missions/")[1].split("/")[0]
    mission = User(web_campus, email).get(f"/missions/{mission_id}").json()
    assert mission["status"] == "draft"
    assert mission["start_date"] is None
