"""Forms need their CSRF token, and a student's pages are theirs alone."""

from __future__ import annotations

import pytest

from tests.e2e.journey import (
    FRANCE,
    approve,
    company_completes,
    send_to_company,
    start_mission,
)
from tests.harness.campus import EmbeddedCampus, User, csrf_token_in
from tests.harness.seed import fresh_student


def test_form_without_token_refused(web_campus: EmbeddedCampus) -> None:
    journey = start_mission(web_campus, FRANCE)
    page = journey.student.http.get(f"/missions/{journey.mission_id}/edit/mission")
    assert page.status_code == 200

    posted = journey.student.http.post(
        f"/missions/{journey.mission_id}/edit/mission",
        data={"title": "Titre changé sans jeton"},
    )

    assert posted.status_code == 403
    assert "security token" in posted.text or "jeton" in posted.text
    assert (
        journey.mission()["sections"]["mission"]["title"] != "Titre changé sans jeton"
    )


def test_form_with_other_session_token_refused(web_campus: EmbeddedCampus) -> None:
    journey = start_mission(web_campus, FRANCE)
    other = User(web_campus, fresh_student())
    foreign_token = csrf_token_in(other.http.get("/").text)

    posted = journey.student.http.post(
        f"/missions/{journey.mission_id}/edit/mission",
        data={"title": "Titre d'une autre session", "csrf_token": foreign_token},
    )

    assert posted.status_code == 403
    assert journey.mission()["sections"]["mission"]["title"] != (
        "Titre d'une autre session"
    )


def test_form_with_token_saves(web_campus: EmbeddedCampus) -> None:
    journey = start_mission(web_campus, FRANCE)
    page = journey.student.http.get(f"/missions/{journey.mission_id}/edit/mission")

    posted = journey.student.http.post(
        f"/missions/{journey.mission_id}/edit/mission",
        data={"title": "Titre avec jeton", "csrf_token": csrf_token_in(page.text)},
    )

    assert posted.status_code == 303
    assert journey.mission()["sections"]["mission"]["title"] == "Titre avec jeton"


@pytest.mark.parametrize(
    "path",
    [
        "/missions/{id}",
        "/missions/{id}/dates",
        "/missions/{id}/edit/student",
        "/missions/{id}/review",
    ],
)
def test_other_student_pages_refused(web_campus: EmbeddedCampus, path: str) -> None:
    journey = start_mission(web_campus, FRANCE)
    intruder = User(web_campus, fresh_student())

    page = intruder.http.get(path.format(id=journey.mission_id))

    assert page.status_code in (403, 404)
    assert "Dupré" not in page.text
    assert journey.student.email not in page.text


def test_other_student_action_refused(web_campus: EmbeddedCampus) -> None:
    journey = start_mission(web_campus, FRANCE)
    intruder = User(web_campus, fresh_student())
    token = csrf_token_in(intruder.http.get("/").text)

    posted = intruder.http.post(
        f"/missions/{journey.mission_id}/student-action",
        data={"action": "cancel", "reason": "pas à moi", "csrf_token": token},
        follow_redirects=True,
    )

    assert "pas à moi" not in posted.text
    assert journey.mission()["status"] == "draft"


def test_signed_out_visitor_sent_to_signin(web_campus: EmbeddedCampus) -> None:
    journey = start_mission(web_campus, FRANCE)

    page = User(web_campus).http.get(f"/missions/{journey.mission_id}")

    assert page.status_code == 303
    assert page.headers["location"].startswith("/signin?next=/missions/")


def test_approved_sheet_not_editable(web_campus: EmbeddedCampus) -> None:
    journey = start_mission(web_campus, FRANCE)
    company_completes(journey, send_to_company(journey))
    approve(journey)

    for path in ("dates", "edit/mission"):
        page = journey.student.http.get(f"/missions/{journey.mission_id}/{path}")

        assert page.status_code == 303, path
        assert page.headers["location"] == f"/missions/{journey.mission_id}"
