"""Pages of the admin: the programs' rules, and their tutors with capacity and load."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.web.rendering import api, page_user, render

router = APIRouter(include_in_schema=False)


async def _programs(request: Request) -> list[dict[str, Any]]:
    response = await api(request, "GET", "/programs")
    programs: list[dict[str, Any]] = response.json() if response.is_success else []
    return programs


# TODO: let the admin change a program's rules and a tutor's capacity here,
# through an API that records them as events; the seed file sets them today.
@router.get("/admin/programs")
async def programs_page(request: Request) -> Response:
    """Each program's rules: window, durations, type, lead times and options."""
    page_user(request, "admin")
    return render(request, "admin/programs.html", programs=await _programs(request))


@router.get("/admin/tutors")
async def tutors_page(request: Request) -> Response:
    """The tutors of each program, with their capacity and current load."""
    page_user(request, "admin")
    programs = await _programs(request)
    for program in programs:
        response = await api(request, "GET", f"/programs/{program['id']}/tutors")
        program["tutors"] = response.json() if response.is_success else []
    return render(request, "admin/tutors.html", programs=programs)
