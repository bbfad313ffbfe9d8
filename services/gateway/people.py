"""A person's data: one export document, and erasure on request.

`GET /api/v1/people/export?email=` gathers every service's share into one
JSON document. `POST /api/v1/people/erase {"email"}` has the missions
service destroy the person's keys and record `PersonErased`, which the
other services follow, and ends the person's sessions here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.api import UpstreamError
from services.gateway.clients import SERVICES, ServiceClients
from services.gateway.session import require_signed_in
from services.gateway.sessions import SessionStore
from shared.platform.actors import require_role
from shared.platform.people import EmailQuery, require_export_right

router = APIRouter(prefix="/api/v1/people", tags=["people"])


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(
        min_length=3,
        max_length=320,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="Email address of the student, supervisor or tutor to erase.",
    )


class ErasureResult(BaseModel):
    erased: bool
    people: int = Field(description="Keys destroyed: one per person id found.")
    missions: list[str] = Field(description="Missions in which the person had a role.")
    erased_at: dt.datetime
    sessions_ended: int


@router.get("/export")
async def export_person(request: Request, email: EmailQuery) -> dict[str, Any]:
    """Everything Campus holds about one person, from events, read models and files.

    The career service and admins may export anyone; a signed-in person may
    export themselves.
    """
    actor = require_signed_in(request)
    require_export_right(actor, email)
    clients: ServiceClients = request.app.state.clients
    responses = await asyncio.gather(
        *(
            clients.request(
                service,
                "GET",
                "/internal/people/export",
                actor,
                params={"email": email},
            )
            for service in SERVICES
        )
    )
    shares: dict[str, Any] = {}
    for service, response in zip(SERVICES, responses, strict=True):
        if response.status_code != 200:
            raise UpstreamError(response.status_code, response.json())
        shares[service] = response.json()
    return {
        "email": email.strip().lower(),
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "services": shares,
    }


@router.post("/erase")
async def erase_person(request: Request, body: ErasureRequest) -> ErasureResult:
    """Erase a person's personal data (career service or admin).

    Their values in events read as "[erased]" from now on; types, dates and
    states of the missions' histories stay. Their files are deleted, the
    emails of their missions blanked and their sessions ended.
    """
    actor = require_signed_in(request)
    require_role(actor, "career_service", "admin")
    clients: ServiceClients = request.app.state.clients
    response = await clients.request(
        "missions",
        "POST",
        "/internal/people/erase",
        actor,
        json={"email": body.email},
    )
    if response.status_code != 200:
        raise UpstreamError(response.status_code, response.json())
    sessions: SessionStore = request.app.state.sessions
    ended = await asyncio.to_thread(sessions.end_all_of, body.email)
    return ErasureResult(**response.json(), sessions_ended=ended)
