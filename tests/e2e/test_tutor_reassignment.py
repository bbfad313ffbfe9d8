"""The career service gives a mission to another tutor of its program."""

from __future__ import annotations

from tests.e2e.journey import (
    CAREER_SERVICE,
    STUDENT,
    TUTORS,
    Journey,
    approve,
    reach_company_completed,
    reach_tutor_review,
)
from tests.harness.campus import RunningCampus, User, wait_for, wait_for_email

BACHELOR = "bach-2-2026"
BACHELOR_SUMMER = {
    "start_date": "2027-06-07",
    "end_date": "2027-07-30",
    "location": "france",
    "country": "FR",
}


def test_reassigned_tutor_takes_over(campus: RunningCampus) -> None:
    journey, first_tutor = reach_tutor_review(campus)
    other = next(email for email in TUTORS if email != first_tutor.email)
    career = User(campus, CAREER_SERVICE)

    response = career.put(
        f"/missions/{journey.mission_id}/tutor",
        {"email": other, "reason": "Hélène est en congé jusqu'en mars."},
    )

    assert response.status_code == 200, response.text
    mission = response.json()
    assert mission["tutor"]["email"] == other
    assert mission["status"] == "tutor_review"
    last = mission["history"][-1]
    assert last["type"] == "TutorAssigned"
    assert last["message"] == "Hélène est en congé jusqu'en mars."
    wait_for_email(campus, other, "", text_contains=journey.mission_id)
    # The former tutor no longer sees the mission; the new one decides.
    assert first_tutor.get(f"/missions/{journey.mission_id}").status_code == 404
    denied = first_tutor.post(f"/missions/{journey.mission_id}/tutor/approve")
    assert denied.status_code == 404
    approved = User(campus, other).post(f"/missions/{journey.mission_id}/tutor/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "career_service_review"


def test_evaluation_file_follows_new_tutor(campus: RunningCampus) -> None:
    journey = reach_company_completed(campus)
    mission = approve(journey)
    other = next(email for email in TUTORS if email != mission["tutor"]["email"])
    career = User(campus, CAREER_SERVICE)

    def file_tutor() -> str | None:
        for row in career.get("/evaluations").json():
            if row["mission_id"] == journey.mission_id:
                tutor: str | None = row["tutor_email"]
                return tutor
        return None

    wait_for(file_tutor, "the evaluation file to open")
    response = career.put(f"/missions/{journey.mission_id}/tutor", {"email": other})

    assert response.status_code == 200, response.text
    wait_for(lambda: file_tutor() == other, "the evaluation file to name the new tutor")
    new_tutor = User(campus, other)
    assert (
        new_tutor.get(f"/missions/{journey.mission_id}/evaluations").status_code == 200
    )


def test_same_tutor_changes_nothing(campus: RunningCampus) -> None:
    journey, tutor = reach_tutor_review(campus)
    career = User(campus, CAREER_SERVICE)
    before = len(journey.mission()["history"])

    response = career.put(
        f"/missions/{journey.mission_id}/tutor", {"email": tutor.email}
    )

    assert response.status_code == 200, response.text
    assert len(journey.mission()["history"]) == before


def test_only_the_career_service_reassigns(campus: RunningCampus) -> None:
    journey, tutor = reach_tutor_review(campus)
    other = next(email for email in TUTORS if email != tutor.email)
    path = f"/missions/{journey.mission_id}/tutor"

    by_tutor = tutor.put(path, {"email": other})
    by_student = journey.student.put(path, {"email": other})

    assert by_tutor.status_code == 403
    assert by_student.status_code == 403
    assert journey.mission()["tutor"]["email"] == tutor.email


def test_tutor_of_another_program_refused(campus: RunningCampus) -> None:
    journey, _tutor = reach_tutor_review(campus)
    career = User(campus, CAREER_SERVICE)

    outsider = career.put(f"/missions/{journey.mission_id}/tutor", {"email": STUDENT})
    unnamed = career.put(f"/missions/{journey.mission_id}/tutor", {})

    assert outsider.status_code == 422
    assert outsider.json()["field"] == "email"
    assert "is not a tutor of the program" in outsider.json()["message"]
    assert unnamed.status_code == 422


def _bachelor_load(career: User) -> int:
    response = career.get(f"/programs/{BACHELOR}/tutors")
    assert response.status_code == 200, response.text
    (tutor,) = response.json()
    assert tutor["capacity"] == 2
    load: int = tutor["load"]
    return load


def test_capacity_needs_force(campus: RunningCampus) -> None:
    # The bachelor program has one tutor who can follow two missions.
    career = User(campus, CAREER_SERVICE)
    created: list[Journey] = []
    try:
        while _bachelor_load(career) < 2:
            filler = reach_company_completed(campus, BACHELOR_SUMMER, BACHELOR)
            created.append(filler)
            confirmed = filler.student.post(
                f"/missions/{filler.mission_id}/confirm", {}
            )
            assert confirmed.status_code == 200, confirmed.text
        waiting = reach_company_completed(campus, BACHELOR_SUMMER, BACHELOR)
        created.append(waiting)
        path = f"/missions/{waiting.mission_id}/tutor"
        tutor = "marc.leroy@ecole-campus.fr"

        full = career.put(path, {"email": tutor})
        forced = career.put(path, {"email": tutor, "force": True})

        assert full.status_code == 409
        assert full.json()["code"] == "tutor_at_capacity"
        assert forced.status_code == 200, forced.text
        assert forced.json()["tutor"]["email"] == tutor
        assert _bachelor_load(career) == 3
    finally:
        # Cancelled missions count for no tutor: the program is left as found.
        for journey in created:
            career.post(
                f"/missions/{journey.mission_id}/cancel", {"reason": "Test terminé."}
            )
