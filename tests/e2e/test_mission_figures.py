"""Presence, duration and allowance figures, through the gateway's API."""

from __future__ import annotations

import csv
import io

from tests.e2e.journey import (
    CAREER_SERVICE,
    FRANCE,
    company_completes,
    send_to_company,
    start_mission,
)
from tests.harness.campus import RunningCampus, User
from tests.harness.seed import fresh_student

DISCOVERY = "decouverte-1-2026"


def test_figures_follow_dates_and_schedule(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    # 2027-04-01 to 2027-07-30 has 87 weekdays; 6 May (Ascension), 17 May (Whit
    # Monday) and 14 July are French public holidays on weekdays, so 84 days of
    # 7 hours: 588 hours, 84 days, 84 / 22 = 3.82 months. 588 > 308, so an
    # allowance is owed, at 4.50 EUR an hour: 4.50 * 154 = 693.00 EUR a month.
    mission = journey.mission()
    assert mission["presence_hours"] == "588.00"
    assert mission["presence_days"] == "84.00"
    assert mission["presence_months"] == "3.82"
    assert mission["allowance_required"] is True
    assert mission["minimum_monthly_allowance"] == "693.00"

    journey.student.put(
        f"/missions/{journey.mission_id}/sections/terms", {"weekly_hours": "17.5"}
    )

    # Half the hours a day, same days: 294 hours, under the 308-hour line.
    halved = journey.mission()
    assert halved["presence_hours"] == "294.00"
    assert halved["allowance_required"] is False


def test_figures_null_without_schedule(campus: RunningCampus) -> None:
    student = User(campus, fresh_student())
    created = student.post(
        "/missions", {"program_id": "mge-1-2026", "commitment_accepted": True}
    ).json()

    assert created["presence_hours"] is None
    assert created["allowance_required"] is None


def test_allowance_under_minimum_rejected(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    journey.student.put(
        f"/missions/{journey.mission_id}/sections/terms", {"monthly_allowance": "500"}
    )

    response = journey.student.post(f"/missions/{journey.mission_id}/submit")

    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "terms.monthly_allowance"
    assert "693.00 EUR per month" in body["message"]
    assert "500.00 EUR" in body["message"]
    assert journey.mission()["status"] == "draft"


def test_company_must_give_allowance_owed(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    token = send_to_company(journey)
    anonymous = User(campus)
    anonymous.put(
        f"/company/{token}/sections/organisation",
        {"address": "1 rue de Rivoli, Paris", "representative_name": "Anne Girard"},
    )
    anonymous.put(f"/company/{token}/sections/supervisor", {"position": "Chef"})
    anonymous.put(f"/company/{token}/sections/terms", {"monthly_allowance": "600"})

    response = anonymous.post(f"/company/{token}/validate")

    assert response.status_code == 422
    assert response.json()["field"] == "terms.monthly_allowance"
    assert "693.00" in response.json()["message"]


def test_six_month_cap_rejected(campus: RunningCampus) -> None:
    # 2027-01-04 to 2027-06-30 is 26 weeks; at 48 h a week that is about 1,200
    # hours even without the holidays, above the 924-hour cap.
    dates = {**FRANCE, "start_date": "2027-01-04", "end_date": "2027-06-30"}
    journey = start_mission(campus, dates)
    journey.student.put(
        f"/missions/{journey.mission_id}/sections/terms", {"weekly_hours": "48"}
    )

    response = journey.student.post(f"/missions/{journey.mission_id}/submit")

    assert response.status_code == 422
    assert response.json()["field"] == "terms.weekly_hours"
    assert "924" in response.json()["message"]
    assert journey.mission()["over_cap"] is True


def test_second_internship_same_host_owes_allowance(campus: RunningCampus) -> None:
    student = fresh_student()
    # First: 2027-02-01 to 2027-03-12, 6 weeks at 35 h, 210 hours: no allowance.
    first = start_mission(
        campus,
        {**FRANCE, "start_date": "2027-02-01", "end_date": "2027-03-12"},
        student_email=student,
        program_id=DISCOVERY,
    )
    assert first.mission()["allowance_required"] is False
    company_completes(first, send_to_company(first))
    # Second, with the same SIRET: 2027-05-03 to 2027-05-28 is 20 weekdays, less
    # 6 May (Ascension) and 17 May (Whit Monday), so 18 days of 7 hours: 126
    # hours. With the first 210 hours it makes 336 hours, past the 308-hour line.
    second = start_mission(
        campus,
        {**FRANCE, "start_date": "2027-05-03", "end_date": "2027-05-28"},
        student_email=student,
        program_id=DISCOVERY,
    )

    figures = second.mission()

    assert figures["presence_hours"] == "126.00"
    assert figures["hours_with_host"] == "336.00"
    assert figures["allowance_required"] is True


def test_overlapping_internship_rejected(campus: RunningCampus) -> None:
    student = fresh_student()
    first = start_mission(campus, FRANCE, student_email=student)
    send_to_company(first)
    second = start_mission(
        campus,
        {**FRANCE, "start_date": "2027-06-01", "end_date": "2027-08-31"},
        student_email=student,
    )

    response = second.student.post(f"/missions/{second.mission_id}/submit")

    assert response.status_code == 409
    assert response.json()["code"] == "overlapping_internship"
    assert "2027-04-01" in response.json()["message"]


def test_overlap_allowed_within_weekly_limit(campus: RunningCampus) -> None:
    student = fresh_student()
    dates = {**FRANCE, "start_date": "2027-05-03", "end_date": "2027-05-28"}
    first = start_mission(campus, dates, student_email=student, program_id=DISCOVERY)
    first.student.put(
        f"/missions/{first.mission_id}/sections/terms", {"weekly_hours": "20"}
    )
    send_to_company(first)
    second = start_mission(campus, dates, student_email=student, program_id=DISCOVERY)
    terms = f"/missions/{second.mission_id}/sections/terms"

    second.student.put(terms, {"weekly_hours": "30"})
    too_many = second.student.post(f"/missions/{second.mission_id}/submit")
    second.student.put(terms, {"weekly_hours": "28"})
    within = second.student.post(f"/missions/{second.mission_id}/submit")

    assert too_many.status_code == 409
    assert within.status_code == 200, within.text


def test_one_day_internship_where_program_allows(campus: RunningCampus) -> None:
    one_day = {**FRANCE, "start_date": "2027-05-04", "end_date": "2027-05-04"}
    allowed = start_mission(campus, one_day, program_id=DISCOVERY)
    student = User(campus, fresh_student())
    created = student.post(
        "/missions", {"program_id": "mge-1-2026", "commitment_accepted": True}
    ).json()

    refused = student.put(f"/missions/{created['id']}/dates", one_day)

    assert allowed.mission()["presence_hours"] == "7.00"
    assert refused.status_code == 409
    assert "One-day internships are not allowed" in refused.json()["message"]


def test_end_before_start_always_rejected(campus: RunningCampus) -> None:
    student = User(campus, fresh_student())
    created = student.post(
        "/missions", {"program_id": DISCOVERY, "commitment_accepted": True}
    ).json()

    response = student.put(
        f"/missions/{created['id']}/dates",
        {**FRANCE, "start_date": "2027-05-04", "end_date": "2027-05-03"},
    )

    assert response.status_code == 422
    assert response.json()["field"] == "end_date"


def test_export_lists_figures(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    career_service = User(campus, CAREER_SERVICE)

    response = career_service.get("/missions/export.csv", params={"status": "draft"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    row = next(r for r in rows if r["id"] == journey.mission_id)
    assert row["presence_hours"] == "588.00"
    assert row["allowance_required"] == "True"
    assert row["minimum_monthly_allowance"] == "693.00"
    assert row["organisation"] == "Société Générale des Eaux"
    assert all(r["status"] == "draft" for r in rows)


def test_export_refused_to_students(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)

    response = journey.student.get("/missions/export.csv")

    assert response.status_code == 403


def test_irregular_schedule_through_api(campus: RunningCampus) -> None:
    june = {**FRANCE, "start_date": "2027-06-01", "end_date": "2027-06-30"}
    journey = start_mission(campus, june, program_id=DISCOVERY)
    terms = {
        "periods": [
            {"start": "2027-06-01", "end": "2027-06-15", "weekly_hours": "35"},
            {
                "start": "2027-06-16",
                "end": "2027-06-30",
                "weekly_hours": "21",
                "working_days": ["monday", "tuesday", "wednesday"],
            },
        ],
        "interruptions": [{"start": "2027-06-07", "end": "2027-06-11"}],
    }

    saved = journey.student.put(f"/missions/{journey.mission_id}/sections/terms", terms)

    # 1 to 15 June at 7 h a day: 11 weekdays less the 5 interrupted (7 to 11
    # June) leave 6 days, 42 hours. 16 to 30 June at 21 h over Monday to
    # Wednesday, 7 h a day: 16, 21, 22, 23, 28, 29 and 30 June, 49 hours.
    # No French public holiday falls in June 2027. 91 hours = 13 days = 0.59
    # months; no allowance is owed, and its minimum would be 4.50 * 91 = 409.50.
    assert saved.status_code == 200, saved.text
    figures = saved.json()
    assert figures["presence_hours"] == "91.00"
    assert figures["presence_days"] == "13.00"
    assert figures["presence_months"] == "0.59"
    assert figures["allowance_required"] is False
    assert figures["minimum_allowance_total"] == "409.50"


def test_period_outside_dates_named(campus: RunningCampus) -> None:
    june = {**FRANCE, "start_date": "2027-06-01", "end_date": "2027-06-30"}
    journey = start_mission(campus, june, program_id=DISCOVERY)
    terms = {
        "periods": [{"start": "2027-07-01", "end": "2027-07-15", "weekly_hours": 35}]
    }

    saved = journey.student.put(f"/missions/{journey.mission_id}/sections/terms", terms)

    assert saved.status_code == 422
    assert saved.json()["field"] == "terms.periods"
    assert "periods" in saved.json()["message"]
    # June 2027 has 22 weekdays and no French public holiday: 154 hours.
    assert journey.mission()["presence_hours"] == "154.00"
