"""Input that once slipped through: formulas, repeated uploads, idle changes."""

from __future__ import annotations

import csv
import io

from tests.e2e.journey import (
    ABROAD,
    CAREER_SERVICE,
    FRANCE,
    send_to_company,
    start_mission,
)
from tests.harness.campus import RunningCampus, User


def test_export_defuses_formulas(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    token = send_to_company(journey)
    User(campus).put(
        f"/company/{token}/sections/organisation",
        {"name": '=HYPERLINK("http://127.0.0.1/","x")'},
    )

    exported = User(campus, CAREER_SERVICE).get("/missions/export.csv")

    rows = list(csv.DictReader(io.StringIO(exported.text)))
    row = next(r for r in rows if r["id"] == journey.mission_id)
    assert row["organisation"] == "'" + '=HYPERLINK("http://127.0.0.1/","x")'


def test_idle_supervisor_change_records_nothing(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    token = send_to_company(journey)
    career_service = User(campus, CAREER_SERVICE)
    path = f"/missions/{journey.mission_id}/supervisor"

    empty = career_service.put(path, {})
    phone = career_service.put(path, {"phone": "+33 1 40 00 00 00"})

    assert empty.status_code == 200
    history = [entry["type"] for entry in journey.mission()["history"]]
    assert history.count("SupervisorChanged") == 1
    assert phone.json()["sections"]["supervisor"]["phone"] == "+33 1 40 00 00 00"
    assert User(campus).get(f"/company/{token}/mission").status_code == 200


def test_impossible_schedule_rejected_on_save(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    path = f"/missions/{journey.mission_id}/sections/terms"

    monday_only = journey.student.put(path, {"working_days": ["monday"]})
    repeated = journey.student.put(path, {"working_days": ["monday", "monday"]})
    tenth = journey.student.put(path, {"monthly_allowance": "700.005"})

    # The sheet has 35 hours a week: on Mondays alone that is 35 hours a day.
    assert monday_only.status_code == 422
    assert "10" in monday_only.json()["message"]
    assert repeated.status_code == 422
    assert repeated.json()["field"] == "terms.working_days"
    assert tenth.status_code == 422
    assert tenth.json()["field"] == "terms.monthly_allowance"


def test_french_allowance_rule_not_applied_abroad(campus: RunningCampus) -> None:
    journey = start_mission(campus, ABROAD)
    journey.student.put(
        f"/missions/{journey.mission_id}/sections/terms", {"monthly_allowance": "0"}
    )

    submitted = journey.student.post(f"/missions/{journey.mission_id}/submit")

    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["allowance_required"] is True
