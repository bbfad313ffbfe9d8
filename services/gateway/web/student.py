"""The student's pages: mission sheets, their creation and editing, agreements."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from services.gateway.csrf import checked_form
from services.gateway.i18n import N_, country_names, page_language
from services.gateway.web.mission import load_mission
from services.gateway.web.rendering import (
    api,
    error_message,
    flash,
    flash_outcome,
    page_user,
    redirect,
    render,
    translate,
)
from services.gateway.web.steps import student_must_act, student_next_action
from shared.events.labels import FIELD_LABELS, SECTION_TITLES
from shared.events.sections import WEEKDAYS
from shared.platform.actors import Actor
from shared.platform.errors import NotFoundError

router = APIRouter(include_in_schema=False)

SECTIONS = ("student", "organisation", "supervisor", "mission", "terms")
# Fields edited on the page, in order, with their input kind ("text" if absent).
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "student": (
        "first_name",
        "last_name",
        "email",
        "student_number",
        "phone",
        "address",
    ),
    "organisation": (
        "name",
        "siret",
        "identifier",
        "address",
        "country",
        "sector",
        "size",
        "representative_name",
        "representative_position",
    ),
    "supervisor": ("first_name", "last_name", "position", "email", "phone"),
    "mission": ("title", "description", "department", "objectives", "skills"),
    # TODO: periods with their own hours and interruptions are entered through
    # the API only (PUT .../sections/terms); the page keeps a regular week.
    "terms": (
        "weekly_hours",
        "working_days",
        "holidays_worked",
        "monthly_allowance",
        "allowance_payment",
        "benefits",
        "leave",
        "remote_work",
    ),
}
INPUT_KINDS = {
    "email": "email",
    "phone": "tel",
    "address": "long",
    "description": "long",
    "objectives": "long",
    "skills": "long",
    "benefits": "long",
    "leave": "long",
    "remote_work": "long",
    "country": "country",
    "weekly_hours": "hours",
    "monthly_allowance": "money",
    "working_days": "weekdays",
    "holidays_worked": "yes_no",
}
TERMS_HELP = {
    "weekly_hours": N_(
        "Hours of presence in a usual week, at most 48 (35 is the French "
        "legal week). Presence above 308 hours with one host in an academic "
        "year makes an allowance mandatory in France."
    ),
    "working_days": N_(
        "The days of the week you are present. Hours are spread over them, "
        "at most 10 a day."
    ),
    "holidays_worked": N_(
        "Whether you work on public holidays; otherwise they do not count as presence."
    ),
    "monthly_allowance": N_(
        "Gross amount in euros per month. In France it is mandatory above two "
        "months of presence and cannot be below the legal hourly minimum; "
        "the sheet shows that minimum once the dates and hours are known."
    ),
    "allowance_payment": N_(
        "How and when it is paid, for example monthly by transfer."
    ),
    "benefits": N_("Meals, transport, housing or other benefits, if any."),
    "leave": N_(
        "Days off and authorised absences agreed with the host, as the "
        "agreement will state them."
    ),
    "remote_work": N_("Whether and how many days a week you may work remotely."),
}


async def student_home(request: Request, user: Actor) -> Response:
    """List the student's sheets, what to do now on each, and their deadlines."""
    response = await api(request, "GET", "/missions")
    missions: list[dict[str, Any]] = response.json() if response.is_success else []
    for mission in missions:
        mission["next_action"] = student_next_action(mission)
        mission["must_act"] = student_must_act(mission)
    return render(request, "student/home.html", missions=missions)


def _language(request: Request, user: Actor) -> str:
    return page_language(request, user.language)


# Creation: the moral commitment and the program.


@router.get("/missions/new")
async def new_mission_page(request: Request) -> Response:
    page_user(request, "student")
    programs = (await api(request, "GET", "/programs")).json()
    return render(request, "student/new.html", programs=programs)


@router.post("/missions/new")
async def new_mission(request: Request) -> Response:
    page_user(request, "student")
    form = await checked_form(request)
    if form.get("commitment") != "accepted":
        flash(
            request,
            "error",
            translate(request, "Accept the commitment to create the sheet."),
        )
        return redirect("/missions/new")
    created = await api(
        request,
        "POST",
        "/missions",
        json={"program_id": form.get("program_id"), "commitment_accepted": True},
    )
    if created.status_code != 201:
        flash(request, "error", error_message(request, created))
        return redirect("/missions/new")
    return redirect(f"/missions/{created.json()['id']}/dates")


# Dates and place, with the derogation request when the program's rules break.


def _dates_page(
    request: Request,
    user: Actor,
    mission: dict[str, Any],
    values: dict[str, Any],
    error: str | None = None,
    derogation: bool = False,
    rules: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "student/dates.html",
        status_code=status_code,
        mission=mission,
        values=values,
        error=error,
        derogation=derogation,
        rules=rules,
        countries=country_names(_language(request, user)),
    )


EDITABLE = ("draft", "derogation_pending")


def _closed(request: Request, mission: dict[str, Any]) -> Response | None:
    """Return a redirect to the mission page once the sheet is out of their hands."""
    if mission["status"] in EDITABLE:
        return None
    flash(
        request,
        "info",
        translate(request, "This sheet can no longer be changed by you."),
    )
    return redirect(f"/missions/{mission['id']}")


@router.get("/missions/{mission_id}/dates")
async def dates_page(request: Request, mission_id: str) -> Response:
    user = page_user(request, "student")
    mission = await load_mission(request, mission_id)
    if (closed := _closed(request, mission)) is not None:
        return closed
    values = {
        "start_date": mission.get("start_date") or "",
        "end_date": mission.get("end_date") or "",
        "location": mission.get("location") or "france",
        "country": mission.get("country") or "",
    }
    return _dates_page(request, user, mission, values)


@router.post("/missions/{mission_id}/dates")
async def save_dates(request: Request, mission_id: str) -> Response:
    user = page_user(request, "student")
    form = await checked_form(request)
    location = form.get("location")
    values = {
        "start_date": form.get("start_date") or "",
        "end_date": form.get("end_date") or "",
        "location": location,
        "country": "FR" if location == "france" else form.get("country") or "",
        "message": form.get("message") or "",
    }
    body: dict[str, Any] = {
        key: values[key] for key in ("start_date", "end_date", "location", "country")
    }
    if form.get("request_derogation") == "yes":
        body["request_derogation"] = True
        body["message"] = values["message"]
    saved = await api(request, "PUT", f"/missions/{mission_id}/dates", json=body)
    if saved.status_code == 200:
        if saved.json()["status"] == "derogation_pending":
            flash(
                request,
                "info",
                translate(
                    request,
                    "Your derogation request is sent to the career service. "
                    "You can go on filling in the sheet meanwhile.",
                ),
            )
        return redirect(f"/missions/{mission_id}/edit/student")
    mission = await load_mission(request, mission_id)
    derogation = (
        saved.status_code == 409 and saved.json().get("code") == "derogation_required"
    )
    if derogation:
        programs = (await api(request, "GET", "/programs")).json()
        rules = next(p for p in programs if p["id"] == mission["program"]["id"])
        return _dates_page(
            request,
            user,
            mission,
            values,
            rules=rules,
            derogation=True,
            status_code=409,
        )
    return _dates_page(
        request,
        user,
        mission,
        values,
        error=error_message(request, saved),
        status_code=422,
    )


# The five sections, then the review before sending.


def _missing_by_section(mission: dict[str, Any]) -> dict[str, list[str]]:
    missing: dict[str, list[str]] = {name: [] for name in SECTIONS}
    for path in mission.get("missing_for_submission", []):
        section, _, field = path.partition(".")
        missing.setdefault(section, []).append(field)
    return missing


def _section_page(
    request: Request,
    user: Actor,
    mission: dict[str, Any],
    section: str,
    values: dict[str, Any],
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    language = _language(request, user)
    return render(
        request,
        "student/section.html",
        status_code=status_code,
        mission=mission,
        section=section,
        sections=SECTIONS,
        titles=SECTION_TITLES[language],
        labels=FIELD_LABELS[language][section],
        fields=SECTION_FIELDS[section],
        kinds=INPUT_KINDS,
        help=TERMS_HELP if section == "terms" else {},
        values=values,
        missing=_missing_by_section(mission),
        error=error,
        weekdays=WEEKDAYS,
        countries=country_names(language),
        next_section=_next_section(section),
    )


def _next_section(section: str) -> str | None:
    index = SECTIONS.index(section)
    return SECTIONS[index + 1] if index + 1 < len(SECTIONS) else None


def _known_section(section: str) -> str:
    if section not in SECTIONS:
        raise NotFoundError(f"no section {section!r}")
    return section


@router.get("/missions/{mission_id}/edit/{section}")
async def section_page(request: Request, mission_id: str, section: str) -> Response:
    user = page_user(request, "student")
    mission = await load_mission(request, mission_id)
    if (closed := _closed(request, mission)) is not None:
        return closed
    values = dict(mission["sections"][_known_section(section)])
    return _section_page(request, user, mission, section, values)


def _section_body(section: str, form: FormData) -> dict[str, Any]:
    """Turn the posted fields into the API's section body; empty means cleared."""
    body: dict[str, Any] = {}
    for field in SECTION_FIELDS[section]:
        kind = INPUT_KINDS.get(field, "text")
        if kind == "weekdays":
            days = [day for day in form.getlist(field) if isinstance(day, str)]
            body[field] = days or None
        elif kind == "yes_no":
            value = form.get(field)
            body[field] = {"yes": True, "no": False}.get(str(value))
        else:
            value = form.get(field)
            text = value.strip() if isinstance(value, str) else ""
            body[field] = text or None
    return body


@router.post("/missions/{mission_id}/edit/{section}")
async def save_section(request: Request, mission_id: str, section: str) -> Response:
    user = page_user(request, "student")
    form = await checked_form(request)
    body = _section_body(_known_section(section), form)
    saved = await api(
        request, "PUT", f"/missions/{mission_id}/sections/{section}", json=body
    )
    if saved.status_code != 200:
        mission = await load_mission(request, mission_id)
        return _section_page(
            request,
            user,
            mission,
            section,
            body,
            error=error_message(request, saved),
            status_code=422,
        )
    flash(request, "info", translate(request, "Section saved."))
    following = _next_section(section)
    if form.get("action") == "next":
        target = f"edit/{following}" if following else "review"
        return redirect(f"/missions/{mission_id}/{target}")
    return redirect(f"/missions/{mission_id}/edit/{section}")


@router.get("/missions/{mission_id}/review")
async def review_page(request: Request, mission_id: str) -> Response:
    user = page_user(request, "student")
    mission = await load_mission(request, mission_id)
    language = _language(request, user)
    return render(
        request,
        "student/review.html",
        mission=mission,
        sections=SECTIONS,
        titles=SECTION_TITLES[language],
        labels=FIELD_LABELS[language],
        fields=SECTION_FIELDS,
        missing=_missing_by_section(mission),
    )


# Decisions on the mission page: send, confirm, send back, cancel.

ACTIONS = {
    "submit": ("/submit", None, N_("The sheet is sent to the company.")),
    "confirm": ("/confirm", "message", N_("Confirmed: the sheet goes to your tutor.")),
    "return": (
        "/return-to-company",
        "message",
        N_("The sheet is sent back to the company with your message."),
    ),
    "cancel": ("/cancel", "reason", N_("The sheet is cancelled.")),
}


@router.post("/missions/{mission_id}/student-action")
async def student_action(request: Request, mission_id: str) -> Response:
    page_user(request, "student")
    form = await checked_form(request)
    action = str(form.get("action"))
    if action not in ACTIONS:
        flash(request, "error", translate(request, "Unknown action."))
        return redirect(f"/missions/{mission_id}")
    path, text_field, done = ACTIONS[action]
    body: dict[str, Any] = {}
    if text_field is not None:
        text = form.get(text_field)
        body[text_field] = (
            text.strip() if isinstance(text, str) and text.strip() else None
        )
    response = await api(request, "POST", f"/missions/{mission_id}{path}", json=body)
    if response.is_success:
        flash(request, "info", translate(request, done))
    else:
        flash(request, "error", error_message(request, response))
    return redirect(f"/missions/{mission_id}")


# Agreements: download, the quick start's scan, the abroad steps, insurance.


@router.get("/agreements")
async def agreements_page(request: Request) -> Response:
    page_user(request, "student")
    response = await api(request, "GET", "/missions", params={"status": "approved"})
    missions: list[dict[str, Any]] = response.json() if response.is_success else []
    for mission in missions:
        files = await api(request, "GET", f"/missions/{mission['id']}/files")
        mission["files"] = files.json() if files.is_success else []
    return render(request, "student/agreements.html", missions=missions)


@router.get("/abroad-steps")
async def abroad_steps_page(request: Request) -> Response:
    page_user(request)
    return render(request, "student/abroad_steps.html")


@router.post("/agreements/{mission_id}/acknowledge")
async def acknowledge_abroad(request: Request, mission_id: str) -> Response:
    page_user(request, "student")
    form = await checked_form(request)
    if form.get("read") != "yes":
        flash(
            request,
            "error",
            translate(request, "Tick the box to confirm you read the steps."),
        )
        return redirect("/agreements")
    response = await api(request, "POST", f"/missions/{mission_id}/abroad/acknowledge")
    flash_outcome(request, response, N_("Thank you: your reading is recorded."))
    return redirect("/agreements")


UPLOADS = {
    "scan": ("/convention/scan", N_("The signed agreement's scan is stored.")),
    "insurance": ("/insurance", N_("The insurance certificate is stored.")),
}


@router.post("/agreements/{mission_id}/{kind}")
async def upload_file(request: Request, mission_id: str, kind: str) -> Response:
    page_user(request, "student")
    if kind not in UPLOADS:
        raise NotFoundError(f"no upload {kind!r}")
    form = await checked_form(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        flash(request, "error", translate(request, "Choose a file first."))
        return redirect("/agreements")
    content = await upload.read()
    path, done = UPLOADS[kind]
    response = await api(
        request,
        "POST",
        f"/missions/{mission_id}{path}",
        files={
            "file": (
                upload.filename,
                content,
                upload.content_type or "application/octet-stream",
            )
        },
    )
    flash_outcome(request, response, done)
    return redirect("/agreements")
