"""Helpers of every page handler: rendering, calls to the public API, messages.

Pages act through the gateway's own public API, called in process with the
visitor's cookie, so a page can do exactly what the API lets its user do and
nothing more.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from services.gateway.csrf import csrf_token
from services.gateway.i18n import LANGUAGES, gettext, page_environment, page_language
from services.gateway.session import signed_in
from services.gateway.web.labels import (
    EVENT_NAMES,
    FILE_KINDS,
    ROLE_NAMES,
    STATUS_NAMES,
)
from shared.events.labels import FIELD_LABELS, SECTION_TITLES
from shared.platform.actors import Actor
from shared.platform.errors import CampusError, ForbiddenError

FLASH_KEY = "flash"


def render(
    request: Request,
    name: str,
    *,
    status_code: int = 200,
    language: str | None = None,
    with_forms: bool = True,
    **context: Any,
) -> HTMLResponse:
    """Render `gateway/NAME` in the page's language with the layout's context.

    `with_forms=False` leaves the CSRF token out, so that a page without
    forms (an error shown to a visitor) opens no session.
    """
    user = signed_in(request)
    chosen = language or page_language(request, user.language if user else None)
    template = page_environment(chosen).get_template(f"gateway/{name}")
    html = template.render(
        user=user,
        lang=chosen,
        languages=LANGUAGES,
        dev_login=request.app.state.settings.dev_login_enabled,
        oidc=request.app.state.settings.oidc_enabled,
        csrf_token=csrf_token(request) if with_forms or user else "",
        here=_here(request),
        flashes=request.session.pop(FLASH_KEY, []),
        status_names=STATUS_NAMES,
        event_names=EVENT_NAMES,
        role_names=ROLE_NAMES,
        file_kinds=FILE_KINDS,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def _here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return quote(f"{request.url.path}{query}", safe="/?=&")


def flash(request: Request, kind: str, message: str) -> None:
    """Keep a translated message for the next page shown to this visitor."""
    messages = request.session.setdefault(FLASH_KEY, [])
    messages.append({"kind": kind, "text": message})
    request.session[FLASH_KEY] = messages


def flash_outcome(request: Request, response: httpx.Response, done: str) -> None:
    """Flash `done` (a catalog id) after a success, or the API's error."""
    if response.is_success:
        flash(request, "info", translate(request, done))
    else:
        flash(request, "error", error_message(request, response))


def translate(request: Request, message: str) -> str:
    user = signed_in(request)
    return gettext(page_language(request, user.language if user else None), message)


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def safe_next(path: str | None) -> str:
    """Keep a return address only when it is a path of this site."""
    # A browser follows "//host" and "/\\host" to another site.
    if path and path.startswith("/") and not path.startswith(("//", "/\\")):
        return path
    return "/"


async def api(
    request: Request, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    """Call the gateway's public API, under /api/v1, as the visitor."""
    client: httpx.AsyncClient | None = getattr(request.app.state, "self_client", None)
    if client is None:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=request.app),
            base_url="http://gateway",
            timeout=60,
        )
        request.app.state.self_client = client
    headers = {"cookie": request.headers.get("cookie", "")}
    return await client.request(method, f"/api/v1{path}", headers=headers, **kwargs)


def error_message(request: Request, response: httpx.Response) -> str:
    """Turn an API error into a sentence for the page: the field's label, then why."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    lead = translate(request, "The request failed.")
    message = body.get("message") if isinstance(body, dict) else None
    field = body.get("field") if isinstance(body, dict) else None
    parts = [lead]
    if field:
        parts.append(f"{field_label(request, field)}:")
    if message:
        text = str(message)
        if field:
            text = text.removeprefix(f"{field}: ")
        parts.append(text.removeprefix("Value error, "))
    return " ".join(parts)


def field_label(request: Request, field: str) -> str:
    """Name a `section.field` path in the page's language."""
    user = signed_in(request)
    language = page_language(request, user.language if user else None)
    section, _, name = field.partition(".")
    label = FIELD_LABELS[language].get(section, {}).get(name)
    title = SECTION_TITLES[language].get(section)
    if label and title:
        return f"{title} — {label}"
    return title or field


class SignInRequired(CampusError):
    """Raised by a page that needs a signed-in visitor; it leads to the sign-in page."""

    status = 401
    code = "not_authenticated"


def page_user(request: Request, *roles: str) -> Actor:
    """Return the signed-in visitor, whose role must be one of `roles` if given."""
    user = signed_in(request)
    if user is None:
        raise SignInRequired("sign in to open this page")
    if roles and user.role not in roles:
        raise ForbiddenError(translate(request, "This page is not for your role."))
    return user
