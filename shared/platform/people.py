"""Each service's share of a person's export: `/internal/people/export`.

The gateway asks every service and puts the answers in one document. A
service gives the events of its store that hold values sealed with one of
the person's keys (in clear, as the person may read them) and whatever its
`extra` function adds from its read models and files.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from shared.events.base import EventEnvelope
from shared.platform.actors import Actor, CurrentActor
from shared.platform.errors import ForbiddenError
from shared.platform.eventstore import EventStore
from shared.platform.personal import KeyStore, normalise_email

EmailQuery = Annotated[
    str,
    Query(
        min_length=3,
        max_length=320,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="The person's email address, for example "
        "elodie.dupre@etu.ecole-campus.fr.",
    ),
]


@dataclass(frozen=True)
class Person:
    """Whom an export or erasure is about: an email, its keys and missions."""

    email: str
    person_ids: list[str]
    emails: list[str]
    missions: dict[str, list[str]]


def find_person(keys: KeyStore, email: str) -> Person:
    person_ids = keys.people_for_email(email)
    emails = sorted({normalise_email(email), *keys.emails_of(person_ids)})
    return Person(
        email=normalise_email(email),
        person_ids=person_ids,
        emails=emails,
        missions=keys.missions_of(person_ids),
    )


def require_export_right(actor: Actor, email: str) -> None:
    """The career service and admins export anyone; a person exports themselves."""
    if actor.role in ("career_service", "admin"):
        return
    if normalise_email(actor.email) == normalise_email(email):
        return
    raise ForbiddenError(
        "only the career service, an admin or the person themselves can export "
        "a person's data",
        field="email",
    )


def events_of(store: EventStore, person: Person) -> list[dict[str, Any]]:
    """Return, readable, the stored events that hold values of the person."""
    if not person.person_ids:
        return []
    clauses = " OR ".join("envelope LIKE ?" for _ in person.person_ids)
    with store.database.transaction() as tx:
        rows = tx.fetchall(
            f"SELECT envelope FROM events WHERE {clauses} ORDER BY position",
            tuple(f"%pd1:{person_id}:%" for person_id in person.person_ids),
        )
    envelopes = store.unseal(
        [EventEnvelope.model_validate_json(row["envelope"]) for row in rows]
    )
    return [envelope.model_dump(mode="json") for envelope in envelopes]


Extra = Callable[[Request, Person], dict[str, Any]]


def people_router(extra: Extra | None = None) -> APIRouter:
    router = APIRouter(prefix="/internal/people")

    @router.get("/export")
    async def export(
        request: Request, actor: CurrentActor, email: EmailQuery
    ) -> dict[str, Any]:
        require_export_right(actor, email)
        store: EventStore = request.app.state.store
        assert store.sealer is not None
        keys = store.sealer.keys

        def collect() -> dict[str, Any]:
            person = find_person(keys, email)
            share: dict[str, Any] = {"events": events_of(store, person)}
            if extra is not None:
                share.update(extra(request, person))
            return share

        return await asyncio.to_thread(collect)

    return router
