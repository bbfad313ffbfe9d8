"""The development clock: one move reaches every service that schedules work."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from services.gateway.api import UpstreamError
from services.gateway.clients import ServiceClients

router = APIRouter(prefix="/api/v1/dev", include_in_schema=False)
CLOCKED_SERVICES = ("missions", "documents", "notifications", "evaluations")


@router.get("/clock")
async def read_clock(request: Request) -> dict[str, Any]:
    clients: ServiceClients = request.app.state.clients
    response = await clients.request("notifications", "GET", "/api/v1/dev/clock", None)
    if response.status_code != 200:
        raise UpstreamError(response.status_code, response.json())
    result: dict[str, Any] = response.json()
    return result


@router.put("/clock")
async def move_clock(
    request: Request, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Move the clocks of the services that schedule work; development only."""
    clients: ServiceClients = request.app.state.clients
    moved: dict[str, Any] = {}
    for service in CLOCKED_SERVICES:
        response = await clients.request(
            service, "PUT", "/api/v1/dev/clock", None, json=body
        )
        if response.status_code != 200:
            raise UpstreamError(response.status_code, response.json())
        moved[service] = response.json()["now"]
    return {"now": moved["notifications"], "services": moved}
