"""The gateway's `/api/v1`: composed routes, then a proxy to the owning service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from services.gateway.clients import ServiceClients, relay_response, relay_stream
from services.gateway.session import require_signed_in, signed_in
from shared.platform.actors import Actor
from shared.platform.errors import (
    CampusError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
)

router = APIRouter(prefix="/api/v1")


def _clients(request: Request) -> ServiceClients:
    clients: ServiceClients = request.app.state.clients
    return clients


class UpstreamError(CampusError):
    """An error body returned by a service, passed on as it came."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message", "request failed"), field=body.get("field"))
        self.status = status
        self.code = body.get("code", "error")


async def visible_mission(
    request: Request, actor: Actor, mission_id: str
) -> dict[str, Any]:
    """Read a mission through the missions service, which checks who may see it."""
    response = await _clients(request).request(
        "missions", "GET", f"/api/v1/missions/{mission_id}", actor
    )
    if response.status_code != 200:
        raise UpstreamError(response.status_code, response.json())
    mission: dict[str, Any] = response.json()
    return mission


def _pdf(response_content: bytes, filename: str) -> Response:
    return Response(
        response_content,
        media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="{filename}"'},
    )


@router.get("/missions/{mission_id}/sheet.pdf", response_class=Response)
async def mission_sheet_pdf(request: Request, mission_id: str) -> Response:
    actor = require_signed_in(request)
    if actor.role not in ("student", "tutor", "career_service", "admin"):
        raise ForbiddenError("you cannot read this mission sheet")
    mission = await visible_mission(request, actor, mission_id)
    response = await _clients(request).request(
        "documents", "POST", "/internal/mission-sheet.pdf", actor, json=mission
    )
    if response.status_code != 200:
        return relay_response(response)
    return _pdf(response.content, f"mission-sheet-{mission['reference']}.pdf")


@router.get("/missions/{mission_id}/convention.pdf", response_class=Response)
async def agreement_pdf(request: Request, mission_id: str) -> Response:
    actor = require_signed_in(request)
    if actor.role not in ("student", "career_service", "admin"):
        raise ForbiddenError(
            "only the student and the career service download the agreement"
        )
    mission = await visible_mission(request, actor, mission_id)
    if mission["status"] != "approved":
        raise ConflictError(
            "the agreement exists once the mission is approved; "
            f"it is {mission['status']}",
            code="not_approved",
        )
    response = await _clients(request).request(
        "documents", "GET", f"/internal/agreements/{mission_id}.pdf", actor
    )
    if response.status_code != 200:
        return relay_response(response)
    return _pdf(response.content, f"agreement-{mission['reference']}.pdf")


@router.get("/missions/{mission_id}/evaluations")
async def evaluations(request: Request, mission_id: str) -> Response:
    actor = require_signed_in(request)
    await visible_mission(request, actor, mission_id)
    response = await _clients(request).request(
        "evaluations", "GET", f"/internal/evaluations/{mission_id}", actor
    )
    return relay_response(response)


def _owner(path: str) -> str | None:
    """Name the service that owns a public path under /api/v1, if any."""
    first = path.split("/", 1)[0]
    if path.startswith("dev/mailbox") or first == "emails":
        return "notifications"
    if first in ("programs", "missions", "company"):
        return "missions"
    return None


PROXIED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@router.api_route("/{path:path}", methods=PROXIED_METHODS, include_in_schema=False)
async def proxy(request: Request, path: str) -> Response:
    service = _owner(path)
    segments = path.split("/")
    if any(segment in (".", "..") for segment in segments) or any(
        ord(character) < 32 for character in path
    ):
        service = None
    if service is None:
        raise NotFoundError(f"no endpoint /api/v1/{path}")
    actor = signed_in(request)
    if actor is None and not (path.startswith("company/") or path.startswith("dev/")):
        require_signed_in(request)
    headers = {}
    if "content-type" in request.headers:
        headers["content-type"] = request.headers["content-type"]
    clients = _clients(request)
    # A read may be long (every mission, an export): over HTTP its body
    # passes through as it comes instead of being held whole in the gateway.
    # NOTE: in the embedded mode httpx's ASGITransport (0.28) collects the
    # whole body before returning, so there the gateway still keeps it whole.
    send = clients.stream if request.method == "GET" else clients.request
    response = await send(
        service,
        request.method,
        f"/api/v1/{path}",
        actor,
        params=list(request.query_params.multi_items()),
        content=await request.body(),
        headers=headers,
    )
    if request.method == "GET":
        return relay_stream(response)
    return relay_response(response)
