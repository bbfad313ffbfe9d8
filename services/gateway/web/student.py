"""The student's pages: mission sheets, their creation and editing, agreements."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.web.rendering import api, render
from services.gateway.web.steps import student_must_act, student_next_action
from shared.platform.actors import Actor

router = APIRouter(include_in_schema=False)


async def student_home(request: Request, user: Actor) -> Response:
    """List the student's sheets, what to do now on each, and their deadlines."""
    response = await api(request, "GET", "/missions")
    missions: list[dict[str, Any]] = response.json() if response.is_success else []
    for mission in missions:
        mission["next_action"] = student_next_action(mission)
        mission["must_act"] = student_must_act(mission)
    return render(request, "student/home.html", missions=missions)
