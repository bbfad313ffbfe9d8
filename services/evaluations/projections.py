"""The evaluations read model: one row per mission's file, from its events."""

from __future__ import annotations

from collections.abc import Sequence

from services.evaluations.domain import EvaluationFile, evolve
from shared.events.base import EventEnvelope
from shared.platform.db import Database, Transaction, schema_transaction
from shared.platform.projection import Projection

TABLE = "evaluation_view"


def create_schema(database: Database) -> None:
    with schema_transaction(database) as tx:
        tx.execute(
            f"""CREATE TABLE IF NOT EXISTS {TABLE} (
                mission_id TEXT PRIMARY KEY,
                program_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                document TEXT NOT NULL)"""
        )


def load(tx: Transaction, mission_id: str) -> EvaluationFile | None:
    row = tx.fetchone(
        f"SELECT document FROM {TABLE} WHERE mission_id = ?", (mission_id,)
    )
    return EvaluationFile.model_validate_json(row["document"]) if row else None


def apply(tx: Transaction, envelopes: Sequence[EventEnvelope]) -> None:
    """Apply events in order; an event the row already has changes nothing."""
    for envelope in envelopes:
        if envelope.aggregate_type != "evaluation":
            continue
        mission_id = envelope.aggregate_id.removeprefix("evaluation-")
        file = load(tx, mission_id) or EvaluationFile(id=envelope.aggregate_id)
        if envelope.aggregate_version <= file.version:
            continue
        file = evolve(file, envelope)
        tx.execute(
            f"""INSERT INTO {TABLE} (mission_id, program_id, version, document)
                VALUES (?, ?, ?, ?) ON CONFLICT (mission_id) DO UPDATE SET
                program_id = excluded.program_id, version = excluded.version,
                document = excluded.document""",
            (mission_id, file.program_id, file.version, file.model_dump_json()),
        )


def all_files(database: Database, program_id: str | None) -> list[EvaluationFile]:
    where, params = ("WHERE program_id = ?", [program_id]) if program_id else ("", [])
    with database.transaction() as tx:
        rows = tx.fetchall(
            f"SELECT document FROM {TABLE} {where} ORDER BY mission_id", params
        )
    return [EvaluationFile.model_validate_json(row["document"]) for row in rows]


PROJECTION = Projection(table=TABLE, key="mission_id", project=apply)
