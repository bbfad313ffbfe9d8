"""The gateway's routes for files uploaded to a mission, and their downloads.

The gateway decides who may upload what, from the mission that the missions
service returns. The documents service then checks each file's content and
keeps it. The report deposit is not here, because the evaluations service
owns it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, File, Request, Response, UploadFile

from services.gateway.api import UpstreamError, visible_mission
from services.gateway.clients import ServiceClients, relay_response
from services.gateway.session import require_signed_in
from shared.platform.actors import Actor, Role
from shared.platform.errors import ConflictError, ForbiddenError, NotFoundError
from shared.platform.settings import Settings

router = APIRouter(prefix="/api/v1")

UploadedFile = Annotated[
    UploadFile, File(description="The file: PDF, JPEG or PNG, judged by content.")
]

# Mission and file ids are UUIDs, so anything else is rejected before it goes
# into the path of a call to another service.
_SAFE_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_SAFE_TOKEN = re.compile(r"^(?!\.+$)[A-Za-z0-9._-]{1,4096}$")


def _clients(request: Request) -> ServiceClients:
    clients: ServiceClients = request.app.state.clients
    return clients


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _check_ids(*values: str) -> None:
    for value in values:
        if not _SAFE_ID.fullmatch(value):
            raise NotFoundError(f"no mission or file with the id {value!r}")


def _require_uploader(
    actor: Actor, mission: dict[str, Any], roles: tuple[Role, ...], what: str
) -> None:
    """Allow the mission's own student, and staff of the given roles."""
    is_owner = actor.role == "student" and actor.email == mission["student"]["email"]
    if not is_owner and actor.role not in roles:
        raise ForbiddenError(f"only {what} can upload this file")


async def _upload(
    request: Request, actor: Actor, mission_id: str, kind: str, file: UploadFile
) -> Response:
    # One byte over the kind's limit is enough for the documents service to
    # reject the file as too large.
    content = await file.read(_settings(request).upload_max_bytes[kind] + 1)
    # httpx leaves out an empty file name, and the documents service would then
    # receive a text field, so a nameless file is sent as "upload".
    upload = (
        file.filename or "upload",
        content,
        file.content_type or "application/octet-stream",
    )
    response = await _clients(request).request(
        "documents",
        "POST",
        f"/internal/missions/{mission_id}/files/{kind}",
        actor,
        files={"file": upload},
    )
    return relay_response(response)


async def _mission_for_upload(
    request: Request, mission_id: str
) -> tuple[Actor, dict[str, Any]]:
    _check_ids(mission_id)
    actor = require_signed_in(request)
    return actor, await visible_mission(request, actor, mission_id)


@router.post(
    "/missions/{mission_id}/convention/scan", status_code=201, response_model=None
)
async def upload_agreement_scan(
    request: Request, mission_id: str, file: UploadedFile
) -> Response:
    """Upload a scan of the signed agreement, for a quick start only."""
    actor, mission = await _mission_for_upload(request, mission_id)
    _require_uploader(actor, mission, (), "the student of this mission")
    quick_start = bool(mission.get("quick_start"))
    if mission["status"] != "approved" or not quick_start:
        raise ConflictError(
            "a scan of the agreement is accepted only for a quick start, once the "
            f"mission is approved, and this mission is {mission['status']} and "
            f"{'is' if quick_start else 'is not'} a quick start: send the signed "
            "originals to the career service instead",
            code="scan_not_allowed",
        )
    return await _upload(request, actor, mission_id, "agreement_scan", file)


@router.post("/missions/{mission_id}/insurance", status_code=201, response_model=None)
async def upload_insurance(
    request: Request, mission_id: str, file: UploadedFile
) -> Response:
    """Upload the insurance certificate of an internship abroad."""
    actor, mission = await _mission_for_upload(request, mission_id)
    _require_uploader(actor, mission, (), "the student of this mission")
    if mission.get("location") != "abroad":
        raise ConflictError(
            "an insurance certificate is needed only for an internship abroad, "
            "and this one is not: there is nothing to upload",
            code="insurance_not_needed",
        )
    return await _upload(request, actor, mission_id, "insurance", file)


@router.post("/missions/{mission_id}/certificate", status_code=201, response_model=None)
async def upload_certificate(
    request: Request, mission_id: str, file: UploadedFile
) -> Response:
    """Upload the internship certificate, once the mission is approved."""
    actor, mission = await _mission_for_upload(request, mission_id)
    _require_uploader(
        actor,
        mission,
        ("career_service", "admin"),
        "the student of this mission or the career service",
    )
    if mission["status"] != "approved":
        raise ConflictError(
            "the internship certificate is accepted once the mission is "
            f"approved; it is {mission['status']}",
            code="not_approved",
        )
    return await _upload(request, actor, mission_id, "certificate", file)


@router.get("/missions/{mission_id}/files")
async def list_files(request: Request, mission_id: str) -> Response:
    """List the files of a mission, without their content."""
    _check_ids(mission_id)
    actor = require_signed_in(request)
    await visible_mission(request, actor, mission_id)
    response = await _clients(request).request(
        "documents", "GET", f"/internal/missions/{mission_id}/files", actor
    )
    return relay_response(response)


@router.get("/missions/{mission_id}/files/{file_id}", response_class=Response)
async def download_file(request: Request, mission_id: str, file_id: str) -> Response:
    """Download a file of a mission. A file of another mission is not found."""
    _check_ids(mission_id, file_id)
    actor = require_signed_in(request)
    await visible_mission(request, actor, mission_id)
    response = await _clients(request).request(
        "documents", "GET", f"/internal/missions/{mission_id}/files/{file_id}", actor
    )
    return _file_response(response)


@router.get("/company/{token}/files/{file_id}", response_class=Response)
async def company_download_file(request: Request, token: str, file_id: str) -> Response:
    """Download a file of the mission that a company link names."""
    _check_ids(file_id)
    if not _SAFE_TOKEN.fullmatch(token):
        raise NotFoundError("this company link is not valid: check it was copied whole")
    # The missions service rejects a link that is invalid, expired, used or
    # replaced by a newer one.
    mission = await _clients(request).request(
        "missions", "GET", f"/api/v1/company/{token}/mission", None
    )
    if mission.status_code != 200:
        raise UpstreamError(mission.status_code, mission.json())
    response = await _clients(request).request(
        "documents", "GET", f"/internal/company/{token}/files/{file_id}", None
    )
    return _file_response(response)


def _file_response(response: httpx.Response) -> Response:
    relayed = relay_response(response)
    if response.status_code == 200:
        relayed.headers["x-content-type-options"] = "nosniff"
        relayed.headers["cache-control"] = "private, no-store"
    return relayed
