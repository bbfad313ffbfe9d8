"""Routes that read and move a service's clock, in development and tests only."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from shared.platform.clock import AdjustableClock
from shared.platform.errors import NotFoundError

router = APIRouter(prefix="/api/v1/dev", include_in_schema=False)


class ClockMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    now: dt.datetime


def _dev_clock(request: Request) -> AdjustableClock:
    clock = request.app.state.clock
    if not isinstance(clock, AdjustableClock):
        raise NotFoundError("the clock can be moved only with the development login")
    return clock


@router.get("/clock")
def read_clock(request: Request) -> dict[str, str]:
    return {"now": _dev_clock(request).now().isoformat()}


@router.put("/clock")
def move_clock(request: Request, body: ClockMove) -> dict[str, str]:
    """Move the clock, then run what falls due (the service's `on_clock_moved`)."""
    clock = _dev_clock(request)
    moment = body.now if body.now.tzinfo else body.now.replace(tzinfo=dt.UTC)
    clock.move_to(moment)
    on_moved = getattr(request.app.state, "on_clock_moved", None)
    if on_moved is not None:
        on_moved()
    return {"now": clock.now().isoformat()}
