"""Errors on pages come out as pages; errors under /api stay JSON."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.gateway.i18n import N_
from services.gateway.web.rendering import SignInRequired, redirect, render, translate
from shared.platform.errors import CampusError

MACHINE_PREFIXES = ("/api/", "/health/", "/metrics", "/static/")

TITLES = {
    403: N_("You cannot open this page"),
    404: N_("Page not found"),
    409: N_("This cannot be done now"),
    410: N_("This link no longer works"),
}


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(MACHINE_PREFIXES)


def install_page_errors(app: FastAPI) -> None:
    """Wrap the JSON error handlers so that a page's error is an HTML page."""
    json_campus = app.exception_handlers[CampusError]
    json_http = app.exception_handlers[StarletteHTTPException]

    async def campus_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, CampusError)
        if not is_page(request):
            return await json_campus(request, error)  # type: ignore[misc, no-any-return]
        if isinstance(error, SignInRequired):
            return redirect(f"/signin?next={request.url.path}")
        title = TITLES.get(error.status)
        return render(
            request,
            "error.html",
            status_code=error.status,
            with_forms=False,
            title=translate(request, title) if title else None,
            message=error.message,
        )

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if not is_page(request):
            return await json_http(request, error)  # type: ignore[misc, no-any-return]
        title = TITLES.get(error.status_code)
        return render(
            request,
            "error.html",
            status_code=error.status_code,
            with_forms=False,
            title=translate(request, title) if title else None,
            message=translate(
                request, "Check the address, or go back to the home page."
            ),
        )

    app.add_exception_handler(CampusError, campus_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
