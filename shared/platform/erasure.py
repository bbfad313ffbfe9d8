"""How a service follows an erasure: scrub, rebuild its read models, reclaim.

The missions service destroys a person's keys and records `PersonErased` on
`campus.people.v1`. Every other service follows it with `ErasureFollower`:
it first scrubs what it keeps outside events (files, sent emails), then
rebuilds its read models from the events, whose personal values of that
person now read as erased, and finally has its database drop the old copies
of the changed rows (`Database.reclaim`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import structlog

from shared.events.base import EventEnvelope, decode
from shared.events.catalogue import TOPICS
from shared.events.people import PersonErased
from shared.platform.db import Database
from shared.platform.eventstore import EventStore
from shared.platform.projection import Projection
from shared.platform.runtime import ServiceRuntime, Subscription

log = structlog.get_logger()

Scrub = Callable[[PersonErased], None]


def rebuild_and_reclaim(
    store: EventStore, projections: Sequence[Projection], tables: Sequence[str] = ()
) -> None:
    """Rebuild read models kept from the service's own store, then reclaim."""
    for projection in projections:
        projection.rebuild_from_store(store)
    reclaim(store, [*(p.table for p in projections), *tables])


def reclaim(store: EventStore, tables: Sequence[str]) -> None:
    """Have the database drop old copies of rows; log, not raise, a failure.

    The erasure itself is done by then, so a failure here leaves old bytes
    in the files until the next reclaim, and an operator must know.
    """
    reclaim_database(store.database, tables)


def reclaim_database(database: Database, tables: Sequence[str]) -> None:
    try:
        database.reclaim(sorted(set(tables)))
    except Exception:
        log.exception("person.reclaim_failed", tables=sorted(set(tables)))


class ErasureFollower:
    """A service's consumer of `PersonErased`."""

    def __init__(
        self, service: str, scrub: Scrub | None = None, tables: Sequence[str] = ()
    ) -> None:
        self.service = service
        self._scrub = scrub
        self._tables = list(tables)
        self.runtime: ServiceRuntime | None = None

    def subscription(self) -> Subscription:
        return Subscription(
            group=f"campus.{self.service}.people",
            topics=[TOPICS["person"]],
            handler=self.handle,
        )

    async def handle(self, envelope: EventEnvelope) -> None:
        if envelope.event_type != "PersonErased" or self.runtime is None:
            return
        erased = decode(envelope)
        assert isinstance(erased, PersonErased)
        if self._scrub is not None:
            await asyncio.to_thread(self._scrub, erased)
        counts = await self.runtime.rebuild_projections()
        tables = [*counts, *self._tables]
        await asyncio.to_thread(reclaim, self.runtime.store, tables)
        log.info(
            "person.erasure_followed",
            service=self.service,
            people=len(erased.person_ids),
            missions=len(erased.missions),
        )
