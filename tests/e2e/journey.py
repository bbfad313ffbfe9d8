"""Steps of the mission-sheet journey, through the gateway's HTTP API only."""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from typing import Any

import pdfplumber

from tests.harness.campus import RunningCampus, User, wait_for_email
from tests.harness.seed import fresh_student

STUDENT = "elodie.dupre@etu.ecole-campus.fr"
OTHER_STUDENT = "liam.oconnor@etu.ecole-campus.fr"
TUTORS = ("helene.cote@ecole-campus.fr", "marc.leroy@ecole-campus.fr")
TUTOR_NAMES = {
    "helene.cote@ecole-campus.fr": "Hélène Côté",
    "marc.leroy@ecole-campus.fr": "Marc Leroy",
}
CAREER_SERVICE = "sophie.bernard@ecole-campus.fr"
CAREER_SERVICE_MAILBOX = "scs@ecole-campus.fr"
PROGRAM = "mge-1-2026"

FRANCE = {
    "start_date": "2027-04-01",
    "end_date": "2027-07-30",
    "location": "france",
    "country": "FR",
}
ABROAD = {
    "start_date": "2027-05-03",
    "end_date": "2027-08-27",
    "location": "abroad",
    "country": "DE",
}


def unique_supervisor_email() -> str:
    """A fresh supervisor address, so one test's emails never match another's."""
    return f"francois.lefevre+{uuid.uuid4().hex[:8]}@sge-eaux.fr"


def student_sections(
    supervisor_email: str, student_email: str = STUDENT
) -> dict[str, dict[str, Any]]:
    """What a student fills in; some fields are left for the company."""
    return {
        "student": {
            "first_name": "Élodie",
            "last_name": "Dupré",
            "email": student_email,
            "student_number": "20260042",
            "phone": "+33 6 12 34 56 78",
        },
        "organisation": {
            "name": "Société Générale des Eaux",
            "siret": "732 829 320 00074",
            "country": "FR",
            "sector": "Énergie et environnement",
        },
        "supervisor": {
            "first_name": "François",
            "last_name": "Lefèvre",
            "email": supervisor_email,
        },
        "mission": {
            "title": "Analyse des réseaux d'eau",
            "description": "Modélisation des fuites et priorisation des travaux.",
        },
        "terms": {"weekly_hours": 35},
    }


COMPANY_COMPLETION = {
    "organisation": {
        "address": "12 quai de la Rapée, 75012 Paris",
        "representative_name": "Anne Girard",
        "representative_position": "Directrice des ressources humaines",
    },
    "supervisor": {"position": "Ingénieur réseau senior", "phone": "+33 1 23 45 67 89"},
    "terms": {
        "monthly_allowance": "700.00",
        "working_days": ["monday", "tuesday", "wednesday", "thursday", "friday"],
    },
}


@dataclass
class Journey:
    campus: RunningCampus
    student: User
    mission_id: str
    supervisor_email: str

    def mission(self) -> dict[str, Any]:
        response = self.student.get(f"/missions/{self.mission_id}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def company_token(self, subject_contains: str = "") -> str:
        email = wait_for_email(self.campus, self.supervisor_email, subject_contains)
        return company_token_in(email["text"])


def company_token_in(text: str) -> str:
    match = re.search(r"/company/([A-Za-z0-9._-]+)", text)
    assert match is not None, f"no company link in: {text}"
    return match.group(1)


def start_mission(
    campus: RunningCampus,
    dates: dict[str, str],
    student_email: str | None = None,
    program_id: str = PROGRAM,
) -> Journey:
    """Create a mission, set its dates and fill in the student's sections.

    Without `student_email`, a student no other test uses creates it.
    """
    student = User(campus, student_email or fresh_student())
    created = student.post(
        "/missions", {"program_id": program_id, "commitment_accepted": True}
    )
    assert created.status_code == 201, created.text
    mission_id = created.json()["id"]
    dated = student.put(f"/missions/{mission_id}/dates", dates)
    assert dated.status_code == 200, dated.text
    supervisor_email = unique_supervisor_email()
    sections = student_sections(supervisor_email, student.email)
    if dates["location"] == "abroad":
        sections["organisation"] = {
            "name": "Wasserwerke München GmbH",
            "identifier": "HRB 123456",
            "country": dates["country"],
        }
    for name, fields in sections.items():
        saved = student.put(f"/missions/{mission_id}/sections/{name}", fields)
        assert saved.status_code == 200, saved.text
    return Journey(campus, student, mission_id, supervisor_email)


def send_to_company(journey: Journey) -> str:
    submitted = journey.student.post(f"/missions/{journey.mission_id}/submit")
    assert submitted.status_code == 200, submitted.text
    return journey.company_token()


def company_completes(journey: Journey, token: str) -> None:
    anonymous = User(journey.campus)
    for name, fields in COMPANY_COMPLETION.items():
        saved = anonymous.put(f"/company/{token}/sections/{name}", fields)
        assert saved.status_code == 200, saved.text
    validated = anonymous.post(f"/company/{token}/validate")
    assert validated.status_code == 200, validated.text


def reach_company_completed(
    campus: RunningCampus, dates: dict[str, str] = FRANCE, program_id: str = PROGRAM
) -> Journey:
    journey = start_mission(campus, dates, program_id=program_id)
    company_completes(journey, send_to_company(journey))
    return journey


def reach_tutor_review(campus: RunningCampus) -> tuple[Journey, User]:
    journey = reach_company_completed(campus)
    confirmed = journey.student.post(
        f"/missions/{journey.mission_id}/confirm",
        {"message": "Merci de votre relecture."},
    )
    assert confirmed.status_code == 200, confirmed.text
    tutor = User(campus, confirmed.json()["tutor"]["email"])
    return journey, tutor


def pdf_text(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def approve(journey: Journey) -> dict[str, Any]:
    """Take a mission the company completed through confirmation to final approval."""
    confirmed = journey.student.post(f"/missions/{journey.mission_id}/confirm", {})
    assert confirmed.status_code == 200, confirmed.text
    tutor = User(journey.campus, confirmed.json()["tutor"]["email"])
    tutor_approved = tutor.post(f"/missions/{journey.mission_id}/tutor/approve")
    assert tutor_approved.status_code == 200, tutor_approved.text
    approved = User(journey.campus, CAREER_SERVICE).post(
        f"/missions/{journey.mission_id}/approve"
    )
    assert approved.status_code == 200, approved.text
    mission: dict[str, Any] = approved.json()
    return mission
