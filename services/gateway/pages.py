"""Server-rendered pages: home, mission, the company's link and the mailbox."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.gateway.api import UpstreamError, visible_mission
from services.gateway.clients import ServiceClients
from services.gateway.session import DevLogin, sign_out, signed_in
from services.gateway.session import login as dev_login
from shared.events.labels import FIELD_LABELS, SECTION_TITLES
from shared.platform.errors import CampusError
from shared.platform.templates import template_environment

router = APIRouter(include_in_schema=False)

# The sections a company may change; the student's own section stays read-only.
COMPANY_SECTIONS = ("organisation", "supervisor", "mission", "terms")
LONG_FIELDS = {
    "address",
    "description",
    "objectives",
    "skills",
    "benefits",
    "leave",
    "remote_work",
}


def _render(
    request: Request, name: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    template = template_environment().get_template(f"gateway/{name}")
    html = template.render(
        user=signed_in(request),
        dev_login=request.app.state.settings.dev_login_enabled,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def _clients(request: Request) -> ServiceClients:
    clients: ServiceClients = request.app.state.clients
    return clients


@router.get("/")
async def home(request: Request) -> Response:
    user = signed_in(request)
    missions: list[dict[str, Any]] = []
    if user is not None:
        response = await _clients(request).request(
            "missions", "GET", "/api/v1/missions", user
        )
        missions = response.json() if response.status_code == 200 else []
    users = (
        request.app.state.seed["users"]
        if request.app.state.settings.dev_login_enabled
        else []
    )
    return _render(request, "home.html", missions=missions, users=users)


@router.post("/login")
def login_form(request: Request, email: str = Form(max_length=320)) -> Response:
    try:
        dev_login(request, DevLogin(email=email))
    except CampusError as error:
        return _render(
            request, "error.html", status_code=error.status, message=error.message
        )
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout_form(request: Request) -> Response:
    sign_out(request)
    return RedirectResponse("/", status_code=303)


@router.get("/missions/{mission_id}")
async def mission_page(request: Request, mission_id: str) -> Response:
    user = signed_in(request)
    if user is None:
        return RedirectResponse("/", status_code=303)
    try:
        mission = await visible_mission(request, user, mission_id)
    except UpstreamError as error:
        return _render(
            request, "error.html", status_code=error.status, message=error.message
        )
    return _render(request, "mission.html", mission=mission)


async def _company_page(
    request: Request, token: str, error: str | None = None, status_code: int = 200
) -> Response:
    response = await _clients(request).request(
        "missions", "GET", f"/api/v1/company/{token}/mission", None
    )
    if response.status_code != 200:
        message = response.json()["message"]
        return _render(
            request, "error.html", status_code=response.status_code, message=message
        )
    mission = response.json()
    language = mission["language"]
    return _render(
        request,
        "company.html",
        status_code=status_code,
        mission=mission,
        token=token,
        error=error,
        sections=COMPANY_SECTIONS,
        titles=SECTION_TITLES[language],
        labels=FIELD_LABELS[language],
        long_fields=LONG_FIELDS,
    )


@router.get("/company/{token}")
async def company_page(request: Request, token: str) -> Response:
    return await _company_page(request, token)


@router.post("/company/{token}")
async def company_form(request: Request, token: str) -> Response:
    """Save the company's fields, section by section, then validate if asked."""
    form = await request.form()
    clients = _clients(request)
    for section in COMPANY_SECTIONS:
        fields = {
            key.split(".", 1)[1]: value.strip()
            for key, value in form.items()
            if isinstance(value, str)
            and key.startswith(f"{section}.")
            and value.strip()
        }
        if not fields:
            continue
        saved = await clients.request(
            "missions",
            "PUT",
            f"/api/v1/company/{token}/sections/{section}",
            None,
            json=fields,
        )
        if saved.status_code != 200:
            return await _company_page(request, token, saved.json()["message"], 422)
    if form.get("action") != "validate":
        return RedirectResponse(f"/company/{token}", status_code=303)
    validated = await clients.request(
        "missions", "POST", f"/api/v1/company/{token}/validate", None
    )
    if validated.status_code != 200:
        return await _company_page(request, token, validated.json()["message"], 422)
    return _render(request, "company_done.html", mission=validated.json())


async def _evaluation_page(
    request: Request, token: str, lang: str, error: str | None = None, status: int = 200
) -> Response:
    response = await _clients(request).request(
        "evaluations", "GET", f"/internal/company-evaluation/{token}", None
    )
    if response.status_code != 200:
        message = response.json()["message"]
        return _render(
            request, "error.html", status_code=response.status_code, message=message
        )
    return _render(
        request,
        "company_evaluation.html",
        status_code=status,
        evaluation=response.json(),
        token=token,
        lang=lang,
        error=error,
    )


def _language(value: str | None) -> str:
    return value if value in ("fr", "en") else "fr"


@router.get("/company/evaluation/{token}")
async def company_evaluation_page(
    request: Request, token: str, lang: str | None = None
) -> Response:
    return await _evaluation_page(request, token, _language(lang))


@router.post("/company/evaluation/{token}")
async def company_evaluation_form(
    request: Request, token: str, lang: str | None = None
) -> Response:
    """Save or send the supervisor's evaluation from the page's form."""
    form = await request.form()
    linked = await _clients(request).request(
        "evaluations", "GET", f"/internal/company-evaluation/{token}", None
    )
    if linked.status_code != 200:
        return await _evaluation_page(request, token, _language(lang))
    definition = linked.json()["company_evaluation"]["definition"]
    answers: dict[str, object] = {}
    for question in definition["questions"]:
        values = [
            value
            for value in form.getlist(f"q.{question['id']}")
            if isinstance(value, str) and value.strip()
        ]
        if question["type"] == "multiple_choice":
            answers[question["id"]] = values
        elif values:
            answers[question["id"]] = values[0]
    submit = form.get("action") == "submit"
    method, suffix = ("POST", "/submit") if submit else ("PUT", "")
    saved = await _clients(request).request(
        "evaluations",
        method,
        f"/internal/company-evaluation/{token}{suffix}",
        None,
        json={"answers": answers},
    )
    language = _language(lang)
    if saved.status_code != 200:
        return await _evaluation_page(
            request, token, language, saved.json()["message"], 422
        )
    return await _evaluation_page(request, token, language)


@router.get("/mailbox")
async def mailbox_page(request: Request) -> Response:
    response = await _clients(request).request(
        "notifications", "GET", "/api/v1/dev/mailbox", None
    )
    if response.status_code != 200:
        return _render(
            request, "error.html", status_code=404, message="no mailbox here"
        )
    return _render(request, "mailbox.html", emails=response.json())
