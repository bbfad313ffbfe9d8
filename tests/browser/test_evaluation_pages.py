"""The report and the forms after approval, clicked through by student and tutor."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from pypdf import PdfWriter

from tests.browser.conftest import OpenPage
from tests.e2e.journey import (
    FRANCE,
    approve,
    company_completes,
    send_to_company,
    start_mission,
)
from tests.harness.browser import PHONE_WIDTH, check_page
from tests.harness.campus import EmbeddedCampus, wait_for


@pytest.fixture
def deposit_open(web_campus: EmbeddedCampus) -> Iterator[None]:
    """Put the clock on the day the deposit of a 1 April-30 July internship opens."""
    http = httpx.Client(base_url=web_campus.base_url, timeout=30)
    opening = dt.datetime(2027, 6, 30, 6, 1, tzinfo=dt.UTC)
    assert http.put("/api/v1/dev/clock", json={"now": opening.isoformat()}).is_success
    yield
    now = dt.datetime.now(dt.UTC).isoformat()
    assert http.put("/api/v1/dev/clock", json={"now": now}).is_success


def report_pdf(folder: Path, title: str) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    path = folder / f"{title}.pdf"
    path.write_bytes(buffer.getvalue())
    return path


def test_report_refused_then_approved(
    open_page: OpenPage,
    web_campus: EmbeddedCampus,
    tmp_path: Path,
    deposit_open: None,
) -> None:
    journey = start_mission(web_campus, FRANCE)
    company_completes(journey, send_to_company(journey))
    tutor_email = approve(journey)["tutor"]["email"]
    path = f"/missions/{journey.mission_id}/evaluations"
    wait_for(
        lambda: (
            journey.student.get(path).json().get("report", {}).get("status") == "open"
        ),
        "the deposit to open",
    )
    student = open_page(journey.student.email, language="fr", width=PHONE_WIDTH)
    student.goto(f"/missions/{journey.mission_id}")
    student.get_by_role("link", name="Rapport et évaluations").click()
    check_page(student, "evaluations-student-fr")

    student.get_by_label("Votre rapport (PDF)").set_input_files(
        report_pdf(tmp_path, "rapport-v1")
    )
    student.get_by_role("button", name="Envoyer le rapport à mon tuteur").click()
    expect(
        student.get_by_text("Votre rapport est envoyé à votre tuteur.")
    ).to_be_visible()

    tutor = open_page(tutor_email)
    tutor.goto(path)
    tutor.get_by_role("link", name="EN English").click()
    tutor.get_by_label("Your comment, emailed to the student").fill(
        "Ajoutez la bibliographie."
    )
    tutor.get_by_role("button", name="Refuse the report").click()
    expect(tutor.get_by_text("The report is refused")).to_be_visible()

    student.reload()
    expect(student.get_by_text("Ajoutez la bibliographie.")).to_be_visible()
    student.get_by_label("Votre rapport (PDF)").set_input_files(
        report_pdf(tmp_path, "rapport-v2")
    )
    student.get_by_role("button", name="Envoyer le rapport à mon tuteur").click()
    tutor.reload()
    tutor.get_by_role("button", name="Approve the report").click()
    check_page(tutor, "evaluations-tutor-en")

    report = journey.student.get(path).json()["report"]
    assert report["status"] == "approved"
    assert [version["status"] for version in report["versions"]] == [
        "refused",
        "approved",
    ]
    assert report["versions"][0]["comment"] == "Ajoutez la bibliographie."


def test_self_evaluation_sent_from_page(
    open_page: OpenPage, web_campus: EmbeddedCampus, deposit_open: None
) -> None:
    journey = start_mission(web_campus, FRANCE)
    company_completes(journey, send_to_company(journey))
    approve(journey)
    path = f"/missions/{journey.mission_id}/evaluations"
    wait_for(
        lambda: journey.student.get(path).json().get("self_evaluation") is not None,
        "the self-evaluation to open",
    )
    student = open_page(journey.student.email, language="fr")
    student.goto(path)
    form = student.locator(f'form[action="{path}/forms/self_evaluation"]')
    for area in form.locator("textarea").all():
        area.fill("Une réponse réfléchie.")
    for field in form.locator(
        "input:not([type=radio]):not([type=checkbox]):not([type=hidden])"
    ).all():
        field.fill("2027-07-20" if field.get_attribute("type") == "date" else "Oui")
    for group in form.locator("fieldset").all():
        group.locator("input").first.check()
    form.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(student.get_by_text("Le brouillon est enregistré.")).to_be_visible()

    form = student.locator(f'form[action="{path}/forms/self_evaluation"]')
    form.get_by_role("button", name="Envoyer (il ne pourra plus être modifié)").click()

    expect(student.get_by_text("Le formulaire est envoyé.")).to_be_visible()
    state = journey.student.get(path).json()["self_evaluation"]
    assert state["status"] == "submitted"
    assert "Une réponse réfléchie." in state["answers"].values()
    expect(
        student.locator(f'form[action="{path}/forms/self_evaluation"]')
    ).to_have_count(0)
