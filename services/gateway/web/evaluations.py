"""After approval: the report, the self-evaluation, the synthesis sheet and the
company's evaluation, for the student and their tutor."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from services.gateway.csrf import checked_form
from services.gateway.i18n import N_
from services.gateway.web.answers import answers_from
from services.gateway.web.mission import MissionPageError, load_mission
from services.gateway.web.rendering import (
    api,
    error_message,
    flash,
    flash_outcome,
    page_user,
    redirect,
    render,
    translate,
)
from shared.platform.errors import NotFoundError

router = APIRouter(include_in_schema=False)

REPORT_STATES = {
    "not_open": N_("The deposit is not open yet."),
    "open": N_("The deposit is open: send your report as a PDF."),
    "waiting_for_tutor": N_("The report waits for the tutor's decision."),
    "refused": N_("The tutor refused the report: send a new version."),
    "approved": N_("The tutor approved the report."),
    "overdue": N_("The deposit is closed and no report was approved."),
}
VERSION_STATES = {
    "submitted": N_("Waiting"),
    "approved": N_("Approved"),
    "refused": N_("Refused"),
}
FORM_STATES = {
    "not_started": N_("Not started."),
    "draft": N_("Being filled in by the student."),
    "submitted": N_("Sent."),
}
FORM_NAMES = {
    "self_evaluation": N_("Self-evaluation"),
    "synthesis": N_("Synthesis sheet"),
}


def _page(mission_id: str) -> str:
    return f"/missions/{mission_id}/evaluations"


@router.get("/missions/{mission_id}/evaluations")
async def evaluations_page(request: Request, mission_id: str) -> Response:
    page_user(request, "student", "tutor", "career_service")
    mission = await load_mission(request, mission_id)
    response = await api(request, "GET", f"/missions/{mission_id}/evaluations")
    if response.status_code != 200:
        error = MissionPageError(error_message(request, response))
        error.status = response.status_code
        raise error
    return render(
        request,
        "evaluations/file.html",
        mission=mission,
        file=response.json(),
        report_states=REPORT_STATES,
        version_states=VERSION_STATES,
        form_states=FORM_STATES,
        form_names=FORM_NAMES,
    )


@router.post("/missions/{mission_id}/evaluations/report")
async def upload_report(request: Request, mission_id: str) -> Response:
    page_user(request, "student")
    form = await checked_form(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        flash(request, "error", translate(request, "Choose a file first."))
        return redirect(_page(mission_id))
    content = await upload.read()
    response = await api(
        request,
        "POST",
        f"/missions/{mission_id}/report",
        files={"file": (upload.filename, content, upload.content_type or "")},
    )
    flash_outcome(request, response, N_("Your report is sent to your tutor."))
    return redirect(_page(mission_id))


@router.post("/missions/{mission_id}/evaluations/report-decision")
async def decide_report(request: Request, mission_id: str) -> Response:
    page_user(request, "tutor")
    form = await checked_form(request)
    decision = form.get("decision")
    if decision not in ("approve", "refuse"):
        raise NotFoundError(f"no decision {decision!r}: approve or refuse")
    comment = form.get("comment")
    text = comment.strip() if isinstance(comment, str) else ""
    response = await api(
        request,
        "POST",
        f"/missions/{mission_id}/report/{decision}",
        json={"comment": text or None},
    )
    done = (
        N_("The report is approved; the student is emailed.")
        if decision == "approve"
        else N_("The report is refused; the student is emailed your comment.")
    )
    flash_outcome(request, response, done)
    return redirect(_page(mission_id))


@router.post("/missions/{mission_id}/evaluations/forms/{kind}")
async def save_form(request: Request, mission_id: str, kind: str) -> Response:
    page_user(request, "student")
    if kind not in FORM_NAMES:
        raise NotFoundError(f"no form {kind!r}: self_evaluation or synthesis")
    form = await checked_form(request)
    current = await api(request, "GET", f"/missions/{mission_id}/evaluations")
    state: dict[str, Any] | None = (
        current.json().get(kind) if current.status_code == 200 else None
    )
    if state is None:
        flash(request, "error", translate(request, "This form is not open yet."))
        return redirect(_page(mission_id))
    answers = answers_from(form, state["definition"])
    submit = form.get("action") == "submit"
    response = await api(
        request,
        "POST" if submit else "PUT",
        f"/missions/{mission_id}/forms/{kind}{'/submit' if submit else ''}",
        json={"answers": answers},
    )
    flash_outcome(
        request,
        response,
        N_("The form is sent.") if submit else N_("The draft is saved."),
    )
    return redirect(_page(mission_id))
