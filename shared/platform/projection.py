"""Read models that can be dropped and rebuilt from the events they came from."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shared.events.base import EventEnvelope
from shared.platform.db import Database, Transaction
from shared.platform.eventstore import EventStore

Project = Callable[[Transaction, Sequence[EventEnvelope]], None]
# Events per transaction of a rebuild: a mission met several times in one
# batch is read and written once.
REBUILD_BATCH = 2_000


@dataclass(frozen=True)
class Projection:
    """A table built by `project`, from the service's own store or from the log."""

    table: str
    key: str
    project: Project
    source: str = "store"  # "store" or a topic name of the event log

    def clear(self, database: Database) -> None:
        with database.transaction() as tx:
            tx.execute(f"DELETE FROM {self.table}")

    def rebuild_from_store(self, store: EventStore) -> int:
        self.clear(store.database)
        position, count = 0, 0
        while batch := store.read_after_unsealed(position, limit=REBUILD_BATCH):
            with store.database.transaction() as tx:
                self.project(tx, [envelope for _, envelope in batch])
            position = batch[-1][0]
            count += len(batch)
        return count

    def rebuild_from_records(
        self, database: Database, records: Iterable[EventEnvelope]
    ) -> int:
        self.clear(database)
        envelopes = list(records)
        with database.transaction() as tx:
            self.project(tx, envelopes)
        return len(envelopes)

    def snapshot(self, database: Database) -> list[dict[str, Any]]:
        with database.transaction() as tx:
            return tx.fetchall(f"SELECT * FROM {self.table} ORDER BY {self.key}")
