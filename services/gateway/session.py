"""The signed-in user, kept in the session cookie, and the development login."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from shared.platform.actors import Actor
from shared.platform.errors import NotAuthenticatedError, NotFoundError

dev_router = APIRouter(prefix="/api/v1/dev", tags=["development login"])


def signed_in(request: Request) -> Actor | None:
    user = request.session.get("user")
    return Actor.model_validate(user) if user else None


def require_signed_in(request: Request) -> Actor:
    actor = signed_in(request)
    if actor is None:
        raise NotAuthenticatedError(
            "sign in first: POST /api/v1/dev/login in the embedded mode, "
            "or single sign-on"
        )
    return actor


def _seeded_users(request: Request) -> list[dict[str, Any]]:
    if not request.app.state.settings.dev_login_enabled:
        raise NotFoundError("the development login exists only in the embedded mode")
    users: list[dict[str, Any]] = request.app.state.seed["users"]
    return users


class DevLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str


@dev_router.get("/users")
def list_users(request: Request) -> list[dict[str, str]]:
    return [
        {"email": u["email"], "name": u["name"], "role": u["role"]}
        for u in _seeded_users(request)
    ]


@dev_router.post("/login")
def login(request: Request, body: DevLogin) -> dict[str, str]:
    users = {u["email"].lower(): u for u in _seeded_users(request)}
    user = users.get(body.email.strip().lower())
    if user is None:
        raise NotFoundError(
            f"no seeded account {body.email!r}; GET /api/v1/dev/users lists them",
            field="email",
        )
    actor = Actor.model_validate(user)
    request.session.clear()
    request.session["user"] = actor.model_dump()
    return {"email": actor.email, "name": actor.name, "role": actor.role}


@dev_router.post("/logout", status_code=204)
def logout(request: Request) -> None:
    request.session.clear()
