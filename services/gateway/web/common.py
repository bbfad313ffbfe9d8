"""Pages every visitor uses: home, sign-in and sign-out, language, mailbox."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.gateway.csrf import checked_form
from services.gateway.i18n import LANGUAGE_COOKIE, LANGUAGES
from services.gateway.session import DevLogin, sign_out, signed_in
from services.gateway.session import login as dev_login
from services.gateway.web.rendering import (
    api,
    error_message,
    flash,
    redirect,
    render,
    safe_next,
)
from services.gateway.web.student import student_home
from shared.platform.errors import CampusError, NotFoundError

router = APIRouter(include_in_schema=False)

# The page each role lands on after signing in.
HOME_OF_ROLE = {
    "tutor": "/tutor",
    "career_service": "/career",
    "admin": "/admin/programs",
}
ONE_YEAR = 365 * 24 * 3600


def signin_page(request: Request, next_path: str = "/") -> Response:
    settings = request.app.state.settings
    users = request.app.state.seed["users"] if settings.dev_login_enabled else []
    return render(request, "signin.html", users=users, next_path=next_path)


@router.get("/")
async def home(request: Request) -> Response:
    user = signed_in(request)
    if user is None:
        return signin_page(request)
    if user.role in HOME_OF_ROLE:
        return redirect(HOME_OF_ROLE[user.role])
    return await student_home(request, user)


@router.get("/signin")
def signin(request: Request, next: str | None = None) -> Response:
    return signin_page(request, safe_next(next))


@router.post("/login")
async def login_form(request: Request) -> Response:
    if not request.app.state.settings.dev_login_enabled:
        raise NotFoundError("the development login is off here: use single sign-on")
    form = await checked_form(request)
    email = form.get("email")
    try:
        dev_login(request, DevLogin(email=email if isinstance(email, str) else ""))
    except CampusError as error:
        flash(request, "error", error.message)
        return redirect("/signin")
    next_path = form.get("next")
    return redirect(safe_next(next_path if isinstance(next_path, str) else None))


@router.post("/logout")
async def logout_form(request: Request) -> Response:
    await checked_form(request)
    sign_out(request)
    return redirect("/")


@router.get("/language/{language}")
def choose_language(
    request: Request, language: str, next: str | None = None
) -> Response:
    """Remember the visitor's language in a cookie and go back to the page."""
    if language not in LANGUAGES:
        raise NotFoundError(
            f"no language {language!r}: choose one of {', '.join(LANGUAGES)}"
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=ONE_YEAR,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.public_url.startswith("https://"),
    )
    return response


@router.get("/mailbox")
async def mailbox_page(request: Request) -> Response:
    response = await api(request, "GET", "/dev/mailbox")
    if response.status_code != 200:
        raise NotFoundError(error_message(request, response))
    emails: list[dict[str, Any]] = response.json()
    return render(request, "mailbox.html", emails=emails)
