"""Single sign-on with the school's OpenID provider: the authorization code flow.

`/signin/oidc` sends the visitor to the provider with PKCE (S256), a state
and a nonce, which authlib keeps in the signed session cookie. The callback
exchanges the code, checks the ID token (signature against the provider's
JWKS, issuer, audience, expiry, nonce) and opens a Campus session for the
email, name and role that the token carries. Tokens are never logged.
"""

from __future__ import annotations

from typing import Any

import httpx
import structlog
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, Request
from fastapi.responses import Response
from joserfc.errors import JoseError
from pydantic import ValidationError

from services.gateway.i18n import LANGUAGES, N_, page_language
from services.gateway.session import sign_in, sign_out
from services.gateway.web.rendering import redirect, render, safe_next, translate
from shared.platform.actors import Actor
from shared.platform.settings import Settings

router = APIRouter(include_in_schema=False)
log = structlog.get_logger()

CLIENT_NAME = "school"
SCOPES = "openid email profile"
CALLBACK_PATH = "/signin/oidc/callback"
# Roles a school account may carry; "company" is reserved to emailed links.
SIGN_IN_ROLES = ("student", "tutor", "career_service", "admin")
NEXT_KEY = "oidc_next"
# Seconds of clock difference tolerated on the ID token's exp and iat.
CLOCK_LEEWAY = 120
PROVIDER_TIMEOUT_SECONDS = 10

# Each failure: HTTP status, page title, explanation.
FAILURES: dict[str, tuple[int, str, str]] = {
    "disabled": (
        404,
        N_("Single sign-on is not set up"),
        N_("This Campus has no single sign-on. Use the sign-in page."),
    ),
    "access_denied": (
        403,
        N_("Sign-in cancelled"),
        N_(
            "The school's sign-in page did not let you in, or you cancelled. "
            "Try again; if your school account is blocked, ask your school's IT "
            "service."
        ),
    ),
    "state": (
        400,
        N_("Sign-in could not be checked"),
        N_(
            "This answer from the school's sign-in page does not match a sign-in "
            "started in this browser, or it came too late. Start again from the "
            "sign-in page."
        ),
    ),
    "unreachable": (
        502,
        N_("School sign-in unavailable"),
        N_(
            "Campus could not reach the school's sign-in service. Try again in a "
            "few minutes; if it goes on, tell the career service."
        ),
    ),
    "provider_error": (
        502,
        N_("Single sign-on failed"),
        N_(
            "The school's sign-in service returned an error. Try again in a few "
            "minutes; if it goes on, tell the career service."
        ),
    ),
    "invalid_token": (
        502,
        N_("Single sign-on failed"),
        N_(
            "Campus could not verify the identity that the school's sign-in "
            "service sent, so it did not sign you in. Tell the career service."
        ),
    ),
    "no_email": (
        403,
        N_("Your school account has no email address"),
        N_(
            "Campus knows people by their email address, and your school account "
            "sent none. Ask your school's IT service to add it to your account."
        ),
    ),
}


def oidc_client(request: Request) -> Any:
    """Return the app's authlib client, created on first use.

    authlib reads the discovery document on the first sign-in and keeps it,
    and fetches the JWKS again when a token names an unknown key id.
    """
    client = getattr(request.app.state, "oidc_client", None)
    if client is not None:
        return client
    settings: Settings = request.app.state.settings
    assert settings.oidc_issuer and settings.oidc_client_id
    secret = settings.oidc_client_secret
    oauth = OAuth()
    client = oauth.register(
        name=CLIENT_NAME,
        client_id=settings.oidc_client_id,
        client_secret=secret.get_secret_value() if secret else None,
        server_metadata_url=(
            f"{settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration"
        ),
        client_kwargs={
            "scope": SCOPES,
            "code_challenge_method": "S256",
            "timeout": PROVIDER_TIMEOUT_SECONDS,
        },
    )
    request.app.state.oidc_client = client
    return client


def local_path(path: str | None) -> str:
    """Keep `next` only when it is a path of this site; "/" otherwise.

    Browsers read a backslash as a slash, so "/\\host" leaves the site too.
    """
    if path and ("\\" in path or any(ord(c) < 0x20 for c in path)):
        return "/"
    return safe_next(path)


def failure_page(
    request: Request, kind: str, *, error: str, detail: str | None = None
) -> Response:
    """Log a failed sign-in with the error (never a token) and show why."""
    status, title, message = FAILURES[kind]
    log.warning("oidc.signin_failed", reason=kind, error=error, detail=detail)
    return render(
        request,
        "oidc/failed.html",
        status_code=status,
        title=translate(request, title),
        message=translate(request, message),
    )


def _language(claims: dict[str, Any]) -> str | None:
    locale = claims.get("locale")
    if not isinstance(locale, str):
        return None
    language = locale.replace("_", "-").split("-")[0].lower()
    return language if language in LANGUAGES else None


def _text_claim(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) else ""


def _display_name(claims: dict[str, Any], email: str) -> str:
    name = _text_claim(claims, "name")
    if name:
        return name
    parts = [_text_claim(claims, "given_name"), _text_claim(claims, "family_name")]
    return " ".join(part for part in parts if part) or email


async def _claims(
    client: Any, token: dict[str, Any], role_claim: str
) -> dict[str, Any]:
    """Return the ID token's claims, completed from the userinfo endpoint when
    the token lacks the email, the name or the role, as some providers do."""
    claims: dict[str, Any] = dict(token["userinfo"])
    if all(claims.get(name) for name in ("email", "name", role_claim)):
        return claims
    metadata = await client.load_server_metadata()
    if not metadata.get("userinfo_endpoint"):
        return claims
    userinfo = dict(await client.userinfo(token=token))
    # OpenID Connect Core 5.3.2: userinfo about another subject must be ignored.
    if userinfo.get("sub") != claims.get("sub"):
        log.warning(
            "oidc.userinfo_ignored",
            reason="sub differs from the ID token",
            sub=claims.get("sub"),
        )
        return claims
    return {**userinfo, **{k: v for k, v in claims.items() if v}}


@router.get("/signin/oidc")
async def start_signin(request: Request, next: str | None = None) -> Response:
    settings: Settings = request.app.state.settings
    if not settings.oidc_enabled:
        return failure_page(request, "disabled", error="oidc_not_configured")
    client = oidc_client(request)
    request.session[NEXT_KEY] = local_path(next)
    redirect_uri = f"{settings.public_url.rstrip('/')}{CALLBACK_PATH}"
    try:
        response: Response = await client.authorize_redirect(
            request, redirect_uri, ui_locales=page_language(request)
        )
    except httpx.HTTPStatusError as error:
        return failure_page(
            request,
            "provider_error",
            error=f"http_{error.response.status_code}",
            detail=str(error.request.url),
        )
    except httpx.HTTPError as error:
        return failure_page(
            request, "unreachable", error=type(error).__name__, detail=str(error)
        )
    except (OAuthError, RuntimeError, ValueError) as error:
        return failure_page(
            request, "provider_error", error=type(error).__name__, detail=str(error)
        )
    return response


@router.get(CALLBACK_PATH)
async def finish_signin(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not settings.oidc_enabled:
        return failure_page(request, "disabled", error="oidc_not_configured")
    assert settings.oidc_issuer and settings.oidc_client_id
    client = oidc_client(request)
    try:
        metadata = await client.load_server_metadata()
        issuer = metadata.get("issuer")
        if issuer is None or issuer.rstrip("/") != settings.oidc_issuer.rstrip("/"):
            return failure_page(
                request,
                "provider_error",
                error="issuer_mismatch",
                detail=f"discovery names {issuer!r}, CAMPUS_OIDC_ISSUER is "
                f"{settings.oidc_issuer!r}",
            )
        token = await client.authorize_access_token(
            request,
            leeway=CLOCK_LEEWAY,
            claims_options={
                "iss": {"essential": True, "value": issuer},
                "aud": {"essential": True, "value": settings.oidc_client_id},
                "sub": {"essential": True},
                "exp": {"essential": True},
                "iat": {"essential": True},
            },
        )
        if "userinfo" not in token:
            return failure_page(
                request, "invalid_token", error="missing_id_token", detail=None
            )
        claims = await _claims(client, token, settings.oidc_role_claim)
    except OAuthError as error:
        kind = {"access_denied": "access_denied", "mismatching_state": "state"}.get(
            error.error, "provider_error"
        )
        return failure_page(request, kind, error=error.error, detail=error.description)
    except JoseError as error:
        return failure_page(
            request, "invalid_token", error=error.error, detail=error.description
        )
    except httpx.HTTPStatusError as error:
        return failure_page(
            request,
            "provider_error",
            error=f"http_{error.response.status_code}",
            detail=str(error.request.url),
        )
    except httpx.HTTPError as error:
        return failure_page(
            request, "unreachable", error=type(error).__name__, detail=str(error)
        )
    return _sign_in_with(request, settings, claims)


def _sign_in_with(
    request: Request, settings: Settings, claims: dict[str, Any]
) -> Response:
    email = _text_claim(claims, "email").lower()
    language = _language(claims)
    if not email:
        sign_out(request)
        return failure_page(request, "no_email", error="missing_email_claim")
    role = claims.get(settings.oidc_role_claim)
    if role not in SIGN_IN_ROLES:
        # A different person completed a sign-in here: end any earlier session.
        sign_out(request)
        log.warning(
            "oidc.signin_refused",
            email=email,
            claim=settings.oidc_role_claim,
            value=role if isinstance(role, str) else None,
        )
        return render(
            request,
            "oidc/no_role.html",
            status_code=403,
            language=page_language(request, language),
            email=email,
            claim=settings.oidc_role_claim,
            role_value=role if isinstance(role, str) and role else None,
            roles=SIGN_IN_ROLES,
            contact=settings.career_service_email,
        )
    next_path = request.session.get(NEXT_KEY)
    try:
        actor = Actor(
            email=email,
            name=_display_name(claims, email),
            role=role,
            language=language or page_language(request),
        )
    except ValidationError as error:
        return failure_page(
            request, "invalid_token", error="invalid_claims", detail=str(error)
        )
    sign_in(request, actor)
    log.info("oidc.signed_in", email=actor.email, role=actor.role)
    return redirect(local_path(next_path if isinstance(next_path, str) else None))
