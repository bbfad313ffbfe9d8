"""The acting user, whom the gateway signs into a request header.

Services trust only a header signed with the shared secret, so a request that
reaches a service directly cannot claim to be someone else.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Header, Request
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel

from shared.platform.errors import ForbiddenError, NotAuthenticatedError

ACTOR_HEADER = "X-Campus-Actor"
# "company" is the supervisor acting through an emailed link, never a sign-in.
Role = Literal["student", "tutor", "career_service", "admin", "company"]


class Actor(BaseModel):
    email: str
    name: str
    role: Role
    language: Literal["fr", "en"] = "fr"


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="campus.actor")


def sign_actor(actor: Actor, secret: str) -> str:
    return _serializer(secret).dumps(actor.model_dump())


def read_actor(token: str, secret: str) -> Actor:
    try:
        return Actor.model_validate(_serializer(secret).loads(token))
    except BadSignature as error:
        raise NotAuthenticatedError(
            "the actor header has an invalid signature"
        ) from error


def current_actor(
    request: Request,
    x_campus_actor: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Actor:
    if not x_campus_actor:
        raise NotAuthenticatedError(
            "sign in first: POST /api/v1/dev/login or single sign-on"
        )
    secret: str = request.app.state.settings.secret_key
    return read_actor(x_campus_actor, secret)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        allowed = " or ".join(roles)
        raise ForbiddenError(
            f"this action needs the role {allowed}; you are signed in as {actor.role}"
        )
