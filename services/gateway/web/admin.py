"""Pages of the admin: the programs' rules, and their tutors with capacity and load."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.csrf import checked_form
from services.gateway.i18n import N_
from services.gateway.web.rendering import (
    api,
    error_message,
    flash,
    page_user,
    redirect,
    render,
    translate,
)

router = APIRouter(include_in_schema=False)

DATE_RULES = ("earliest_start", "latest_end")
NUMBER_RULES = (
    "min_weeks",
    "max_weeks",
    "lead_time_france_days",
    "lead_time_abroad_days",
)
CHOICE_RULES = ("allows_one_day", "allows_overlap")


async def _programs(request: Request) -> list[dict[str, Any]]:
    response = await api(request, "GET", "/programs")
    programs: list[dict[str, Any]] = response.json() if response.is_success else []
    return programs


@router.get("/admin/programs")
async def programs_page(request: Request) -> Response:
    """Show each program's rules: window, durations, type, lead times and options."""
    page_user(request, "admin")
    return render(request, "admin/programs.html", programs=await _programs(request))


def _rules(form: Any) -> dict[str, Any] | str:
    """Read the rules form. Return the rules, or the first field not a number."""
    rules: dict[str, Any] = {}
    for name in DATE_RULES:
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            rules[name] = value.strip()
    for name in NUMBER_RULES:
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            if not value.strip().isdigit():
                return name
            rules[name] = int(value.strip())
    if form.get("internship_type") in ("short", "long"):
        rules["internship_type"] = form.get("internship_type")
    for name in CHOICE_RULES:
        if form.get(name) in ("yes", "no"):
            rules[name] = form.get(name) == "yes"
    return rules


@router.post("/admin/programs/{program_id}")
async def change_rules(request: Request, program_id: str) -> Response:
    page_user(request, "admin")
    rules = _rules(await checked_form(request))
    back = f"/admin/programs#program-{quote(program_id)}"
    if isinstance(rules, str):
        flash(
            request,
            "error",
            translate(request, N_("Give whole numbers of weeks and days.")),
        )
        return redirect(back)
    response = await api(request, "PUT", f"/programs/{quote(program_id)}", json=rules)
    if response.status_code != 200:
        flash(request, "error", error_message(request, response))
    else:
        flash(request, "info", translate(request, N_("Program rules saved.")))
    return redirect(back)


@router.get("/admin/tutors")
async def tutors_page(request: Request) -> Response:
    """Show the tutors of each program, with their capacity and current load."""
    page_user(request, "admin")
    programs = await _programs(request)
    for program in programs:
        response = await api(request, "GET", f"/programs/{program['id']}/tutors")
        program["tutors"] = response.json() if response.is_success else []
    return render(request, "admin/tutors.html", programs=programs)


@router.post("/admin/programs/{program_id}/tutors")
async def change_capacity(request: Request, program_id: str) -> Response:
    page_user(request, "admin")
    form = await checked_form(request)
    email = form.get("email")
    capacity = form.get("capacity")
    back = f"/admin/tutors#tutors-{quote(program_id)}"
    if not isinstance(capacity, str) or not capacity.strip().isdigit():
        flash(
            request,
            "error",
            translate(request, N_("Give the capacity as a whole number.")),
        )
        return redirect(back)
    response = await api(
        request,
        "PUT",
        f"/programs/{quote(program_id)}/tutors/{quote(str(email or ''))}",
        json={"capacity": int(capacity.strip())},
    )
    if response.status_code != 200:
        flash(request, "error", error_message(request, response))
    else:
        flash(request, "info", translate(request, N_("Tutor's capacity saved.")))
    return redirect(back)
