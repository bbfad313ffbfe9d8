"""The mission sheet's whole life, through the gateway, in each way Campus runs."""

from __future__ import annotations

from tests.e2e.journey import (
    ABROAD,
    CAREER_SERVICE,
    CAREER_SERVICE_MAILBOX,
    FRANCE,
    TUTOR_NAMES,
    TUTORS,
    company_completes,
    pdf_text,
    send_to_company,
    start_mission,
)
from tests.harness.campus import RunningCampus, User, wait_for, wait_for_email


def test_france_journey_ends_with_agreement(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    mission_id = journey.mission_id
    assert journey.mission()["deadline"] == "2027-03-24"

    token = send_to_company(journey)
    company_page = User(campus).http.get(f"/company/{token}")
    assert company_page.status_code == 200
    assert "Société Générale des Eaux" in company_page.text
    company_view = User(campus).get(f"/company/{token}/mission").json()
    assert company_view["language"] == "fr"
    assert "organisation.address" in company_view["empty_fields"]
    assert "history" not in company_view
    company_completes(journey, token)
    assert User(campus).post(f"/company/{token}/validate").status_code == 409

    wait_for_email(
        campus, journey.student.email, "a complété votre fiche de mission", mission_id
    )
    sheet = journey.student.get(f"/missions/{mission_id}/sheet.pdf")
    assert sheet.status_code == 200
    assert sheet.headers["content-type"] == "application/pdf"
    sheet_text = pdf_text(sheet.content)
    assert "Ingénieur réseau senior" in sheet_text
    assert "12 quai de la Rapée" in sheet_text

    confirmed = journey.student.post(
        f"/missions/{mission_id}/confirm", {"message": "Stage de fin d'année."}
    )
    assert confirmed.status_code == 200, confirmed.text
    tutor = confirmed.json()["tutor"]
    assert tutor["email"] in TUTORS
    assert tutor["name"] == TUTOR_NAMES[tutor["email"]]
    assert confirmed.json()["status"] == "tutor_review"

    request = wait_for_email(
        campus, tutor["email"], "Validation pédagogique demandée", mission_id
    )
    assert "Stage de fin d'année." in request["text"]
    approved_by_tutor = User(campus, tutor["email"]).post(
        f"/missions/{mission_id}/tutor/approve"
    )
    assert approved_by_tutor.json()["status"] == "career_service_review"

    wait_for_email(
        campus, CAREER_SERVICE_MAILBOX, "Validation finale attendue", mission_id
    )
    approved = User(campus, CAREER_SERVICE).post(f"/missions/{mission_id}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"

    ready = wait_for_email(
        campus, journey.student.email, "Votre convention de stage est prête", mission_id
    )
    assert f"/api/v1/missions/{mission_id}/convention.pdf" in ready["text"]
    agreement = journey.student.get(f"/missions/{mission_id}/convention.pdf")
    assert agreement.status_code == 200, agreement.text
    text = pdf_text(agreement.content)
    for expected in (
        "Élodie Dupré",
        "Société Générale des Eaux",
        "François Lefèvre",
        tutor["name"],
        "1er avril 2027",
        "30 juillet 2027",
        "700,00",
        "Durée totale de présence : 588 heures",
        "au minimum 693,00",
    ):
        assert expected in text, f"{expected!r} missing from the agreement"

    history = [entry["type"] for entry in journey.mission()["history"]]
    assert history[0] == "MissionCreated"
    assert history[-1] == "MissionApproved"


def test_abroad_journey_writes_to_company_in_english(campus: RunningCampus) -> None:
    journey = start_mission(campus, ABROAD)
    mission = journey.mission()
    assert mission["deadline"] == "2027-04-18"
    assert mission["location"] == "abroad"
    assert mission["country"] == "DE"

    submitted = journey.student.post(f"/missions/{journey.mission_id}/submit")
    assert submitted.status_code == 200, submitted.text
    email = wait_for_email(
        campus, journey.supervisor_email, "Mission sheet to complete"
    )
    assert "no account needed" in email["text"]
    assert "<a href=" in email["html"]
    company_completes(journey, journey.company_token("Mission sheet to complete"))

    confirmed = journey.student.post(f"/missions/{journey.mission_id}/confirm", {})
    tutor = User(campus, confirmed.json()["tutor"]["email"])
    tutor.post(f"/missions/{journey.mission_id}/tutor/approve")
    User(campus, CAREER_SERVICE).post(f"/missions/{journey.mission_id}/approve")

    def agreement_ready() -> bytes | None:
        response = journey.student.get(f"/missions/{journey.mission_id}/convention.pdf")
        return response.content if response.status_code == 200 else None

    text = pdf_text(wait_for(agreement_ready, "the abroad agreement"))
    assert "Wasserwerke München GmbH" in text
    assert "Convention de stage" in text
    assert "Internship agreement" in text


def test_evaluations_scheduled_after_approval(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    company_completes(journey, send_to_company(journey))
    confirmed = journey.student.post(f"/missions/{journey.mission_id}/confirm", {})
    User(campus, confirmed.json()["tutor"]["email"]).post(
        f"/missions/{journey.mission_id}/tutor/approve"
    )
    User(campus, CAREER_SERVICE).post(f"/missions/{journey.mission_id}/approve")

    def report_scheduled() -> dict[str, str] | None:
        response = journey.student.get(f"/missions/{journey.mission_id}/evaluations")
        if response.status_code != 200:
            return None
        report: dict[str, str] = response.json()["report"]
        return report if report["status"] == "not_open" else None

    report = wait_for(report_scheduled, "the report deposit to be scheduled")
    assert report["opens_on"] == "2027-06-30"
    assert report["closes_on"] == "2027-10-30"
