"""Guards in front of the gateway's routes: cross-site requests and guessing.

`CrossSiteGuard` rejects a change to the JSON API that a browser sends from
another site, so that a page elsewhere cannot act with a signed-in user's
cookie. `AttemptLimit` slows down whoever guesses: failed development
sign-ins and invalid or expired company links, counted per client address.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import FastAPI
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.platform.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sec-Fetch-Site values of a request that no other site started.
OWN_SITE = frozenset({"same-origin", "none"})


def origin_of(url: str) -> str:
    """Return the scheme, host and port of a URL, as browsers send in Origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def _send_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = json.dumps({"code": code, "message": message, "field": None}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class CrossSiteGuard:
    """Return 403 for a browser's unsafe request to /api/v1 from another site.

    Browsers send `Sec-Fetch-Site` with every request and `Origin` with every
    cross-origin POST, PUT, PATCH and DELETE. A request that has neither
    comes from a script or a command-line client, which carries no victim's
    cookie unless its author put one there, so it passes.
    """

    def __init__(self, app: ASGIApp, public_url: str) -> None:
        self.app = app
        self.public_origin = origin_of(public_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in SAFE_METHODS
            or not scope["path"].startswith("/api/v1/")
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        fetch_site = headers.get(b"sec-fetch-site", b"").decode("latin-1").lower()
        origin = headers.get(b"origin", b"").decode("latin-1").lower()
        if self._allowed(fetch_site, origin):
            await self.app(scope, receive, send)
            return
        await _send_error(
            send,
            403,
            "cross_site_request",
            f"this request came from another site ({origin or fetch_site}); "
            f"Campus accepts changes only from its own pages at "
            f"{self.public_origin}, or from clients that send no Origin header",
        )

    def _allowed(self, fetch_site: str, origin: str) -> bool:
        if fetch_site in OWN_SITE:
            return True
        if origin:
            return origin == self.public_origin
        return not fetch_site


@dataclass(frozen=True)
class GuardedRoutes:
    """Requests whose failures count towards one limit per client address."""

    name: str
    matches: Callable[[str, str], bool]
    failures: frozenset[int]
    limit: RateLimitItem
    message: str


def _is_sign_in(method: str, path: str) -> bool:
    return method == "POST" and path in ("/api/v1/dev/login", "/login")


def _is_company_link(method: str, path: str) -> bool:
    return path.startswith(("/api/v1/company/", "/company/"))


class AttemptLimit:
    """Return 429 with Retry-After once an address failed too often.

    Only failures count: a company contact who opens a valid link all day,
    or a user who signs in often, is never slowed down. Counts are kept in
    this process's memory, so each gateway replica counts on its own.
    """

    def __init__(self, app: ASGIApp, routes: list[GuardedRoutes]) -> None:
        self.app = app
        self.routes = routes
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = self._guarded(scope)
        if guarded is None:
            await self.app(scope, receive, send)
            return
        address = (scope.get("client") or ("unknown", 0))[0]
        if not self.limiter.test(guarded.limit, guarded.name, address):
            await self._reject(send, guarded, address)
            return
        status = 0

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watching_send)
        if status in guarded.failures:
            self.limiter.hit(guarded.limit, guarded.name, address)

    def _guarded(self, scope: Scope) -> GuardedRoutes | None:
        if scope["type"] != "http":
            return None
        for routes in self.routes:
            if routes.matches(scope["method"], scope["path"]):
                return routes
        return None

    async def _reject(self, send: Send, guarded: GuardedRoutes, address: str) -> None:
        stats = self.limiter.get_window_stats(guarded.limit, guarded.name, address)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        await _send_error(
            send,
            429,
            "too_many_attempts",
            f"{guarded.message}; try again in {retry_after} seconds",
            [(b"retry-after", str(retry_after).encode())],
        )


def install_guards(app: FastAPI, settings: Settings) -> None:
    """Add the guards to the gateway, outside its session and body limit."""
    routes = [
        GuardedRoutes(
            "sign_in",
            _is_sign_in,
            frozenset({401, 404, 422}),
            parse(settings.sign_in_rate_limit),
            "too many failed sign-ins from this address",
        ),
        GuardedRoutes(
            "company_link",
            _is_company_link,
            # 401: a link invalid, expired or for another purpose; 404: a
            # malformed link, or a file id that its mission does not have.
            frozenset({401, 404}),
            parse(settings.link_rate_limit),
            "too many invalid or expired links from this address",
        ),
    ]
    app.add_middleware(AttemptLimit, routes=routes)
    app.add_middleware(CrossSiteGuard, public_url=settings.public_url)
