"""Hostile input: markup, unusual text, absurd numbers and dates, formulas."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Callable

import pytest

from tests.e2e.journey import (
    ABROAD,
    CAREER_SERVICE,
    FRANCE,
    Journey,
    approve,
    company_completes,
    pdf_text,
    send_to_company,
    start_mission,
)
from tests.harness.campus import RunningCampus, User, wait_for, wait_for_email


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


# Every free-text field of the mission sheet, by section. The company page
# shows the sections the company completes; the student's own is shown only
# in the PDFs.
FREE_TEXT = {
    "student": ("first_name", "last_name", "address"),
    "organisation": (
        "name",
        "identifier",
        "address",
        "sector",
        "size",
        "representative_name",
        "representative_position",
    ),
    "supervisor": ("first_name", "last_name", "position"),
    "mission": ("title", "description", "department", "objectives", "skills"),
    "terms": ("allowance_payment", "benefits", "leave", "remote_work"),
}


def markup(number: int) -> str:
    """Markup that a page, an email or a PDF must show as text, numbered."""
    return f"<b>x{number:02d}</b><script>alert('{number}')</script>&'\""


def _fill_with_markup(journey: Journey) -> dict[str, str]:
    """Save markup in every free-text field; return the markup by field."""
    by_field: dict[str, str] = {}
    for section, fields in FREE_TEXT.items():
        values = {}
        for field in fields:
            by_field[f"{section}.{field}"] = markup(len(by_field) + 1)
            values[field] = by_field[f"{section}.{field}"]
        path = f"/missions/{journey.mission_id}/sections/{section}"
        saved = journey.student.put(path, values)
        assert saved.status_code == 200, saved.text
    return by_field


def _shown_as_text(page: str, text: str) -> bool:
    return text not in page and text in html.unescape(page)


def test_markup_shown_as_text_everywhere(campus: RunningCampus) -> None:
    journey = start_mission(campus, ABROAD)
    by_field = _fill_with_markup(journey)
    token = send_to_company(journey)

    company_page = User(campus).http.get(f"/company/{token}").text
    mission_page = journey.student.http.get(f"/missions/{journey.mission_id}").text
    sheet_pdf = journey.student.get(f"/missions/{journey.mission_id}/sheet.pdf")
    sheet = pdf_text(sheet_pdf.content)

    for field, text in by_field.items():
        if not field.startswith("student."):
            assert _shown_as_text(company_page, text), field
        assert text in sheet, field
    assert _shown_as_text(mission_page, by_field["mission.title"])
    assert "<script>" not in company_page + mission_page


def test_markup_in_messages_escaped_in_emails(campus: RunningCampus) -> None:
    journey = start_mission(campus, ABROAD)
    by_field = _fill_with_markup(journey)
    company_completes(journey, send_to_company(journey))
    request = markup(90)
    reason = markup(91)

    returned = journey.student.post(
        f"/missions/{journey.mission_id}/return-to-company", {"message": request}
    )
    assert returned.status_code == 200, returned.text
    company_email = wait_for_email(campus, journey.supervisor_email, "", request)
    cancelled = User(campus, CAREER_SERVICE).post(
        f"/missions/{journey.mission_id}/cancel", {"reason": reason}
    )
    assert cancelled.status_code == 200, cancelled.text
    cancel_email = wait_for_email(campus, journey.supervisor_email, "", reason)
    mission_page = journey.student.http.get(f"/missions/{journey.mission_id}").text

    assert _shown_as_text(company_email["html"], request)
    assert _shown_as_text(cancel_email["html"], reason)
    assert _shown_as_text(mission_page, request)
    assert _shown_as_text(mission_page, reason)
    sent = [e for e in campus.mailbox() if journey.mission_id in e["text"]]
    assert sent
    for email in sent:
        for text in (*by_field.values(), request, reason):
            assert text not in email["html"], email["subject"]


def test_markup_shown_as_text_in_agreement(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    by_field = _fill_with_markup(journey)
    company_completes(journey, send_to_company(journey))
    approve(journey)

    path = f"/missions/{journey.mission_id}/convention.pdf"

    # The documents service renders the agreement after the approval event.
    agreement = wait_for(
        lambda: (r := journey.student.get(path)).status_code == 200 and r,
        "the agreement PDF",
    )
    text = pdf_text(agreement.content)
    # The agreement quotes some fields only; each one it quotes is plain text.
    shown = [
        field for number, field in enumerate(by_field, 1) if f"x{number:02d}" in text
    ]
    assert "mission.title" in shown
    for field in shown:
        assert by_field[field] in text, field


def test_markup_in_evaluation_shown_as_text(
    campus: RunningCampus, move_clock: Callable[[dt.datetime], None]
) -> None:
    journey = start_mission(campus, FRANCE)
    company_completes(journey, send_to_company(journey))
    approve(journey)
    path = f"/missions/{journey.mission_id}/evaluations"
    wait_for(
        lambda: journey.student.get(path).status_code == 200, "the evaluation file"
    )
    move_clock(dt.datetime(2027, 6, 30, 6, 1, tzinfo=dt.UTC))
    invitation = wait_for_email(campus, journey.supervisor_email, "valuation")
    link = re.search(r"/company/evaluation/([A-Za-z0-9._-]+)", invitation["text"])
    assert link is not None
    supervisor = User(campus)
    form = supervisor.get(f"/company/evaluation/{link.group(1)}").json()
    questions = form["company_evaluation"]["definition"]["questions"]
    question = next(q for q in questions if q["type"] in ("text", "long_text"))
    text = markup(95)

    saved = supervisor.put(
        f"/company/evaluation/{link.group(1)}", {"answers": {question["id"]: text}}
    )
    page = supervisor.http.get(f"/company/evaluation/{link.group(1)}").text

    assert saved.status_code == 200, saved.text
    assert _shown_as_text(page, text)


UNUSUAL_TEXT = {
    # Arabic, then Hebrew inside a right-to-left embedding.
    "right-to-left": "\u0645\u0647\u0646\u062f\u0633 "
    "\u202b\u05e2\u05d1\u05e8\u05d9\u05ea\u202c",
    "bidirectional override": "abc\u202edcba",
    "zero-width": "co\u200bop\u200dé\ufeff",
    "emoji": "Stage 👩🏽‍🔬 en 🇫🇷",
    "longest allowed": "é" * 200,
}


@pytest.mark.parametrize("name", sorted(UNUSUAL_TEXT))
def test_unusual_text_kept_intact(campus: RunningCampus, name: str) -> None:
    journey = start_mission(campus, FRANCE)
    text = UNUSUAL_TEXT[name]

    saved = journey.student.put(
        f"/missions/{journey.mission_id}/sections/mission", {"title": text}
    )
    page = journey.student.http.get(f"/missions/{journey.mission_id}").text
    sheet = journey.student.get(f"/missions/{journey.mission_id}/sheet.pdf")

    assert saved.status_code == 200, saved.text
    assert journey.mission()["sections"]["mission"]["title"] == text
    assert text in html.unescape(page)
    assert sheet.status_code == 200


def test_longest_description_kept_whole(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    text = ("réseau d'eau " * 400)[:4990] + " fin-texte"
    assert len(text) == 5000

    saved = journey.student.put(
        f"/missions/{journey.mission_id}/sections/mission", {"description": text}
    )
    sheet = journey.student.get(f"/missions/{journey.mission_id}/sheet.pdf")

    assert saved.status_code == 200, saved.text
    assert journey.mission()["sections"]["mission"]["description"] == text
    assert "fin-texte" in pdf_text(sheet.content)


REFUSED_TEXT = {
    "null byte": ("title", "Analyse\x00"),
    "escape sequence": ("title", "\x1b[31mrouge"),
    "line break in a title": ("title", "deux\nlignes"),
    "bell in long text": ("description", "texte\x07"),
    "over 200 characters": ("title", "é" * 201),
    "over 5000 characters": ("description", "é" * 5001),
}


@pytest.mark.parametrize("name", sorted(REFUSED_TEXT))
def test_bad_text_refused_naming_field(campus: RunningCampus, name: str) -> None:
    journey = start_mission(campus, FRANCE)
    field, text = REFUSED_TEXT[name]
    before = journey.mission()["sections"]["mission"]

    saved = journey.student.put(
        f"/missions/{journey.mission_id}/sections/mission", {field: text}
    )

    assert saved.status_code == 422
    assert saved.json()["field"] == f"mission.{field}"
    assert journey.mission()["sections"]["mission"] == before


ABSURD_TERMS = {
    "negative hours": ("weekly_hours", -1),
    "zero hours": ("weekly_hours", 0),
    "hours over the legal week": ("weekly_hours", 1000),
    "hours as infinity": ("weekly_hours", "Infinity"),
    "hours not a number": ("weekly_hours", "NaN"),
    "negative allowance": ("monthly_allowance", "-0.01"),
    "allowance in billions": ("monthly_allowance", "1e12"),
    "allowance as a boolean": ("monthly_allowance", True),
}


@pytest.mark.parametrize("name", sorted(ABSURD_TERMS))
def test_absurd_terms_refused_naming_field(campus: RunningCampus, name: str) -> None:
    journey = start_mission(campus, FRANCE)
    field, value = ABSURD_TERMS[name]

    saved = journey.student.put(
        f"/missions/{journey.mission_id}/sections/terms", {field: value}
    )

    assert saved.status_code == 422
    assert saved.json()["field"] == f"terms.{field}"


ABSURD_DATES = {
    "year one": ("start_date", "0001-01-01"),
    "year 9999": ("end_date", "9999-12-31"),
    "30 February": ("start_date", "2027-02-30"),
    "no separators": ("start_date", "20270401"),
    "end before start": ("end_date", "2027-03-01"),
}


@pytest.mark.parametrize("name", sorted(ABSURD_DATES))
def test_absurd_dates_refused_naming_field(campus: RunningCampus, name: str) -> None:
    journey = start_mission(campus, FRANCE)
    field, value = ABSURD_DATES[name]

    dated = journey.student.put(
        f"/missions/{journey.mission_id}/dates", {**FRANCE, field: value}
    )

    assert dated.status_code == 422, dated.text
    assert dated.json()["field"] == field
    assert journey.mission()["start_date"] == FRANCE["start_date"]
