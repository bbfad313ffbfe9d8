"""Pages of the academic tutor and the career service, and their mission actions.

Each action posts a form here. The handler calls the public API as the
visitor and keeps a message for the next page. It then goes back to the
queue, or to the mission's page with the API's error when the API rejected it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.csrf import checked_form
from services.gateway.i18n import N_
from services.gateway.web import mission as mission_page
from services.gateway.web.labels import STATUS_NAMES
from services.gateway.web.rendering import (
    api,
    error_message,
    flash,
    page_user,
    redirect,
    render,
    translate,
)

router = APIRouter(include_in_schema=False)

CAREER_ROLES = ("career_service", "admin")
# States that still wait for someone before the final approval.
OPEN_STATES = (
    "draft",
    "derogation_pending",
    "sent_to_company",
    "company_completed",
    "tutor_review",
    "career_service_review",
)
# States of an email in the log.
EMAIL_STATES = {
    "pending": N_("Waiting to be sent"),
    "sending": N_("Being sent"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
}


def _missions(response: Any) -> list[dict[str, Any]]:
    if response.status_code != 200:
        return []
    missions: list[dict[str, Any]] = response.json()
    return missions


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def _act(
    request: Request,
    method: str,
    path: str,
    done: str,
    back: str,
    mission_id: str,
    body: dict[str, Any] | None = None,
) -> Response:
    """Call the API; on success flash DONE and go to BACK, else show why."""
    response = await api(request, method, path, json=body)
    if response.status_code != 200:
        flash(request, "error", error_message(request, response))
        return redirect(f"/missions/{mission_id}")
    flash(request, "info", translate(request, done))
    return redirect(back)


# The academic tutor


@router.get("/tutor")
async def tutor_home(request: Request) -> Response:
    """Show what the tutor has to do now: sheets to approve, reports to review."""
    page_user(request, "tutor")
    waiting = _missions(await api(request, "GET", "/missions?status=tutor_review"))
    approved = _missions(await api(request, "GET", "/missions?status=approved"))
    reports = []
    for mission in approved:
        response = await api(request, "GET", f"/missions/{mission['id']}/evaluations")
        if response.status_code != 200:
            continue
        report = response.json().get("report") or {}
        if report.get("status") == "waiting_for_tutor":
            reports.append({"mission": mission, "report": report})
    followed = _missions(await api(request, "GET", "/missions"))
    return render(
        request,
        "staff/tutor.html",
        waiting=waiting,
        reports=reports,
        followed=followed,
    )


@router.post("/tutor/missions/{mission_id}/approve")
async def tutor_approve(request: Request, mission_id: str) -> Response:
    page_user(request, "tutor")
    await checked_form(request)
    return await _act(
        request,
        "POST",
        f"/missions/{mission_id}/tutor/approve",
        N_("Sheet approved: the career service now gives the final approval."),
        "/tutor",
        mission_id,
    )


@router.post("/tutor/missions/{mission_id}/refuse")
async def tutor_refuse(request: Request, mission_id: str) -> Response:
    page_user(request, "tutor")
    form = await checked_form(request)
    return await _act(
        request,
        "POST",
        f"/missions/{mission_id}/tutor/refuse",
        N_("Sheet refused: the student receives your reason."),
        "/tutor",
        mission_id,
        {"reason": _text(form, "reason")},
    )


# The career service: queues, derogations, files at risk, emails


def _filters(request: Request) -> dict[str, str]:
    """Keep the queue's filters that name a known state and a program."""
    status = request.query_params.get("status", "")
    program_id = request.query_params.get("program_id", "")
    filters = {}
    if status in STATUS_NAMES:
        filters["status"] = status
    if program_id:
        filters["program_id"] = program_id
    return filters


# Missions on one page of the career service's list.
PAGE_SIZE = 50


def _next_cursor(response: Any) -> str | None:
    """Read the next page's cursor from a list response's Link header."""
    link = response.headers.get("link", "") if response.status_code == 200 else ""
    for part in link.split(","):
        address, _, relation = part.partition(";")
        if 'rel="next"' in relation:
            query = urlsplit(address.strip().strip("<>")).query
            cursors = parse_qs(query).get("cursor")
            return cursors[0] if cursors else None
    return None


@router.get("/career")
async def career_home(request: Request) -> Response:
    """Queues by state with counts, and a page of the list by state and program.

    Counts come from the missions service's totals and the list a page at a
    time, so the page costs the same with ten missions or a hundred thousand.
    """
    page_user(request, *CAREER_ROLES)
    programs = _missions(await api(request, "GET", "/programs"))
    filters = _filters(request)
    # An unknown filter is dropped with a message, and the other one stays.
    if request.query_params.get("status", "") and "status" not in filters:
        flash(
            request,
            "error",
            translate(request, "Unknown state: choose one in the list."),
        )
        return redirect(f"/career?{urlencode(filters)}" if filters else "/career")
    if filters.get("program_id") and filters["program_id"] not in {
        program["id"] for program in programs
    }:
        flash(
            request,
            "error",
            translate(request, "Unknown program: choose one in the list."),
        )
        remaining = {
            key: value for key, value in filters.items() if key != "program_id"
        }
        return redirect(f"/career?{urlencode(remaining)}" if remaining else "/career")
    totals = await api(request, "GET", "/missions/counts")
    counts: dict[str, int] = (
        totals.json()["by_status"] if totals.status_code == 200 else {}
    )
    matching = counts
    if filters.get("program_id"):
        of_program = await api(
            request,
            "GET",
            "/missions/counts",
            params={"program_id": filters["program_id"]},
        )
        matching = (
            of_program.json()["by_status"] if of_program.status_code == 200 else {}
        )
    listed_total = (
        matching.get(filters["status"], 0)
        if "status" in filters
        else sum(matching.values())
    )
    params: dict[str, Any] = {**filters, "limit": PAGE_SIZE}
    cursor = request.query_params.get("cursor", "")
    if cursor:
        params["cursor"] = cursor
    listing = await api(request, "GET", "/missions", params=params)
    if listing.status_code == 422 and cursor:
        # A page link from an older list, or an edited address.
        flash(
            request,
            "error",
            translate(
                request,
                "This page of the list is no longer available: here is the "
                "list from its first page.",
            ),
        )
        return redirect(f"/career?{urlencode(filters)}" if filters else "/career")
    if listing.status_code != 200:
        flash(request, "error", error_message(request, listing))
    next_cursor = _next_cursor(listing)
    return render(
        request,
        "staff/career.html",
        programs=programs,
        counts=counts,
        total=sum(counts.values()),
        states=list(STATUS_NAMES),
        filters=filters,
        missions=_missions(listing),
        listed_total=listed_total,
        first_page_url=f"/career?{urlencode(filters)}" if cursor else None,
        next_page_url=(
            f"/career?{urlencode({**filters, 'cursor': next_cursor})}"
            if next_cursor
            else None
        ),
        export_url="/api/v1/missions/export.csv"
        + (f"?{urlencode(filters)}" if filters else ""),
        to_approve=counts.get("career_service_review", 0),
        derogations=counts.get("derogation_pending", 0),
    )


@router.get("/career/derogations")
async def derogations_page(request: Request) -> Response:
    page_user(request, *CAREER_ROLES)
    pending = _missions(
        await api(request, "GET", "/missions?status=derogation_pending")
    )
    return render(request, "staff/derogations.html", missions=pending)


@router.post("/career/missions/{mission_id}/derogation")
async def decide_derogation(request: Request, mission_id: str) -> Response:
    page_user(request, *CAREER_ROLES)
    form = await checked_form(request)
    approve = form.get("decision") == "approve"
    done = (
        N_("Derogation approved: the student is told.")
        if approve
        else N_("Derogation rejected: the student is told.")
    )
    return await _act(
        request,
        "POST",
        f"/missions/{mission_id}/derogation/{'approve' if approve else 'reject'}",
        done,
        "/career/derogations",
        mission_id,
        {"message": _text(form, "message")},
    )


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def _at_risk(
    request: Request, missions: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Files late or about to be: lead time, insurance abroad, overdue reports."""
    today = _today()
    warning = dt.timedelta(days=request.app.state.settings.lead_time_warning_days)
    late = []
    for mission in missions:
        if mission["status"] not in OPEN_STATES or not mission.get("deadline"):
            continue
        deadline = dt.date.fromisoformat(mission["deadline"])
        if deadline <= today + warning:
            late.append({**mission, "overdue": deadline < today})
    late.sort(key=lambda mission: str(mission["deadline"]))
    # NOTE: one request per approved sheet abroad; a school with thousands of
    # them would want the documents service to list missing certificates.
    uninsured = []
    for mission in missions:
        if mission["status"] != "approved" or mission.get("location") != "abroad":
            continue
        files = await api(request, "GET", f"/missions/{mission['id']}/files")
        kinds = {file.get("kind") for file in _missions(files)}
        if "insurance" not in kinds:
            uninsured.append(mission)
    overview = await api(request, "GET", "/evaluations")
    by_id = {mission["id"]: mission for mission in missions}
    overdue = [
        {**row, "mission": by_id.get(row["mission_id"])}
        for row in _missions(overview)
        if row.get("report") == "overdue"
    ]
    return {"late": late, "uninsured": uninsured, "overdue_reports": overdue}


@router.get("/career/at-risk")
async def at_risk_page(request: Request) -> Response:
    page_user(request, *CAREER_ROLES)
    everything = _missions(await api(request, "GET", "/missions"))
    risks = await _at_risk(request, everything)
    return render(
        request,
        "staff/at_risk.html",
        late=risks["late"],
        uninsured=risks["uninsured"],
        overdue_reports=risks["overdue_reports"],
    )


@router.get("/career/emails")
async def emails_page(request: Request) -> Response:
    """Show the log of emails, newest first, optionally for one mission."""
    page_user(request, *CAREER_ROLES)
    mission_id = request.query_params.get("mission_id", "").strip()
    params = {"mission_id": mission_id} if mission_id else None
    response = await api(request, "GET", "/emails", params=params)
    emails = _missions(response)
    if response.status_code != 200:
        flash(request, "error", error_message(request, response))
    return render(
        request,
        "staff/emails.html",
        emails=emails,
        mission_id=mission_id,
        email_states=EMAIL_STATES,
    )


# The career service's actions on one mission


def _back_to_mission(mission_id: str) -> str:
    return f"/missions/{mission_id}"


@router.post("/career/missions/{mission_id}/approve")
async def final_approval(request: Request, mission_id: str) -> Response:
    page_user(request, *CAREER_ROLES)
    await checked_form(request)
    return await _act(
        request,
        "POST",
        f"/missions/{mission_id}/approve",
        N_("Final approval given: the agreement is being prepared."),
        "/career?status=career_service_review",
        mission_id,
    )


@router.post("/career/missions/{mission_id}/send-back")
async def send_back(request: Request, mission_id: str) -> Response:
    page_user(request, *CAREER_ROLES)
    form = await checked_form(request)
    return await _act(
        request,
        "POST",
        f"/missions/{mission_id}/send-back",
        N_("Sheet sent back to the student with your reason."),
        "/career?status=career_service_review",
        mission_id,
        {"reason": _text(form, "reason")},
    )


@router.post("/career/missions/{mission_id}/cancel")
async def cancel(request: Request, mission_id: str) -> Response:
    page_user(request, *CAREER_ROLES)
    form = await checked_form(request)
    return await _act(
        request,
        "POST",
        f"/missions/{mission_id}/cancel",
        N_("Sheet cancelled: the people involved are told."),
        _back_to_mission(mission_id),
        mission_id,
        {"reason": _text(form, "reason")},
    )


@router.post("/career/missions/{mission_id}/tutor")
async def reassign_tutor(request: Request, mission_id: str) -> Response:
    page_user(request, *CAREER_ROLES)
    form = await checked_form(request)
    body: dict[str, Any] = {
        "email": _text(form, "email"),
        "force": form.get("force") == "yes",
    }
    if _text(form, "reason"):
        body["reason"] = _text(form, "reason")
    return await _act(
        request,
        "PUT",
        f"/missions/{mission_id}/tutor",
        N_("Tutor changed: the new tutor now follows this sheet."),
        _back_to_mission(mission_id),
        mission_id,
        body,
    )


@router.post("/career/missions/{mission_id}/supervisor")
async def change_supervisor(request: Request, mission_id: str) -> Response:
    page_user(request, *CAREER_ROLES)
    form = await checked_form(request)
    return await _act(
        request,
        "PUT",
        f"/missions/{mission_id}/supervisor",
        N_("Supervisor's email changed: new links go to the new address."),
        _back_to_mission(mission_id),
        mission_id,
        {"email": _text(form, "email")},
    )


@router.post("/career/missions/{mission_id}/originals")
async def record_originals(request: Request, mission_id: str) -> Response:
    page_user(request, *CAREER_ROLES)
    await checked_form(request)
    return await _act(
        request,
        "POST",
        f"/missions/{mission_id}/convention/originals-received",
        N_("Receipt of the three signed originals recorded."),
        _back_to_mission(mission_id),
        mission_id,
    )


async def _career_actions(request: Request, mission: dict[str, Any]) -> dict[str, Any]:
    """Load the program's tutors with their load, to choose a new one."""
    response = await api(request, "GET", f"/programs/{mission['program']['id']}/tutors")
    return {"tutors": _missions(response)}


def tutor_next_action(mission: dict[str, Any]) -> str:
    """Return the catalog id of what the academic tutor does next on the sheet."""
    if mission["status"] == "tutor_review":
        return N_("Approve the sheet, or refuse it with a reason for the student.")
    return N_("Nothing for you to decide on this sheet now.")


CAREER_NEXT_ACTIONS = {
    "draft": N_("Wait for the student to complete the sheet and send it."),
    "derogation_pending": N_("Decide on the derogation request."),
    "sent_to_company": N_("Wait for the company to complete the sheet."),
    "company_completed": N_("Wait for the student to check the company's data."),
    "tutor_review": N_("Wait for the academic tutor's decision."),
    "career_service_review": N_(
        "Give the final approval, or send the sheet back with a reason."
    ),
    "cancelled": N_("Nothing more: the sheet is cancelled."),
}


def career_next_action(mission: dict[str, Any]) -> str:
    """Return the catalog id of what the career service does next on the sheet."""
    if mission["status"] != "approved":
        return CAREER_NEXT_ACTIONS[mission["status"]]
    if not mission.get("originals_received_at"):
        return N_("Record the three signed originals when they arrive.")
    return N_("Nothing to do now: the agreement is complete and signed.")


mission_page.ACTION_CONTEXT["career_service"] = _career_actions
mission_page.NEXT_ACTION["tutor"] = tutor_next_action
mission_page.NEXT_ACTION["career_service"] = career_next_action
mission_page.NEXT_ACTION["admin"] = career_next_action
