"""Every branch of the mission sheet besides the straight path."""

from __future__ import annotations

import httpx

from tests.e2e.journey import (
    CAREER_SERVICE,
    CAREER_SERVICE_MAILBOX,
    FRANCE,
    OTHER_STUDENT,
    PROGRAM,
    STUDENT,
    company_completes,
    company_token_in,
    reach_company_completed,
    reach_tutor_review,
    send_to_company,
    start_mission,
)
from tests.harness.campus import RunningCampus, User, csrf_token_in, wait_for_email
from tests.harness.seed import fresh_student

OUTSIDE_WINDOW = {
    "start_date": "2026-12-14",
    "end_date": "2027-03-12",
    "location": "france",
    "country": "FR",
}


def _new_draft(campus: RunningCampus) -> tuple[User, str]:
    student = User(campus, fresh_student())
    created = student.post(
        "/missions", {"program_id": PROGRAM, "commitment_accepted": True}
    )
    assert created.status_code == 201, created.text
    return student, created.json()["id"]


def test_dates_outside_window_need_derogation(campus: RunningCampus) -> None:
    student, mission_id = _new_draft(campus)

    refused = student.put(f"/missions/{mission_id}/dates", OUTSIDE_WINDOW)
    assert refused.status_code == 409
    assert refused.json()["code"] == "derogation_required"
    assert "window" in refused.json()["message"]
    assert student.get(f"/missions/{mission_id}").json()["start_date"] is None

    without_message = student.put(
        f"/missions/{mission_id}/dates", {**OUTSIDE_WINDOW, "request_derogation": True}
    )
    assert without_message.status_code == 422
    assert without_message.json()["field"] == "message"

    requested = student.put(
        f"/missions/{mission_id}/dates",
        {**OUTSIDE_WINDOW, "request_derogation": True, "message": "Stage de césure."},
    )
    assert requested.status_code == 200, requested.text
    assert requested.json()["status"] == "derogation_pending"
    email = wait_for_email(
        campus, CAREER_SERVICE_MAILBOX, "Demande de dérogation", mission_id
    )
    assert "Stage de césure." in email["text"]

    career_service = User(campus, CAREER_SERVICE)
    approved = career_service.post(
        f"/missions/{mission_id}/derogation/approve",
        {"message": "Accordé pour la césure."},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "draft"
    assert approved.json()["start_date"] == "2026-12-14"
    wait_for_email(campus, student.email, "Votre dérogation est accordée", mission_id)

    journey_student = User(campus, student.email)
    for name, fields in _complete_student_sections().items():
        journey_student.put(f"/missions/{mission_id}/sections/{name}", fields)
    submitted = journey_student.post(f"/missions/{mission_id}/submit")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "sent_to_company"


def test_rejected_derogation_clears_dates(campus: RunningCampus) -> None:
    student, mission_id = _new_draft(campus)
    student.put(
        f"/missions/{mission_id}/dates",
        {
            **OUTSIDE_WINDOW,
            "request_derogation": True,
            "message": "Contrainte familiale.",
        },
    )
    career_service = User(campus, CAREER_SERVICE)

    rejected = career_service.post(
        f"/missions/{mission_id}/derogation/reject", {"message": "Hors calendrier."}
    )

    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "draft"
    assert rejected.json()["start_date"] is None
    assert rejected.json()["end_date"] is None
    assert rejected.json()["derogation"]["status"] == "rejected"
    email = wait_for_email(
        campus, student.email, "Votre dérogation est refusée", mission_id
    )
    assert "Hors calendrier." in email["text"]
    assert student.post(f"/missions/{mission_id}/submit").status_code == 422


def test_student_cannot_decide_own_derogation(campus: RunningCampus) -> None:
    student, mission_id = _new_draft(campus)
    student.put(
        f"/missions/{mission_id}/dates",
        {**OUTSIDE_WINDOW, "request_derogation": True, "message": "Merci."},
    )

    response = student.post(
        f"/missions/{mission_id}/derogation/approve", {"message": "oui"}
    )

    assert response.status_code == 403


def test_submit_names_missing_field(campus: RunningCampus) -> None:
    student, mission_id = _new_draft(campus)
    student.put(f"/missions/{mission_id}/dates", FRANCE)
    student.put(f"/missions/{mission_id}/sections/student", {"first_name": "Élodie"})

    response = student.post(f"/missions/{mission_id}/submit")

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_field"
    assert response.json()["field"] == "student.last_name"


def test_student_cancels_before_sending(campus: RunningCampus) -> None:
    student, mission_id = _new_draft(campus)

    cancelled = student.post(
        f"/missions/{mission_id}/cancel", {"reason": "Autre offre."}
    )

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "Autre offre."


def test_student_cannot_cancel_while_at_company(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    send_to_company(journey)

    response = journey.student.post(
        f"/missions/{journey.mission_id}/cancel", {"reason": "x"}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "wrong_status"


def test_return_to_company_sends_fresh_link(campus: RunningCampus) -> None:
    journey = reach_company_completed(campus)
    first_token = journey.company_token()

    returned = journey.student.post(
        f"/missions/{journey.mission_id}/return-to-company",
        {"message": "Merci de corriger l'adresse."},
    )

    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "sent_to_company"
    email = wait_for_email(campus, journey.supervisor_email, "Modifications demandées")
    assert "Merci de corriger l'adresse." in email["text"]
    new_token = company_token_in(email["text"])
    assert new_token != first_token
    stale = User(campus).get(f"/company/{first_token}/mission")
    assert stale.status_code == 409
    assert stale.json()["code"] == "link_used"
    company_completes(journey, new_token)
    assert journey.mission()["status"] == "company_completed"


def test_student_cancel_reason_quoted_to_company(campus: RunningCampus) -> None:
    journey = reach_company_completed(campus)

    cancelled = journey.student.post(
        f"/missions/{journey.mission_id}/cancel",
        {"reason": "Les horaires ne conviennent pas."},
    )

    assert cancelled.json()["status"] == "cancelled"
    email = wait_for_email(campus, journey.supervisor_email, "Fiche de mission annulée")
    assert "Les horaires ne conviennent pas." in email["text"]


def test_tutor_refusal_emailed_then_back_to_company(campus: RunningCampus) -> None:
    journey, tutor = reach_tutor_review(campus)

    refused = tutor.post(
        f"/missions/{journey.mission_id}/tutor/refuse",
        {"reason": "Missions trop vagues."},
    )

    assert refused.status_code == 200, refused.text
    assert refused.json()["status"] == "company_completed"
    assert refused.json()["tutor_refusal"] == "Missions trop vagues."
    email = wait_for_email(
        campus, journey.student.email, "Votre tuteur a refusé", journey.mission_id
    )
    assert "Missions trop vagues." in email["text"]
    confirm_again = journey.student.post(f"/missions/{journey.mission_id}/confirm", {})
    assert confirm_again.status_code == 409
    returned = journey.student.post(
        f"/missions/{journey.mission_id}/return-to-company",
        {"message": "Pouvez-vous préciser les missions ?"},
    )
    assert returned.json()["status"] == "sent_to_company"
    assert returned.json()["tutor_refusal"] is None


def test_tutor_refusal_then_cancel(campus: RunningCampus) -> None:
    journey, tutor = reach_tutor_review(campus)
    tutor.post(
        f"/missions/{journey.mission_id}/tutor/refuse", {"reason": "Hors programme."}
    )

    cancelled = journey.student.post(
        f"/missions/{journey.mission_id}/cancel", {"reason": "Je change de stage."}
    )

    assert cancelled.json()["status"] == "cancelled"
    email = wait_for_email(campus, journey.supervisor_email, "Fiche de mission annulée")
    assert "Je change de stage." in email["text"]


def test_tutor_refusal_needs_reason(campus: RunningCampus) -> None:
    journey, tutor = reach_tutor_review(campus)

    response = tutor.post(
        f"/missions/{journey.mission_id}/tutor/refuse", {"reason": "  "}
    )

    assert response.status_code == 422
    assert response.json()["field"] == "reason"


def test_career_service_sends_file_back(campus: RunningCampus) -> None:
    journey, tutor = reach_tutor_review(campus)
    tutor.post(f"/missions/{journey.mission_id}/tutor/approve")
    career_service = User(campus, CAREER_SERVICE)

    sent_back = career_service.post(
        f"/missions/{journey.mission_id}/send-back",
        {"reason": "Gratification manquante."},
    )

    assert sent_back.status_code == 200, sent_back.text
    assert sent_back.json()["status"] == "company_completed"
    assert sent_back.json()["send_back_reason"] == "Gratification manquante."
    email = wait_for_email(
        campus,
        journey.student.email,
        "Le service des stages vous renvoie",
        journey.mission_id,
    )
    assert "Gratification manquante." in email["text"]
    confirmed = journey.student.post(f"/missions/{journey.mission_id}/confirm", {})
    assert confirmed.json()["status"] == "tutor_review"
    assert confirmed.json()["tutor"]["email"] == tutor.email


def test_other_student_cannot_see_mission(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    other = User(campus, OTHER_STUDENT)

    assert other.get(f"/missions/{journey.mission_id}").status_code == 404
    assert other.get(f"/missions/{journey.mission_id}/sheet.pdf").status_code == 404
    assert (
        other.put(
            f"/missions/{journey.mission_id}/sections/mission", {"title": "x"}
        ).status_code
        == 404
    )
    listed = [m["id"] for m in other.get("/missions").json()]
    assert journey.mission_id not in listed


def test_unassigned_tutor_cannot_see_mission(campus: RunningCampus) -> None:
    journey, tutor = reach_tutor_review(campus)
    other_tutor_email = next(
        email
        for email in ("helene.cote@ecole-campus.fr", "marc.leroy@ecole-campus.fr")
        if email != tutor.email
    )
    other_tutor = User(campus, other_tutor_email)

    assert other_tutor.get(f"/missions/{journey.mission_id}").status_code == 404
    refused = other_tutor.post(f"/missions/{journey.mission_id}/tutor/approve")
    assert refused.status_code == 404


def test_forged_company_link_refused(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    token = send_to_company(journey)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    response = User(campus).get(f"/company/{forged}/mission")

    assert response.status_code == 401
    assert response.json()["code"] == "link_invalid"


def test_requests_without_sign_in_refused(campus: RunningCampus) -> None:
    response = User(campus).get("/missions")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def _complete_student_sections() -> dict[str, dict[str, object]]:
    from tests.e2e.journey import student_sections, unique_supervisor_email

    return student_sections(unique_supervisor_email())


BACHELOR_SUMMER = {
    "start_date": "2027-06-01",
    "end_date": "2027-07-30",
    "location": "france",
    "country": "FR",
}


def test_tutor_capacity_respected(campus: RunningCampus) -> None:
    # The bachelor program has one tutor who can follow two missions.
    tutors = []
    for _ in range(2):
        journey = reach_company_completed(campus, BACHELOR_SUMMER, "bach-2-2026")
        confirmed = journey.student.post(f"/missions/{journey.mission_id}/confirm", {})
        assert confirmed.status_code == 200, confirmed.text
        tutors.append(confirmed.json()["tutor"]["email"])
    third = reach_company_completed(campus, BACHELOR_SUMMER, "bach-2-2026")

    refused = third.student.post(f"/missions/{third.mission_id}/confirm", {})

    assert tutors == ["marc.leroy@ecole-campus.fr"] * 2
    assert refused.status_code == 409
    assert refused.json()["code"] == "no_tutor_available"
    assert third.mission()["status"] == "company_completed"


def test_oversized_body_rejected(campus: RunningCampus) -> None:
    student, mission_id = _new_draft(campus)
    huge = {"description": "é" * (1024 * 1024)}

    response = student.put(f"/missions/{mission_id}/sections/mission", huge)

    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert student.get(f"/missions/{mission_id}").json()["sections"]["mission"] == {}


def test_company_completes_through_page(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    token = send_to_company(journey)
    browser = User(campus)
    page = browser.http.get(f"/company/{token}")
    assert 'name="organisation.address"' in page.text
    assert "à compléter" in page.text

    form = {
        "organisation.address": "12 quai de la Rapée, 75012 Paris",
        "organisation.representative_name": "Anne Girard",
        "supervisor.position": "Ingénieure réseau",
        "terms.monthly_allowance": "700.00",
        "action": "validate",
        "csrf_token": csrf_token_in(page.text),
    }
    done = browser.http.post(f"/company/{token}", data=form)

    assert done.status_code == 200, done.text
    assert "la fiche est validée" in done.text
    mission = journey.mission()
    assert mission["status"] == "company_completed"
    assert mission["sections"]["supervisor"]["position"] == "Ingénieure réseau"


def test_company_page_shows_invalid_value(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    token = send_to_company(journey)

    browser = User(campus)
    form = browser.http.get(f"/company/{token}")
    page = browser.http.post(
        f"/company/{token}",
        data={
            "terms.monthly_allowance": "beaucoup",
            "action": "validate",
            "csrf_token": csrf_token_in(form.text),
        },
    )

    assert page.status_code == 422
    assert "terms.monthly_allowance" in page.text
    assert journey.mission()["status"] == "sent_to_company"


def test_company_cannot_change_student_section(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    token = send_to_company(journey)

    response = User(campus).put(
        f"/company/{token}/sections/student", {"first_name": "Mallory"}
    )

    assert response.status_code == 403
    assert response.json()["field"] == "section"
    assert journey.mission()["sections"]["student"]["first_name"] == "Élodie"


def test_logout_revokes_copied_session(campus: RunningCampus) -> None:
    student = User(campus, STUDENT)
    copied = httpx.Client(base_url=campus.base_url, cookies=student.http.cookies)
    assert copied.get("/api/v1/missions").status_code == 200

    student.post("/dev/logout")

    assert copied.get("/api/v1/missions").status_code == 401


def test_malformed_dates_named(campus: RunningCampus) -> None:
    student, mission_id = _new_draft(campus)
    cases = [
        ({**FRANCE, "start_date": 1801440000}, "start_date"),
        ({**FRANCE, "end_date": "2027-02-30"}, "end_date"),
        ({**FRANCE, "country": "XX"}, "country"),
        ({**FRANCE, "request_derogation": "yes"}, "request_derogation"),
        ({**FRANCE, "end_date": "2027-03-01"}, "end_date"),
    ]
    for body, field in cases:
        response = student.put(f"/missions/{mission_id}/dates", body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["field"] == field, (body, response.text)
    assert student.get(f"/missions/{mission_id}").json()["start_date"] is None


def test_control_characters_rejected(campus: RunningCampus) -> None:
    student, mission_id = _new_draft(campus)

    response = student.put(
        f"/missions/{mission_id}/sections/organisation",
        {"name": "Acme\r\nBcc: everyone@example.org"},
    )

    assert response.status_code == 422
    assert response.json()["field"] == "organisation.name"


def test_career_service_changes_supervisor_email(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    old_token = send_to_company(journey)
    new_email = f"rh+{journey.mission_id[:8]}@sge-eaux.fr"
    career_service = User(campus, CAREER_SERVICE)

    changed = career_service.put(
        f"/missions/{journey.mission_id}/supervisor",
        {"email": new_email, "first_name": "Nadia", "last_name": "Benali"},
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["sections"]["supervisor"]["email"] == new_email
    email = wait_for_email(campus, new_email, "Fiche de mission à compléter")
    assert "Bonjour Nadia Benali" in email["text"]
    old = User(campus).get(f"/company/{old_token}/mission")
    assert old.status_code == 409
    assert old.json()["code"] == "link_used"
    new = User(campus).get(f"/company/{company_token_in(email['text'])}/mission")
    assert new.status_code == 200


def test_student_cannot_change_supervisor_after_sending(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    send_to_company(journey)

    response = journey.student.put(
        f"/missions/{journey.mission_id}/supervisor", {"email": "x@example.org"}
    )

    assert response.status_code == 403
