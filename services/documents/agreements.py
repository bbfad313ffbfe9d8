"""The agreement is generated once per approved mission and kept as a file."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import structlog

from services.documents import workers
from services.documents.rendering import render_agreement
from services.documents.storage import Storage
from shared.events.base import EventEnvelope
from shared.events.documents import AgreementGenerated
from shared.platform.db import Database, Transaction, schema_transaction
from shared.platform.eventstore import EventStore, start_aggregate_once
from shared.platform.projection import Projection

log = structlog.get_logger()
KIND = "agreements"


def create_schema(database: Database) -> None:
    with schema_transaction(database) as tx:
        tx.execute(
            """CREATE TABLE IF NOT EXISTS agreements (
                mission_id TEXT PRIMARY KEY, sha256 TEXT NOT NULL,
                size INTEGER NOT NULL, generated_at TEXT NOT NULL)"""
        )


def project(tx: Transaction, envelopes: Sequence[EventEnvelope]) -> None:
    for envelope in envelopes:
        if envelope.event_type != "AgreementGenerated":
            continue
        tx.execute(
            "INSERT INTO agreements (mission_id, sha256, size, generated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (mission_id) DO NOTHING",
            (
                envelope.data["mission_id"],
                envelope.data["sha256"],
                envelope.data["size"],
                envelope.occurred_at.isoformat(),
            ),
        )


PROJECTION = Projection(table="agreements", key="mission_id", project=project)


def exists(database: Database, mission_id: str) -> bool:
    with database.transaction() as tx:
        row = tx.fetchone(
            "SELECT 1 AS found FROM agreements WHERE mission_id = ?", (mission_id,)
        )
    return row is not None


class AgreementGenerator:
    def __init__(
        self,
        store: EventStore,
        storage: Storage,
        on_append: object,
        logo: Path | None = None,
    ) -> None:
        self._store = store
        self._storage = storage
        self._on_append = on_append
        self._logo = logo

    async def handle(self, envelope: EventEnvelope) -> None:
        """Generate the agreement of an approved mission, once."""
        if envelope.event_type != "MissionApproved":
            return
        mission_id = envelope.aggregate_id
        if await asyncio.to_thread(exists, self._store.database, mission_id):
            return
        pdf = await workers.render(
            render_agreement, envelope.data["mission"], self._logo
        )
        sha256 = await asyncio.to_thread(self._storage.write, KIND, mission_id, pdf)
        generated = AgreementGenerated(
            mission_id=mission_id, sha256=sha256, size=len(pdf)
        )
        appended = await asyncio.to_thread(
            start_aggregate_once,
            self._store,
            f"agreement-{mission_id}",
            generated,
            envelope,
            project,
        )
        if not appended:
            return
        if callable(self._on_append):
            self._on_append()
        log.info("agreement.generated", mission_id=mission_id, size=len(pdf))
