"""The missions service's read model: one row per mission, from its events.

The same `apply` runs inline when events are appended and when the table is
rebuilt from the event store, and it ignores an event whose version the row
already has, so applying an event twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from services.missions.domain import Mission, evolve
from shared.events.base import EventEnvelope
from shared.platform.db import Database, Transaction, ddl, schema_transaction
from shared.platform.projection import Projection

TABLE = "mission_view"


def create_schema(database: Database) -> None:
    with schema_transaction(database) as tx:
        tx.execute(
            f"""CREATE TABLE IF NOT EXISTS {TABLE} (
                id TEXT PRIMARY KEY,
                student_email TEXT NOT NULL,
                program_id TEXT NOT NULL,
                status TEXT NOT NULL,
                tutor_email TEXT,
                version INTEGER NOT NULL,
                document TEXT NOT NULL,
                changed_at TEXT NOT NULL DEFAULT '')"""
        )
        _add_changed_at(database, tx)
        # Figures read a student's other missions for each mission shown, and
        # students and tutors list their own: without these indexes each of
        # those reads scans the whole table.
        tx.execute(
            f"CREATE INDEX IF NOT EXISTS {TABLE}_student ON {TABLE} (student_email)"
        )
        tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_tutor ON {TABLE} (tutor_email)")
        # Lists come newest change first, a page at a time.
        tx.execute(
            f"CREATE INDEX IF NOT EXISTS {TABLE}_changed ON {TABLE} (changed_at, id)"
        )
        tx.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_status ON {TABLE} (status)")


def _add_changed_at(database: Database, tx: Transaction) -> None:
    """Give a read model written before lists were paged its `changed_at` column."""
    columns = tx.fetchall(
        ddl(
            database,
            f"SELECT name FROM pragma_table_info('{TABLE}')",
            "SELECT column_name AS name FROM information_schema.columns "
            f"WHERE table_name = '{TABLE}' AND table_schema = current_schema()",
        )
    )
    if "changed_at" in {row["name"] for row in columns}:
        return
    tx.execute(f"ALTER TABLE {TABLE} ADD COLUMN changed_at TEXT NOT NULL DEFAULT ''")
    for row in tx.fetchall(f"SELECT document FROM {TABLE}"):
        mission = Mission.model_validate_json(row["document"])
        tx.execute(
            f"UPDATE {TABLE} SET changed_at = ? WHERE id = ?",
            (changed_at(mission), mission.id),
        )


def changed_at(mission: Mission) -> str:
    """Format the time of the last change as text that sorts in time order."""
    moment = mission.updated_at or mission.created_at
    return moment.astimezone(dt.UTC).isoformat() if moment else ""


def load(tx: Transaction, mission_id: str) -> Mission | None:
    row = tx.fetchone(f"SELECT document FROM {TABLE} WHERE id = ?", (mission_id,))
    return Mission.model_validate_json(row["document"]) if row else None


def apply(tx: Transaction, envelopes: Sequence[EventEnvelope]) -> None:
    # A rebuild passes batches of hundreds of events, often several of one
    # mission: each mission is read and written once per batch, not per event.
    changed: dict[str, Mission] = {}
    for envelope in envelopes:
        if envelope.aggregate_type != "mission":
            continue
        mission = (
            changed.get(envelope.aggregate_id)
            or load(tx, envelope.aggregate_id)
            or Mission(id=envelope.aggregate_id)
        )
        if envelope.aggregate_version <= mission.version:
            continue
        changed[envelope.aggregate_id] = evolve(mission, envelope)
    for mission in changed.values():
        _save(tx, mission)


def _save(tx: Transaction, mission: Mission) -> None:
    tx.execute(
        f"""INSERT INTO {TABLE} (id, student_email, program_id, status, tutor_email,
            version, document, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET student_email = excluded.student_email,
            program_id = excluded.program_id, status = excluded.status,
            tutor_email = excluded.tutor_email, version = excluded.version,
            document = excluded.document, changed_at = excluded.changed_at""",
        (
            mission.id,
            mission.student_email,
            mission.program_id,
            mission.status,
            mission.tutor_email,
            mission.version,
            mission.model_dump_json(),
            changed_at(mission),
        ),
    )


def tutor_loads(
    tx: Transaction, program_id: str, emails: Sequence[str]
) -> dict[str, int]:
    """Count, per tutor, the program's missions they follow that are not cancelled."""
    loads = dict.fromkeys(emails, 0)
    rows = tx.fetchall(
        f"SELECT tutor_email, COUNT(*) AS n FROM {TABLE} "
        "WHERE program_id = ? AND tutor_email IS NOT NULL AND status <> 'cancelled' "
        "GROUP BY tutor_email",
        (program_id,),
    )
    for row in rows:
        if row["tutor_email"] in loads:
            loads[row["tutor_email"]] = int(row["n"])
    return loads


PROJECTION = Projection(table=TABLE, key="id", project=apply)
