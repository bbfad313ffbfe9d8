"""What follows the final approval on the missions side."""

from __future__ import annotations

from tests.e2e.journey import (
    ABROAD,
    CAREER_SERVICE,
    approve,
    reach_company_completed,
)
from tests.harness.campus import RunningCampus, User


def test_abroad_steps_acknowledged_once(campus: RunningCampus) -> None:
    journey = reach_company_completed(campus, ABROAD)
    approve(journey)
    path = f"/missions/{journey.mission_id}/abroad/acknowledge"

    first = journey.student.post(path)
    again = journey.student.post(path)

    assert first.status_code == 200, first.text
    assert first.json()["abroad_steps_acknowledged_at"] is not None
    assert (
        again.json()["abroad_steps_acknowledged_at"]
        == (first.json()["abroad_steps_acknowledged_at"])
    )
    history = [entry["type"] for entry in journey.mission()["history"]]
    assert history.count("AbroadStepsAcknowledged") == 1


def test_abroad_steps_not_for_france(campus: RunningCampus) -> None:
    journey = reach_company_completed(campus)
    approve(journey)

    response = journey.student.post(
        f"/missions/{journey.mission_id}/abroad/acknowledge"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "not_abroad"


def test_abroad_steps_wait_for_approval(campus: RunningCampus) -> None:
    journey = reach_company_completed(campus, ABROAD)

    response = journey.student.post(
        f"/missions/{journey.mission_id}/abroad/acknowledge"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "wrong_status"


def test_originals_received_by_career_service(campus: RunningCampus) -> None:
    journey = reach_company_completed(campus)
    approve(journey)
    path = f"/missions/{journey.mission_id}/convention/originals-received"

    by_student = journey.student.post(path)
    by_career_service = User(campus, CAREER_SERVICE).post(path)

    assert by_student.status_code == 403
    assert by_career_service.status_code == 200, by_career_service.text
    assert by_career_service.json()["originals_received_at"] is not None
