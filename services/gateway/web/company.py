"""The company contact's pages, reached from an emailed link without an account."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.csrf import checked_form
from services.gateway.i18n import page_language
from services.gateway.web.answers import answers_from
from services.gateway.web.rendering import api, error_message, redirect, render
from shared.events.labels import FIELD_LABELS, SECTION_TITLES
from shared.platform.errors import CampusError

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
# Fields the company page leaves to the API: lists of dated periods and days.
STRUCTURED_FIELDS = {"periods", "interruptions", "working_days", "holidays_worked"}


class LinkError(CampusError):
    """An API refusal of the link, shown as a page in the same status."""


async def _linked_mission(request: Request, token: str) -> dict[str, Any]:
    response = await api(request, "GET", f"/company/{token}/mission")
    if response.status_code != 200:
        error = LinkError(error_message(request, response))
        error.status = response.status_code
        raise error
    mission: dict[str, Any] = response.json()
    return mission


async def _company_page(
    request: Request, token: str, error: str | None = None, status_code: int = 200
) -> Response:
    mission = await _linked_mission(request, token)
    language = page_language(request, mission["language"])
    return render(
        request,
        "company.html",
        status_code=status_code,
        language=language,
        mission=mission,
        token=token,
        error=error,
        sections=COMPANY_SECTIONS,
        titles=SECTION_TITLES[language],
        labels={
            name: {
                field: label
                for field, label in FIELD_LABELS[language][name].items()
                if field not in STRUCTURED_FIELDS
            }
            for name in COMPANY_SECTIONS
        },
        long_fields=LONG_FIELDS,
    )


@router.get("/company/{token}")
async def company_page(request: Request, token: str) -> Response:
    return await _company_page(request, token)


@router.post("/company/{token}")
async def company_form(request: Request, token: str) -> Response:
    """Save the company's fields, section by section, then validate if asked."""
    form = await checked_form(request)
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
        saved = await api(
            request, "PUT", f"/company/{token}/sections/{section}", json=fields
        )
        if saved.status_code != 200:
            return await _company_page(
                request, token, error_message(request, saved), 422
            )
    if form.get("action") != "validate":
        return redirect(f"/company/{token}")
    validated = await api(request, "POST", f"/company/{token}/validate")
    if validated.status_code != 200:
        return await _company_page(
            request, token, error_message(request, validated), 422
        )
    mission = validated.json()
    return render(
        request,
        "company_done.html",
        language=page_language(request, mission["language"]),
        mission=mission,
    )


async def _evaluation_page(
    request: Request, token: str, error: str | None = None, status: int = 200
) -> Response:
    response = await api(request, "GET", f"/company/evaluation/{token}")
    if response.status_code != 200:
        failure = LinkError(error_message(request, response))
        failure.status = response.status_code
        raise failure
    evaluation = response.json()
    return render(
        request,
        "company_evaluation.html",
        status_code=status,
        language=page_language(request, evaluation.get("language")),
        evaluation=evaluation,
        token=token,
        error=error,
    )


@router.get("/company/evaluation/{token}")
async def company_evaluation_page(request: Request, token: str) -> Response:
    return await _evaluation_page(request, token)


@router.post("/company/evaluation/{token}")
async def company_evaluation_form(request: Request, token: str) -> Response:
    """Save or send the supervisor's evaluation from the page's form."""
    form = await checked_form(request)
    linked = await api(request, "GET", f"/company/evaluation/{token}")
    if linked.status_code != 200:
        return await _evaluation_page(request, token)
    definition = linked.json()["company_evaluation"]["definition"]
    answers = answers_from(form, definition)
    submit = form.get("action") == "submit"
    method, suffix = ("POST", "/submit") if submit else ("PUT", "")
    saved = await api(
        request,
        method,
        f"/company/evaluation/{token}{suffix}",
        json={"answers": answers},
    )
    if saved.status_code != 200:
        return await _evaluation_page(
            request, token, error_message(request, saved), 422
        )
    return redirect(f"/company/evaluation/{token}")
