"""A test double of a school's identity provider: a small OpenID provider.

It replaces the school's single sign-on (Keycloak, Entra ID, Shibboleth
with OIDC), which cannot run here. It serves what Campus uses of OpenID
Connect Core 1.0 with the authorization code flow:

- `/.well-known/openid-configuration`, the discovery document;
- `/authorize`, a login page where the test types one of the configured
  usernames (no password), then a redirect back with `code` and `state`, or
  `error=access_denied` when the person cancels;
- `/token`, which checks the client secret (HTTP Basic or form), the
  redirect URI and the PKCE verifier (S256 only) and returns an ID token
  signed with RS256 by an RSA key made at start;
- `/jwks` (the public key) and `/userinfo` (the user's claims, for the
  access token).

Codes work once, for 60 seconds. Tests can break the provider on purpose
through `id_token_changes`, `signing_key` and `token_error`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.harness.processes import free_port

CODE_SECONDS = 60
ID_TOKEN_SECONDS = 300
# Claims each scope releases (OpenID Connect Core 1.0, section 5.4).
SCOPE_CLAIMS = {
    "email": ("email", "email_verified"),
    "profile": ("name", "given_name", "family_name", "locale"),
}
AUTHORIZE_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)


@dataclass
class ProviderUser:
    """An account at the provider: its username and the claims it releases.

    Claims outside the standard scopes (such as a role claim) are always put
    in the ID token, as school providers do with a mapper. `userinfo_claims`
    are served by the userinfo endpoint only, as some providers do.
    """

    username: str
    claims: dict[str, Any]
    userinfo_claims: dict[str, Any] = field(default_factory=dict)


@dataclass
class RegisteredClient:
    client_id: str
    client_secret: str
    redirect_uris: set[str] = field(default_factory=set)


@dataclass
class IssuedCode:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    scopes: list[str]
    user: ProviderUser
    expires_at: float


class OpenIDProvider:
    """The provider, served by uvicorn on 127.0.0.1 in a thread of the test."""

    def __init__(self, users: list[ProviderUser]) -> None:
        self.users = {user.username: user for user in users}
        self.clients: dict[str, RegisteredClient] = {}
        self.key_id = secrets.token_hex(8)
        self.key = RSAKey.generate_key(
            2048, parameters={"kid": self.key_id, "use": "sig"}
        )
        # Set by tests to break the ID token or the token endpoint.
        self.signing_key: RSAKey | None = None
        self.id_token_changes: dict[str, Any] = {}
        self.token_error: str | None = None
        self._codes: dict[str, IssuedCode] = {}
        self._access_tokens: dict[str, ProviderUser] = {}
        self._lock = threading.Lock()
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def register_client(self, client_id: str, secret: str, redirect_uri: str) -> None:
        client = self.clients.setdefault(client_id, RegisteredClient(client_id, secret))
        client.client_secret = secret
        client.redirect_uris.add(redirect_uri)

    def issued_access_tokens(self) -> list[str]:
        with self._lock:
            return list(self._access_tokens)

    def start(self) -> None:
        app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/authorize", self.authorize, methods=["GET", "POST"]),
                Route("/token", self.token, methods=["POST"]),
                Route("/jwks", self.jwks),
                Route("/userinfo", self.userinfo, methods=["GET", "POST"]),
            ]
        )
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(
                    f"the test OpenID provider did not start on {self.port}"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    # Endpoints

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "code_challenge_methods_supported": ["S256"],
                "grant_types_supported": ["authorization_code"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        public = self.key.as_dict(private=False)
        return JSONResponse({"keys": [{**public, "alg": "RS256"}]})

    async def authorize(self, request: Request) -> Response:
        if request.method == "GET":
            params = dict(request.query_params)
        else:
            params = {key: str(value) for key, value in (await request.form()).items()}
        client = self.clients.get(params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri", "")
        # An unknown client or redirect URI gets an error page, never a redirect
        # (RFC 6749, section 4.1.2.1).
        if client is None:
            return _error_page("unknown client_id", 400)
        if redirect_uri not in client.redirect_uris:
            return _error_page(f"redirect_uri {redirect_uri!r} is not registered", 400)

        problem = _authorization_problem(params)
        if problem:
            return _redirect(
                redirect_uri,
                error="invalid_request",
                error_description=problem,
                state=params.get("state"),
            )
        if request.method == "GET":
            return _login_page(params, message=None)
        if params.get("action") == "cancel":
            return _redirect(
                redirect_uri, error="access_denied", state=params.get("state")
            )

        user = self.users.get(params.get("username", "").strip())
        if user is None:
            return _login_page(params, message="Unknown username.", status=401)

        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = IssuedCode(
                client_id=client.client_id,
                redirect_uri=redirect_uri,
                code_challenge=params["code_challenge"],
                nonce=params.get("nonce"),
                scopes=params["scope"].split(),
                user=user,
                expires_at=time.time() + CODE_SECONDS,
            )
        return _redirect(redirect_uri, code=code, state=params.get("state"))

    async def token(self, request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        client = self._authenticated_client(request, form)
        if client is None:
            return _token_error("invalid_client", "client authentication failed", 401)
        if self.token_error:
            return _token_error(self.token_error, "refused by the test", 400)
        if form.get("grant_type") != "authorization_code":
            return _token_error("unsupported_grant_type", "only authorization_code")

        with self._lock:
            issued = self._codes.pop(form.get("code", ""), None)
        if issued is None or issued.expires_at < time.time():
            return _token_error("invalid_grant", "unknown, used or expired code")
        if issued.client_id != client.client_id:
            return _token_error("invalid_grant", "the code belongs to another client")
        if form.get("redirect_uri") != issued.redirect_uri:
            return _token_error("invalid_grant", "redirect_uri differs")
        verifier = form.get("code_verifier", "")
        if not verifier or _s256(verifier) != issued.code_challenge:
            return _token_error("invalid_grant", "PKCE code_verifier does not match")

        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens[access_token] = issued.user
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": ID_TOKEN_SECONDS,
                "scope": " ".join(issued.scopes),
                "id_token": self._id_token(issued, client.client_id),
            },
            headers={"Cache-Control": "no-store"},
        )

    async def userinfo(self, request: Request) -> Response:
        scheme, _, access_token = request.headers.get("authorization", "").partition(
            " "
        )
        user = self._access_tokens.get(access_token) if scheme == "Bearer" else None
        if user is None:
            return JSONResponse(
                {"error": "invalid_token"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return JSONResponse(
            {"sub": user.username, **user.claims, **user.userinfo_claims}
        )

    # Helpers

    def _authenticated_client(
        self, request: Request, form: dict[str, str]
    ) -> RegisteredClient | None:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme == "Basic":
            decoded = base64.b64decode(credentials).decode()
            client_id, _, secret = decoded.partition(":")
        else:
            client_id = form.get("client_id", "")
            secret = form.get("client_secret", "")
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.client_secret, secret):
            return None
        return client

    def _id_token(self, issued: IssuedCode, client_id: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": issued.user.username,
            **_released(issued.user.claims, issued.scopes),
            "iss": self.issuer,
            "aud": client_id,
            "iat": now,
            "auth_time": now,
            "exp": now + ID_TOKEN_SECONDS,
        }
        if issued.nonce:
            claims["nonce"] = issued.nonce
        claims.update(self.id_token_changes)
        key = self.signing_key or self.key
        header = {"alg": "RS256", "kid": self.key_id, "typ": "JWT"}
        return jwt.encode(header, claims, key)


def _released(claims: dict[str, Any], scopes: list[str]) -> dict[str, Any]:
    """Keep the claims that the granted scopes release, and every other claim."""
    scoped = {name for names in SCOPE_CLAIMS.values() for name in names}
    granted = {name for scope in scopes for name in SCOPE_CLAIMS.get(scope, ())}
    return {
        name: value
        for name, value in claims.items()
        if name not in scoped or name in granted
    }


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _authorization_problem(params: dict[str, str]) -> str | None:
    if params.get("response_type") != "code":
        return "response_type must be code"
    if "openid" not in params.get("scope", "").split():
        return "scope must include openid"
    if (
        not params.get("code_challenge")
        or params.get("code_challenge_method") != "S256"
    ):
        return "PKCE with code_challenge_method S256 is required"
    if not params.get("state"):
        return "state is required"
    return None


def _redirect(redirect_uri: str, **params: str | None) -> Response:
    query = urlencode({key: value for key, value in params.items() if value})
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{query}", status_code=303)


def _token_error(error: str, description: str, status: int = 400) -> Response:
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status
    )


def _error_page(message: str, status: int) -> Response:
    return HTMLResponse(
        f"<!doctype html><title>Error</title><p>{html.escape(message)}</p>",
        status_code=status,
    )


def _login_page(
    params: dict[str, str], message: str | None, status: int = 200
) -> Response:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
        for name in AUTHORIZE_FIELDS
        if name in params
    )
    notice = f'<p role="alert">{html.escape(message)}</p>' if message else ""
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>School sign-in (test)</title></head>
<body><main><h1>School sign-in (test double)</h1>{notice}
<form method="post" action="/authorize">{hidden}
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username">
<button type="submit" name="action" value="sign-in">Sign in</button>
<button type="submit" name="action" value="cancel">Cancel</button>
</form></main></body></html>""",
        status_code=status,
    )
