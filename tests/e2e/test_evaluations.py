"""After approval: the report, the forms, the company evaluation, the certificate."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pypdf import PdfWriter

from tests.e2e.journey import (
    CAREER_SERVICE,
    FRANCE,
    TUTORS,
    Journey,
    approve,
    company_completes,
    send_to_company,
    start_mission,
)
from tests.harness.campus import (
    RunningCampus,
    User,
    csrf_token_in,
    wait_for,
    wait_for_email,
)

Move = Callable[[dt.datetime], None]
SHORT_DATES = {**FRANCE, "start_date": "2027-06-01", "end_date": "2027-07-23"}


def _pdf(title: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _approved(campus: RunningCampus, dates: dict[str, str], program: str) -> Journey:
    journey = start_mission(campus, dates, program_id=program)
    company_completes(journey, send_to_company(journey))
    approve(journey)
    wait_for(lambda: _file(journey) is not None, "the evaluation file")
    return journey


def _file(journey: Journey) -> dict[str, Any] | None:
    response = journey.student.get(f"/missions/{journey.mission_id}/evaluations")
    return response.json() if response.status_code == 200 else None


def _answers(definition: dict[str, Any]) -> dict[str, Any]:
    """Answer every question of a form definition with a valid value."""
    answers: dict[str, Any] = {}
    for question in definition["questions"]:
        kind = question["type"]
        if kind in ("text", "long_text"):
            answers[question["id"]] = "Réponse réfléchie, avec des accents : été."
        elif kind == "choice":
            answers[question["id"]] = question["choices"][0]["value"]
        elif kind == "multiple_choice":
            answers[question["id"]] = [question["choices"][0]["value"]]
        elif kind == "rating":
            answers[question["id"]] = question["scale"][1]
        elif kind == "yes_no":
            answers[question["id"]] = True
        else:
            answers[question["id"]] = "2027-07-20"
    return answers


def _morning(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(6, 1), tzinfo=dt.UTC)


def _upload_report(journey: Journey, title: str) -> Any:
    return journey.student.post(
        f"/missions/{journey.mission_id}/report",
        files={"file": (f"{title}.pdf", _pdf(title), "application/pdf")},
    )


@dataclass(frozen=True)
class Internship:
    program: str
    dates: dict[str, str]
    form: str
    opens_on: str
    closes_on: str


# The deposit opens one month before the end date and closes three months after.
LONG = Internship(
    "mge-1-2026", FRANCE, "self_evaluation_long", "2027-06-30", "2027-10-30"
)
SHORT = Internship(
    "decouverte-1-2026",
    SHORT_DATES,
    "self_evaluation_short",
    "2027-06-23",
    "2027-10-23",
)


@pytest.mark.parametrize("internship", [LONG, SHORT], ids=["long", "short"])
def test_post_approval_life(
    campus: RunningCampus, move_clock: Move, internship: Internship
) -> None:
    journey = _approved(campus, internship.dates, internship.program)
    mission_id, student = journey.mission_id, journey.student
    tutor_email = journey.mission()["tutor"]["email"]
    tutor = User(campus, tutor_email)
    file = _file(journey)
    assert file is not None
    assert file["self_evaluation"]["form_id"] == internship.form
    assert file["report"]["opens_on"] == internship.opens_on
    assert file["report"]["closes_on"] == internship.closes_on

    early = _upload_report(journey, "trop-tot")
    assert early.status_code == 409
    assert early.json()["code"] == "deposit_closed"

    move_clock(_morning(internship.opens_on))
    wait_for_email(
        campus, student.email, "dépôt de votre rapport de stage est ouvert", mission_id
    )
    _refused_then_approved(campus, journey, tutor)

    for kind in ("self_evaluation", "synthesis"):
        _fill_form(journey, kind)

    token = _company_evaluates(campus, journey, tutor)
    certificate = User(campus).post(
        f"/company/evaluation/{token}/certificate",
        files={"file": ("attestation.pdf", _pdf("attestation"), "application/pdf")},
    )
    assert certificate.status_code == 201, certificate.text
    assert certificate.json()["uploaded_by"]["role"] == "company"
    wait_for(
        lambda: (_file(journey) or {}).get("certificate_file_id"), "the certificate"
    )

    closes = dt.date.fromisoformat(internship.closes_on)
    move_clock(_morning((closes + dt.timedelta(days=1)).isoformat()))
    late = _upload_report(journey, "apres-fermeture")
    assert late.status_code == 409
    assert late.json()["code"] == "deposit_closed"
    closed = _file(journey)
    assert closed is not None
    assert closed["report"]["status"] == "approved"
    assert [v["status"] for v in closed["report"]["versions"]] == [
        "refused",
        "approved",
    ]


def _refused_then_approved(
    campus: RunningCampus, journey: Journey, tutor: User
) -> None:
    mission_id, student = journey.mission_id, journey.student
    first = _upload_report(journey, "version-1")
    assert first.status_code == 201, first.text
    wait_for_email(campus, tutor.email, "Rapport de stage déposé", mission_id)
    while_reviewed = _upload_report(journey, "trop-vite")
    assert while_reviewed.status_code == 409
    assert while_reviewed.json()["code"] == "report_under_review"
    stored = student.get(f"/missions/{mission_id}/files").json()
    assert len([f for f in stored if f["kind"] == "report"]) == 1

    other_tutor = User(campus, next(t for t in TUTORS if t != tutor.email))
    stranger = other_tutor.post(f"/missions/{mission_id}/report/approve", json={})
    assert stranger.status_code == 404
    refused = tutor.post(
        f"/missions/{mission_id}/report/refuse",
        json={"comment": "Ajoutez une conclusion."},
    )
    assert refused.status_code == 200, refused.text
    email = wait_for_email(campus, student.email, "à reprendre", mission_id)
    assert "Ajoutez une conclusion." in email["text"]

    second = _upload_report(journey, "version-2")
    assert second.status_code == 201, second.text
    approved = tutor.post(
        f"/missions/{mission_id}/report/approve", json={"comment": "Très bon travail."}
    )
    assert approved.status_code == 200, approved.text
    email = wait_for_email(
        campus, student.email, "rapport de stage est validé", mission_id
    )
    assert "Très bon travail." in email["text"]
    versions = approved.json()["report"]["versions"]
    assert [v["status"] for v in versions] == ["refused", "approved"]
    listed = student.get(f"/missions/{mission_id}/files").json()
    assert len([f for f in listed if f["kind"] == "report"]) == 2


def _company_evaluates(campus: RunningCampus, journey: Journey, tutor: User) -> str:
    """Fill in the company evaluation from the emailed link; return its token."""
    invitation = wait_for_email(campus, journey.supervisor_email, "Évaluation du stage")
    token = _evaluation_token(invitation["text"])
    form = User(campus).get(f"/company/evaluation/{token}")
    assert form.status_code == 200, form.text
    assert "report" not in form.json()
    answers = _answers(form.json()["company_evaluation"]["definition"])
    submitted = User(campus).post(
        f"/company/evaluation/{token}/submit", json={"answers": answers}
    )
    assert submitted.status_code == 200, submitted.text
    wait_for_email(
        campus, journey.student.email, "a évalué le stage", journey.mission_id
    )
    seen_by_tutor = tutor.get(f"/missions/{journey.mission_id}/evaluations").json()
    assert seen_by_tutor["company_evaluation"]["status"] == "submitted"
    assert seen_by_tutor["company_evaluation"]["answers"]
    return token


def _fill_form(journey: Journey, kind: str) -> None:
    path = f"/missions/{journey.mission_id}/forms/{kind}"
    definition = (_file(journey) or {})[kind]["definition"]
    answers = _answers(definition)
    first_question = definition["questions"][0]["id"]
    required = [q["id"] for q in definition["questions"] if q["required"]]

    draft = journey.student.put(
        path, json={"answers": {first_question: answers[first_question]}}
    )
    incomplete = journey.student.post(
        f"{path}/submit", json={"answers": {first_question: answers[first_question]}}
    )
    done = journey.student.post(f"{path}/submit", json={"answers": answers})
    again = journey.student.post(f"{path}/submit", json={"answers": answers})

    assert draft.status_code == 200, draft.text
    assert draft.json()[kind]["status"] == "draft"
    assert incomplete.status_code == 422
    assert incomplete.json()["field"] in required
    assert done.status_code == 200, done.text
    assert done.json()[kind]["status"] == "submitted"
    assert again.status_code == 409


def _evaluation_token(text: str) -> str:
    match = re.search(r"/company/evaluation/([A-Za-z0-9._-]+)", text)
    assert match is not None, text
    return match.group(1)


def test_short_internship_deposit_closes_and_reopens(
    campus: RunningCampus, move_clock: Move
) -> None:
    journey = _approved(campus, SHORT_DATES, "decouverte-1-2026")
    mission_id, student = journey.mission_id, journey.student
    file = _file(journey)
    assert file is not None
    assert file["self_evaluation"]["form_id"] == "self_evaluation_short"
    # The end date is 23 July 2027: the deposit closes three months later, on
    # 23 October, and the warning comes seven days before, on 16 October.
    assert file["report"]["closes_on"] == "2027-10-23"

    move_clock(_morning("2027-10-16"))
    wait_for_email(campus, student.email, "ferme le 23 octobre 2027", mission_id)
    move_clock(_morning("2027-10-24"))
    late = _upload_report(journey, "en-retard")
    overview = User(campus, CAREER_SERVICE).get(
        "/evaluations", params={"program_id": "decouverte-1-2026"}
    )
    reopened = User(campus, CAREER_SERVICE).post(
        f"/missions/{mission_id}/deposit/reopen", json={"until": "2027-11-15"}
    )
    on_time = _upload_report(journey, "rattrapage")

    assert late.status_code == 409
    assert late.json()["code"] == "deposit_closed"
    row = next(r for r in overview.json() if r["mission_id"] == mission_id)
    assert row["report"] == "overdue"
    assert row["self_evaluation"] == "not_started"
    assert reopened.status_code == 200, reopened.text
    wait_for_email(campus, student.email, "rouvert", mission_id)
    assert on_time.status_code == 201, on_time.text


def test_form_answer_breaking_definition_named(
    campus: RunningCampus, move_clock: Move
) -> None:
    journey = _approved(campus, SHORT_DATES, "decouverte-1-2026")
    definition = (_file(journey) or {})["synthesis"]["definition"]
    text_question = next(
        q for q in definition["questions"] if q["type"] in ("text", "long_text")
    )
    path = f"/missions/{journey.mission_id}/forms/synthesis"

    too_long = journey.student.put(
        path,
        json={
            "answers": {text_question["id"]: "x" * (text_question["max_length"] + 1)}
        },
    )
    unknown = journey.student.put(path, json={"answers": {"no_such_question": "x"}})

    assert too_long.status_code == 422
    assert too_long.json()["field"] == text_question["id"]
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "no_such_question"


def test_old_supervisor_link_refused(campus: RunningCampus, move_clock: Move) -> None:
    journey = _approved(campus, FRANCE, "mge-1-2026")
    move_clock(_morning("2027-06-30"))
    old = _evaluation_token(
        wait_for_email(campus, journey.supervisor_email, "Évaluation du stage")["text"]
    )
    new_email = f"rh+{journey.mission_id[:8]}@sge-eaux.fr"

    User(campus, CAREER_SERVICE).put(
        f"/missions/{journey.mission_id}/supervisor", {"email": new_email}
    )
    new = _evaluation_token(
        wait_for_email(campus, new_email, "Évaluation du stage")["text"]
    )

    refused = User(campus).get(f"/company/evaluation/{old}")
    assert refused.status_code == 409
    assert refused.json()["code"] == "link_used"
    assert User(campus).get(f"/company/evaluation/{new}").status_code == 200


def test_overview_exported_as_csv(campus: RunningCampus) -> None:
    journey = _approved(campus, FRANCE, "mge-1-2026")

    response = User(campus, CAREER_SERVICE).get("/evaluations/export.csv")
    by_student = journey.student.get("/evaluations")

    assert response.status_code == 200
    assert journey.mission_id in response.text
    assert response.text.splitlines()[0].startswith("mission_id,program_id,student")
    assert by_student.status_code == 403


def test_supervisor_evaluates_through_page(
    campus: RunningCampus, move_clock: Move
) -> None:
    journey = _approved(campus, FRANCE, "mge-1-2026")
    move_clock(_morning("2027-06-30"))
    invitation = wait_for_email(campus, journey.supervisor_email, "Évaluation du stage")
    link = re.search(r"(/company/evaluation/[^\s]+)", invitation["text"])
    assert link is not None
    browser = User(campus)

    page = browser.http.get(link.group(1))
    definition = browser.get(
        f"/company/evaluation/{_evaluation_token(invitation['text'])}"
    ).json()["company_evaluation"]["definition"]
    answers = _answers(definition)
    form: dict[str, Any] = {"action": "submit", "csrf_token": csrf_token_in(page.text)}
    for question in definition["questions"]:
        value = answers[question["id"]]
        if question["type"] == "yes_no":
            value = "yes"
        form[f"q.{question['id']}"] = value
    done = browser.http.post(link.group(1), data=form, follow_redirects=True)

    assert page.status_code == 200
    assert definition["title"]["fr"] in html.unescape(page.text)
    assert done.status_code == 200, done.text
    assert "l'évaluation est enregistrée" in html.unescape(done.text)
    file = _file(journey)
    assert file is not None
    assert file["company_evaluation"]["status"] == "submitted"
