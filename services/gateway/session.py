"""The signed-in user, found from the session cookie, and the development login."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.sessions import SessionStore
from shared.platform.actors import Actor
from shared.platform.errors import NotAuthenticatedError, NotFoundError

dev_router = APIRouter(prefix="/api/v1/dev", tags=["development login"])


def signed_in(request: Request) -> Actor | None:
    session_id = request.session.get("sid")
    if not isinstance(session_id, str):
        return None
    sessions: SessionStore = request.app.state.sessions
    return sessions.actor(session_id)


def sign_in(request: Request, actor: Actor) -> None:
    sign_out(request)
    sessions: SessionStore = request.app.state.sessions
    request.session["sid"] = sessions.open(actor)


def sign_out(request: Request) -> None:
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        sessions: SessionStore = request.app.state.sessions
        sessions.revoke(session_id)
    request.session.clear()


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
        raise NotFoundError(
            "the development login is off here; it serves the embedded mode and "
            "tests (CAMPUS_DEV_LOGIN), never production"
        )
    users: list[dict[str, Any]] = request.app.state.seed["users"]
    return users


class DevLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=320)


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
    sign_in(request, actor)
    return {"email": actor.email, "name": actor.name, "role": actor.role}


@dev_router.post("/logout", status_code=204)
def logout(request: Request) -> None:
    sign_out(request)
