"""HTTP routes of the documents service, called by the gateway only.

The gateway checks that the signed-in user may see the mission before it
calls these routes, and passes the mission it read.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response

from services.documents import agreements
from services.documents.rendering import render_mission_sheet
from shared.platform.actors import CurrentActor
from shared.platform.errors import ConflictError

router = APIRouter(prefix="/internal")
PDF = "application/pdf"


@router.post("/mission-sheet.pdf", response_class=Response)
async def mission_sheet(
    actor: CurrentActor, mission: Annotated[dict[str, Any], Body()]
) -> Response:
    pdf = await asyncio.to_thread(render_mission_sheet, mission)
    return Response(pdf, media_type=PDF)


@router.get("/agreements/{mission_id}.pdf", response_class=Response)
def agreement(request: Request, actor: CurrentActor, mission_id: str) -> Response:
    pdf = request.app.state.storage.read(agreements.KIND, mission_id)
    if pdf is None:
        raise ConflictError(
            "the agreement is being generated: try again in a few seconds",
            code="agreement_not_ready",
        )
    return Response(pdf, media_type=PDF)
