"""The mission's page: its tracking dashboard, with each role's actions under it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.i18n import N_
from services.gateway.web.rendering import api, error_message, page_user, render
from services.gateway.web.steps import student_next_action
from shared.platform.errors import CampusError

router = APIRouter(include_in_schema=False)

# The usual path of a sheet, each step named by the event that ends it.
STEPS = (
    ("MissionCreated", N_("Sheet created by the student")),
    ("DatesSet", N_("Dates and place entered")),
    ("MissionSentToCompany", N_("Sent to the company")),
    ("CompanyCompleted", N_("Completed and validated by the company")),
    ("StudentConfirmed", N_("Checked and confirmed by the student")),
    ("TutorApproved", N_("Approved by the academic tutor")),
    ("MissionApproved", N_("Final approval by the career service")),
    ("OriginalsReceived", N_("Signed originals received")),
)

# Extra context of each role's action panel, added by the module of that role.
ActionContext = Callable[[Request, dict[str, Any]], Awaitable[dict[str, Any]]]
ACTION_CONTEXT: dict[str, ActionContext] = {}
# The next step of each role on a sheet, as a catalog id; the student's by default.
NEXT_ACTION: dict[str, Callable[[dict[str, Any]], str]] = {}


class MissionPageError(CampusError):
    """An API refusal to show the mission, shown as a page in the same status."""


async def load_mission(request: Request, mission_id: str) -> dict[str, Any]:
    response = await api(request, "GET", f"/missions/{mission_id}")
    if response.status_code != 200:
        error = MissionPageError(error_message(request, response))
        error.status = response.status_code
        raise error
    mission: dict[str, Any] = response.json()
    return mission


def steps_of(mission: dict[str, Any]) -> list[dict[str, Any]]:
    """Return each usual step with its last entry in the history, if it happened."""
    last: dict[str, dict[str, Any]] = {}
    for entry in mission["history"]:
        last[entry["type"]] = entry
    return [
        {"label": label, "entry": last.get(event_type)} for event_type, label in STEPS
    ]


@router.get("/missions/{mission_id}")
async def mission_page(request: Request, mission_id: str) -> Response:
    user = page_user(request)
    mission = await load_mission(request, mission_id)
    context: dict[str, Any] = {}
    if user.role in ACTION_CONTEXT:
        context = await ACTION_CONTEXT[user.role](request, mission)
    return render(
        request,
        "mission.html",
        mission=mission,
        steps=steps_of(mission),
        next_action=NEXT_ACTION.get(user.role, student_next_action)(mission),
        actions=context,
    )
