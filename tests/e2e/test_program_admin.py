"""The admin changes a program's rules and a tutor's capacity through the API."""

from __future__ import annotations

from typing import Any

from tests.e2e.journey import CAREER_SERVICE, start_mission
from tests.harness.campus import RunningCampus, User

ADMIN = "admin@ecole-campus.fr"
DISCOVERY = "decouverte-1-2026"
BACHELOR = "bach-2-2026"
BACHELOR_TUTOR = "marc.leroy@ecole-campus.fr"
SHORT_SPRING = {
    "start_date": "2027-04-05",
    "end_date": "2027-05-28",
    "location": "france",
    "country": "FR",
}


def program(user: User, program_id: str) -> dict[str, Any]:
    response = user.get("/programs")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = next(p for p in response.json() if p["id"] == program_id)
    return found


def test_admin_changes_lead_time(campus: RunningCampus) -> None:
    admin = User(campus, ADMIN)
    try:
        changed = admin.put(f"/programs/{DISCOVERY}", {"lead_time_france_days": 10})

        assert changed.status_code == 200, changed.text
        assert changed.json()["lead_time_france_days"] == 10
        assert program(User(campus, CAREER_SERVICE), DISCOVERY)["max_weeks"] == 8
        # A sheet dated after the change gets the new lead time.
        journey = start_mission(campus, SHORT_SPRING, program_id=DISCOVERY)
        assert journey.mission()["deadline"] == "2027-03-26"
    finally:
        admin.put(f"/programs/{DISCOVERY}", {"lead_time_france_days": 8})
    assert program(admin, DISCOVERY)["lead_time_france_days"] == 8


def test_admin_changes_tutor_capacity(campus: RunningCampus) -> None:
    admin = User(campus, ADMIN)
    path = f"/programs/{BACHELOR}/tutors/{BACHELOR_TUTOR}"
    try:
        changed = admin.put(path, {"capacity": 7})

        assert changed.status_code == 200, changed.text
        (tutor,) = changed.json()
        assert tutor["capacity"] == 7
        assert isinstance(tutor["load"], int)
        listed = User(campus, CAREER_SERVICE).get(f"/programs/{BACHELOR}/tutors")
        assert listed.json()[0]["capacity"] == 7
    finally:
        admin.put(path, {"capacity": 2})
    assert program(admin, BACHELOR)["tutors"][0]["capacity"] == 2


def test_only_the_admin_changes_programs(campus: RunningCampus) -> None:
    career = User(campus, CAREER_SERVICE)

    rules = career.put(f"/programs/{BACHELOR}", {"max_weeks": 20})
    capacity = career.put(
        f"/programs/{BACHELOR}/tutors/{BACHELOR_TUTOR}", {"capacity": 9}
    )

    assert rules.status_code == 403
    assert capacity.status_code == 403
    assert program(career, BACHELOR)["max_weeks"] == 12


def test_incoherent_rules_refused(campus: RunningCampus) -> None:
    admin = User(campus, ADMIN)

    too_short = admin.put(f"/programs/{BACHELOR}", {"min_weeks": 13})
    unknown = admin.put(f"/programs/{BACHELOR}", {"name": "Autre"})
    negative = admin.put(
        f"/programs/{BACHELOR}/tutors/{BACHELOR_TUTOR}", {"capacity": -1}
    )
    stranger = admin.put(
        f"/programs/{BACHELOR}/tutors/helene.cote@ecole-campus.fr", {"capacity": 3}
    )

    assert too_short.status_code == 422
    assert too_short.json()["field"] == "min_weeks"
    assert unknown.status_code == 422
    assert negative.status_code == 422
    assert stranger.status_code == 404
    assert stranger.json()["field"] == "tutor_email"
    assert program(admin, BACHELOR)["min_weeks"] == 4
