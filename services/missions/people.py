"""Erasing a person, and the missions service's share of a person's export.

Erasure destroys the person's keys, records `PersonErased` for the other
services, and rebuilds `mission_view` at once, so the next read of a mission
already shows the person's values as erased. The missions retention job
erases in the same way the students and supervisors of past years.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from services.missions import projections
from services.missions.application import MissionCommands
from services.missions.domain import Mission
from shared.events.base import wrap
from shared.events.people import PersonErased
from shared.platform.actors import Actor, CurrentActor, require_role
from shared.platform.erasure import rebuild_and_reclaim, reclaim_database
from shared.platform.errors import NotFoundError
from shared.platform.observability import current_request_id
from shared.platform.people import Person, people_router
from shared.platform.personal import KeyStore
from shared.platform.retention import Apply, cutoff

router = APIRouter(prefix="/internal/people")


class EraseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(
        min_length=3,
        max_length=320,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="The email address of the person to erase.",
    )


def erase_person(commands: MissionCommands, actor: Actor, email: str) -> dict[str, Any]:
    """Destroy the keys the email points to and record `PersonErased`."""
    require_role(actor, "career_service", "admin")
    keys = _keys(commands)
    person_ids = keys.people_for_email(email)
    if not person_ids:
        raise NotFoundError(
            "Campus holds no personal data under this email (or it was erased "
            "already); check the address",
            field="email",
        )
    return erase_people(commands, person_ids, actor.email)


def _keys(commands: MissionCommands) -> KeyStore:
    assert commands.store.sealer is not None, "erasure needs the key store"
    return commands.store.sealer.keys


def erase_people(
    commands: MissionCommands, person_ids: list[str], actor_email: str | None
) -> dict[str, Any]:
    """Destroy these people's keys, record `PersonErased`, rebuild `mission_view`."""
    store = commands.store
    keys = _keys(commands)
    erasure = keys.erase_people(person_ids)
    erased = PersonErased(person_ids=erasure.person_ids, missions=erasure.missions)
    envelope = wrap(
        erased,
        aggregate_id=f"erasure-{uuid.uuid4()}",
        aggregate_version=1,
        actor=actor_email,
        occurred_at=dt.datetime.now(dt.UTC),
        correlation_id=current_request_id() or str(uuid.uuid4()),
    )
    store.append(envelope.aggregate_id, 0, [envelope])
    commands.notify_append()
    rebuild_and_reclaim(store, [projections.PROJECTION])
    reclaim_database(keys.database, ["person_keys", "person_emails"])
    return {
        "erased": True,
        "people": len(erasure.person_ids),
        "missions": sorted(erasure.missions),
        "erased_at": envelope.occurred_at.isoformat(),
    }


# Roles whose people the missions retention erases. Tutors are the school's
# staff, whose data follows the school's own rules for its employees.
RETAINED_ROLES = ("student", "supervisor")


def expire_missions(commands: MissionCommands, days: int) -> Apply:
    """Erase students and supervisors whose every mission ended `days` ago."""

    def apply(now: dt.datetime) -> int:
        limit = cutoff(now, days)
        if limit is None:
            return 0
        with commands.store.database.transaction() as tx:
            rows = tx.fetchall(f"SELECT document FROM {projections.TABLE}")
        past: list[str] = []
        current: list[str] = []
        for row in rows:
            mission = Mission.model_validate_json(row["document"])
            moment = mission.updated_at or mission.created_at or now
            last_day = mission.end_date or moment.date()
            (past if last_day < limit.date() else current).append(mission.id)
        keys = _keys(commands)
        expired = keys.people_of_missions(past, RETAINED_ROLES) - (
            keys.people_of_missions(current, (*RETAINED_ROLES, "tutor"))
        )
        if not expired:
            return 0
        erase_people(commands, sorted(expired), None)
        return len(expired)

    return apply


@router.post("/erase")
async def erase(
    request: Request, actor: CurrentActor, body: EraseRequest
) -> dict[str, Any]:
    commands: MissionCommands = request.app.state.commands
    return await asyncio.to_thread(erase_person, commands, actor, body.email)


def _export_extra(request: Request, person: Person) -> dict[str, Any]:
    store = request.app.state.store
    if not person.missions:
        return {"missions": []}
    marks = ", ".join("?" * len(person.missions))
    with store.database.transaction() as tx:
        rows = tx.fetchall(
            f"SELECT document FROM {projections.TABLE} WHERE id IN ({marks}) "
            "ORDER BY id",
            tuple(person.missions),
        )
    return {
        "roles": person.missions,
        "missions": [json.loads(row["document"]) for row in rows],
    }


export_router = people_router(_export_extra)
