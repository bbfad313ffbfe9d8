"""The gateway's routes for the report, the forms and the company evaluation.

The missions service decides who may see a mission; the evaluations
service decides who may act on its file. A report goes to the documents service first,
which checks and keeps the PDF, then to the evaluations service as a version.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, Response, UploadFile

from services.gateway.api import UpstreamError, visible_mission
from services.gateway.clients import ServiceClients, relay_response
from services.gateway.session import require_signed_in
from shared.platform.actors import Actor
from shared.platform.csvexport import to_csv
from shared.platform.errors import ForbiddenError

router = APIRouter(prefix="/api/v1")

ReportFile = Annotated[UploadFile, File(description="The report, as a PDF.")]


def _clients(request: Request) -> ServiceClients:
    clients: ServiceClients = request.app.state.clients
    return clients


async def _evaluations(
    request: Request, method: str, path: str, json_body: bool = False
) -> Response:
    """Check the mission is visible, then forward to the evaluations service."""
    kwargs: dict[str, Any] = {}
    if json_body:
        kwargs = {
            "content": await request.body(),
            "headers": {"content-type": "application/json"},
        }
    actor = require_signed_in(request)
    mission_id = path.split("/")[0]
    await visible_mission(request, actor, mission_id)
    response = await _clients(request).request(
        "evaluations", method, f"/internal/evaluations/{path}", actor, **kwargs
    )
    return relay_response(response)


@router.post("/missions/{mission_id}/report", status_code=201, response_model=None)
async def upload_report(
    request: Request, mission_id: str, file: ReportFile
) -> Response:
    """Deposit a new version of the report (PDF) while the deposit is open."""
    actor = require_signed_in(request)
    if actor.role != "student":
        raise ForbiddenError("only the student deposits the report")
    await visible_mission(request, actor, mission_id)
    clients = _clients(request)
    deposit = await clients.request(
        "evaluations", "GET", f"/internal/evaluations/{mission_id}/deposit", actor
    )
    if deposit.status_code != 200:
        return relay_response(deposit)
    limit = request.app.state.settings.upload_max_bytes["report"]
    content = await file.read(limit + 1)
    upload = (file.filename or "report.pdf", content, "application/pdf")
    stored = await clients.request(
        "documents",
        "POST",
        f"/internal/missions/{mission_id}/files/report",
        actor,
        files={"file": upload},
    )
    if stored.status_code != 201:
        return relay_response(stored)
    # NOTE: two uploads racing past the check above both store their file; the
    # one whose version is refused stays listed among the mission's files.
    metadata = stored.json()
    version = await clients.request(
        "evaluations",
        "POST",
        f"/internal/evaluations/{mission_id}/report",
        actor,
        json={"file_id": metadata["id"], "sha256": metadata["sha256"]},
    )
    if version.status_code != 200:
        return relay_response(version)
    return Response(version.content, status_code=201, media_type="application/json")


@router.post("/missions/{mission_id}/report/approve", response_model=None)
async def approve_report(request: Request, mission_id: str) -> Response:
    return await _evaluations(
        request, "POST", f"{mission_id}/report/approve", json_body=True
    )


@router.post("/missions/{mission_id}/report/refuse", response_model=None)
async def refuse_report(request: Request, mission_id: str) -> Response:
    return await _evaluations(
        request, "POST", f"{mission_id}/report/refuse", json_body=True
    )


@router.post("/missions/{mission_id}/deposit/reopen", response_model=None)
async def reopen_deposit(request: Request, mission_id: str) -> Response:
    return await _evaluations(
        request, "POST", f"{mission_id}/deposit/reopen", json_body=True
    )


@router.put("/missions/{mission_id}/forms/{kind}", response_model=None)
async def save_form(request: Request, mission_id: str, kind: str) -> Response:
    """Save a draft of the self-evaluation or the synthesis sheet."""
    return await _evaluations(
        request, "PUT", f"{mission_id}/forms/{kind}", json_body=True
    )


@router.post("/missions/{mission_id}/forms/{kind}/submit", response_model=None)
async def submit_form(request: Request, mission_id: str, kind: str) -> Response:
    """Submit a form once; it is read-only afterwards."""
    return await _evaluations(
        request, "POST", f"{mission_id}/forms/{kind}/submit", json_body=True
    )


# The supervisor's evaluation through the emailed link, without an account.


async def _company(
    request: Request, method: str, token: str, suffix: str = ""
) -> Response:
    kwargs: dict[str, Any] = {}
    if method != "GET":
        kwargs = {
            "content": await request.body(),
            "headers": {"content-type": "application/json"},
        }
    response = await _clients(request).request(
        "evaluations",
        method,
        f"/internal/company-evaluation/{token}{suffix}",
        None,
        **kwargs,
    )
    return relay_response(response)


@router.get("/company/evaluation/{token}", response_model=None)
async def company_evaluation(request: Request, token: str) -> Response:
    return await _company(request, "GET", token)


@router.put("/company/evaluation/{token}", response_model=None)
async def save_company_evaluation(request: Request, token: str) -> Response:
    return await _company(request, "PUT", token)


@router.post("/company/evaluation/{token}/submit", response_model=None)
async def submit_company_evaluation(request: Request, token: str) -> Response:
    return await _company(request, "POST", token, "/submit")


@router.post(
    "/company/evaluation/{token}/certificate", status_code=201, response_model=None
)
async def company_certificate(
    request: Request, token: str, file: ReportFile
) -> Response:
    """Upload the end-of-internship certificate through the supervisor's link."""
    clients = _clients(request)
    linked = await clients.request(
        "evaluations", "GET", f"/internal/company-evaluation/{token}", None
    )
    if linked.status_code != 200:
        return relay_response(linked)
    view = linked.json()
    supervisor = Actor(
        email=view["supervisor_email"] or "company", name="company", role="company"
    )
    limit = request.app.state.settings.upload_max_bytes["certificate"]
    content = await file.read(limit + 1)
    upload = (
        file.filename or "certificate",
        content,
        file.content_type or "application/octet-stream",
    )
    response = await clients.request(
        "documents",
        "POST",
        f"/internal/missions/{view['mission_id']}/files/certificate",
        supervisor,
        files={"file": upload},
    )
    return relay_response(response)


# The career service's overview of reports and evaluations.


OVERVIEW_COLUMNS = (
    "mission_id",
    "program_id",
    "student",
    "student_email",
    "tutor_email",
    "end_date",
    "report",
    "report_closes_on",
    "self_evaluation",
    "synthesis",
    "company_evaluation",
    "certificate",
)


async def _overview(request: Request) -> list[dict[str, Any]]:
    actor = require_signed_in(request)
    response = await _clients(request).request(
        "evaluations",
        "GET",
        "/internal/evaluations",
        actor,
        params=list(request.query_params.multi_items()),
    )
    if response.status_code != 200:
        raise UpstreamError(response.status_code, response.json())
    rows: list[dict[str, Any]] = response.json()
    return rows


@router.get("/evaluations")
async def overview(request: Request) -> list[dict[str, Any]]:
    """List each file's report and forms, filterable by `program_id`."""
    return await _overview(request)


@router.get("/evaluations/export.csv", response_class=Response)
async def overview_csv(request: Request) -> Response:
    return Response(
        to_csv(OVERVIEW_COLUMNS, await _overview(request)),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="evaluations.csv"'},
    )
