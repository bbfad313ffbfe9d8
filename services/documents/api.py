"""HTTP routes of the documents service, called by the gateway only.

The gateway checks that the signed-in user may see the mission before it
calls these routes, and passes the mission it read.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Request, Response, UploadFile

from services.documents import agreements, workers
from services.documents.rendering import render_mission_sheet
from services.documents.uploads import StoredFile, Uploads
from shared.platform.actors import CurrentActor
from shared.platform.errors import ConflictError, NotFoundError
from shared.platform.links import read_link

router = APIRouter(prefix="/internal")
PDF = "application/pdf"

# The purpose that the missions service signs into the links it emails to a
# company; the two values must stay equal.
COMPANY_LINK_PURPOSE = "company_completion"


@router.post("/mission-sheet.pdf", response_class=Response)
async def mission_sheet(
    request: Request, actor: CurrentActor, mission: Annotated[dict[str, Any], Body()]
) -> Response:
    logo = request.app.state.settings.school_logo
    pdf = await workers.render(render_mission_sheet, mission, logo)
    return Response(pdf, media_type=PDF)


@router.get("/agreements/{mission_id}.pdf", response_class=Response)
def agreement(request: Request, actor: CurrentActor, mission_id: str) -> Response:
    pdf = request.app.state.storage.read(agreements.KIND, mission_id)
    if pdf is None and agreements.exists(request.app.state.store.database, mission_id):
        raise NotFoundError(
            "this agreement was deleted when a person it names was erased",
            field="mission_id",
        )
    if pdf is None:
        raise ConflictError(
            "the agreement is being generated: try again in a few seconds",
            code="agreement_not_ready",
        )
    return Response(pdf, media_type=PDF)


def _uploads(request: Request) -> Uploads:
    uploads: Uploads = request.app.state.uploads
    return uploads


@router.post("/missions/{mission_id}/files/{kind}", status_code=201)
async def upload_file(
    request: Request,
    actor: CurrentActor,
    mission_id: str,
    kind: str,
    file: Annotated[UploadFile, File()],
) -> dict[str, Any]:
    uploads = _uploads(request)
    # The multipart parser keeps large parts in a temporary file, and one byte
    # more than the limit is enough to reject an oversized file.
    content = await file.read(uploads.max_bytes(kind) + 1)
    return await asyncio.to_thread(
        uploads.upload, actor, mission_id, kind, content, file.filename
    )


@router.get("/missions/{mission_id}/files")
def list_files(
    request: Request, actor: CurrentActor, mission_id: str
) -> list[dict[str, Any]]:
    return _uploads(request).files_of(mission_id)


@router.get("/missions/{mission_id}/files/{file_id}", response_class=Response)
def download_file(
    request: Request, actor: CurrentActor, mission_id: str, file_id: str
) -> Response:
    return _file_response(_uploads(request).read(mission_id, file_id))


@router.get("/company/{token}/files/{file_id}", response_class=Response)
def company_download_file(request: Request, token: str, file_id: str) -> Response:
    """Return a file of the mission that a company link names.

    A company has no account, so the signed link itself is the credential. The
    gateway has already asked the missions service whether the link is still
    the current one for its mission.
    """
    settings = request.app.state.settings
    claims = read_link(
        token,
        settings.secret_key,
        purpose=COMPANY_LINK_PURPOSE,
        max_age_seconds=settings.company_link_days * 86400,
    )
    return _file_response(_uploads(request).read(claims.mission_id, file_id))


def _file_response(stored: StoredFile) -> Response:
    return Response(
        stored.content,
        media_type=stored.metadata["media_type"],
        headers={
            "content-disposition": f'attachment; filename="{stored.download_name}"',
            "x-content-type-options": "nosniff",
        },
    )
