"""The event store of one service, with optimistic concurrency and an outbox.

Events are appended per aggregate with the version the command expects the
aggregate to be at. The unique key (aggregate_id, aggregate_version) turns a
concurrent append into `ConcurrencyError`. The `events` table is also the
transactional outbox: an event is committed with the state change it records,
and the relay publishes it from its global `position` afterwards. Appends made
by several threads at once share one commit (group commit), since on both
databases most of an append's time is its commit.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.events.base import DomainEvent, EventEnvelope, wrap
from shared.platform.db import Database, Transaction, ddl, schema_transaction
from shared.platform.errors import ConcurrencyError

if TYPE_CHECKING:
    from shared.platform.personal import Sealer

InlineProjection = Callable[[Transaction, Sequence[EventEnvelope]], None]

CONFLICT_MESSAGE = (
    "this mission was changed by someone else meanwhile: reload it and try again"
)
INSERT_EVENT = """INSERT INTO events (event_id, aggregate_type, aggregate_id,
    aggregate_version, event_type, envelope) VALUES (?, ?, ?, ?, ?, ?)"""
# The maximum number of appends that one transaction commits together; the
# others wait for the next commit.
MAX_GROUP_COMMIT = 64


def create_schema(database: Database) -> None:
    position = ddl(
        database,
        "position INTEGER PRIMARY KEY AUTOINCREMENT",
        "position BIGSERIAL PRIMARY KEY",
    )
    with schema_transaction(database) as tx:
        tx.execute(
            f"""CREATE TABLE IF NOT EXISTS events (
                {position},
                event_id TEXT NOT NULL UNIQUE,
                aggregate_type TEXT NOT NULL,
                aggregate_id TEXT NOT NULL,
                aggregate_version INTEGER NOT NULL,
                event_type TEXT NOT NULL,
                envelope TEXT NOT NULL,
                UNIQUE (aggregate_id, aggregate_version))"""
        )
        tx.execute(
            """CREATE TABLE IF NOT EXISTS outbox_cursor (
                name TEXT PRIMARY KEY, position BIGINT NOT NULL)"""
        )
        tx.execute(
            """CREATE TABLE IF NOT EXISTS processed_events (
                consumer TEXT NOT NULL, event_id TEXT NOT NULL,
                PRIMARY KEY (consumer, event_id))"""
        )


def _is_unique_violation(error: Exception) -> bool:
    text = str(error).lower()
    return "unique" in text or "duplicate key" in text


def _as_conflict(error: Exception) -> Exception:
    """Turn a unique violation on the events table into `ConcurrencyError`."""
    if isinstance(error, ConcurrencyError) or not _is_unique_violation(error):
        return error
    conflict = ConcurrencyError(CONFLICT_MESSAGE)
    conflict.__cause__ = error
    return conflict


def stored_row(envelope: EventEnvelope) -> tuple[Any, ...]:
    """Return an event's row of the `events` table, in the order of its columns."""
    return (
        envelope.event_id,
        envelope.aggregate_type,
        envelope.aggregate_id,
        envelope.aggregate_version,
        envelope.event_type,
        envelope.model_dump_json(),
    )


@dataclass
class _Append:
    """One call of `EventStore.append`, waiting in the group-commit queue."""

    aggregate_id: str
    expected_version: int
    stored: list[EventEnvelope]
    envelopes: Sequence[EventEnvelope]
    inline: InlineProjection | None
    done: bool = False
    error: Exception | None = None


class EventStore:
    """Events of one service; with a `sealer`, personal values are stored sealed.

    `append` seals, `load` unseals. `read_after` returns events as stored,
    sealed, for the relay to publish; `unseal` opens them for a reader.
    """

    def __init__(self, database: Database, sealer: Sealer | None = None) -> None:
        self.database = database
        self.sealer = sealer
        self._queue: list[_Append] = []
        self._committing = False
        self._changed = threading.Condition()
        create_schema(database)

    def unseal(self, envelopes: Sequence[EventEnvelope]) -> list[EventEnvelope]:
        """Return stored events with their personal values readable (or erased)."""
        if self.sealer is None:
            return list(envelopes)
        return self.sealer.unseal(envelopes)

    def _sealed(self, envelopes: Sequence[EventEnvelope]) -> list[EventEnvelope]:
        if self.sealer is None:
            return list(envelopes)
        return [self.sealer.seal(envelope) for envelope in envelopes]

    def append(
        self,
        aggregate_id: str,
        expected_version: int,
        envelopes: Sequence[EventEnvelope],
        inline: InlineProjection | None = None,
    ) -> None:
        """Append events after `expected_version`, or raise `ConcurrencyError`.

        `inline` runs in the same transaction, for projections that must be
        read back by the very next request. Appends that threads of this
        process make at the same moment share one transaction and one commit
        (group commit); each returns only once its events are committed.
        """
        # Sealing reads and writes the key store, a database of its own, so it
        # happens before the transaction; inline projections see clear values.
        pending = _Append(
            aggregate_id, expected_version, self._sealed(envelopes), envelopes, inline
        )
        with self._changed:
            self._queue.append(pending)
            # One thread at a time commits every append queued so far, its own
            # and those of threads that queued meanwhile. The others wait until
            # theirs is done, or until that commit ends and one of them can
            # commit the next group.
            while not pending.done:
                if self._committing:
                    self._changed.wait()
                    continue
                self._committing = True
                batch = self._queue[:MAX_GROUP_COMMIT]
                del self._queue[:MAX_GROUP_COMMIT]
                self._changed.release()
                try:
                    self._commit_batch(batch)
                finally:
                    self._changed.acquire()
                    self._committing = False
                    self._changed.notify_all()
        if pending.error is not None:
            raise pending.error

    def _commit_batch(self, batch: list[_Append]) -> None:
        try:
            self._commit_group(batch)
        finally:
            for pending in batch:
                if not pending.done:
                    # Interrupted before its outcome was known: its caller
                    # must not take it for committed.
                    pending.error = RuntimeError("the append was interrupted")
                    pending.done = True

    def _commit_group(self, batch: list[_Append]) -> None:
        if len(batch) > 1:
            try:
                self._write(batch)
            except Exception:
                # Something other than a version conflict (a projection error,
                # an event id seen twice) rolled the whole group back: each
                # append is retried alone, so that only the failing one fails.
                for pending in batch:
                    pending.error = None
            else:
                for pending in batch:
                    pending.done = True
                return
        for pending in batch:
            try:
                self._write([pending])
            except Exception as error:
                pending.error = _as_conflict(error)
            pending.done = True

    def _write(self, batch: Sequence[_Append]) -> None:
        """Write a group of appends in one transaction, or none of them.

        An append whose expected version is stale gets its `ConcurrencyError`
        and is left out; it fails for good only if the transaction commits.
        """
        with self.database.transaction() as tx:
            self._lock_appends(tx)
            versions = self._versions(tx, {p.aggregate_id for p in batch})
            accepted = []
            for pending in batch:
                current = versions.get(pending.aggregate_id, 0)
                if current != pending.expected_version:
                    pending.error = ConcurrencyError(CONFLICT_MESSAGE)
                    continue
                versions[pending.aggregate_id] = current + len(pending.stored)
                accepted.append(pending)
            rows = [stored_row(envelope) for p in accepted for envelope in p.stored]
            if rows:
                tx.executemany(INSERT_EVENT, rows)
            for pending in accepted:
                if pending.inline is not None:
                    pending.inline(tx, pending.envelopes)

    def _lock_appends(self, tx: Transaction) -> None:
        # PostgreSQL hands out BIGSERIAL positions before commit, so two
        # concurrent appends could commit out of order and the relay would
        # skip the lower position. One advisory lock per transaction keeps
        # commit order equal to position order. SQLite already has one writer.
        if self.database.dialect == "postgresql":
            tx.execute("SELECT pg_advisory_xact_lock(7262001)")

    @staticmethod
    def _versions(tx: Transaction, aggregate_ids: set[str]) -> dict[str, int]:
        """Return the current version of each aggregate that has events."""
        ids = sorted(aggregate_ids)
        marks = ", ".join("?" * len(ids))
        rows = tx.fetchall(
            "SELECT aggregate_id, MAX(aggregate_version) AS version FROM events "
            f"WHERE aggregate_id IN ({marks}) GROUP BY aggregate_id",
            ids,
        )
        return {str(row["aggregate_id"]): int(row["version"]) for row in rows}

    def load(self, aggregate_id: str) -> list[EventEnvelope]:
        with self.database.read() as tx:
            rows = tx.fetchall(
                "SELECT envelope FROM events WHERE aggregate_id = ? "
                "ORDER BY aggregate_version",
                (aggregate_id,),
            )
        return self.unseal(
            [EventEnvelope.model_validate_json(row["envelope"]) for row in rows]
        )

    def read_after(
        self, position: int, limit: int = 200
    ) -> list[tuple[int, EventEnvelope]]:
        """Return up to `limit` events after a global position, oldest first.

        Events come as stored, with personal values sealed.
        """
        with self.database.read() as tx:
            return read_after(tx, position, limit)

    def read_after_unsealed(
        self, position: int, limit: int = 200
    ) -> list[tuple[int, EventEnvelope]]:
        """Return up to `limit` events after a global position, values in clear.

        The same events as `read_after` then `unseal`, opened in their JSON
        text before it is parsed, which is how a rebuild reads the log.
        """
        with self.database.read() as tx:
            rows = tx.fetchall(
                "SELECT position, envelope FROM events WHERE position > ? "
                "ORDER BY position LIMIT ?",
                (position, limit),
            )
        texts = [str(row["envelope"]) for row in rows]
        if self.sealer is not None:
            from shared.platform.personal import open_texts

            texts = open_texts(self.sealer.keys, texts)
        return [
            (int(row["position"]), EventEnvelope.model_validate_json(text))
            for row, text in zip(rows, texts, strict=True)
        ]

    def seal_stored(self, batch: int = 500) -> int:
        """Seal in place the plain personal values of events stored before sealing.

        This rewrites stored events, the one exception to their being never
        edited; copies already published to the log keep their plain values.
        Return how many events were rewritten.
        """
        if self.sealer is None:
            return 0
        position, rewritten = 0, 0
        while stored := self.read_after(position, limit=batch):
            for row_position, envelope in stored:
                sealed = self.sealer.seal(envelope)
                if sealed == envelope:
                    continue
                with self.database.transaction() as tx:
                    tx.execute(
                        "UPDATE events SET envelope = ? WHERE position = ?",
                        (sealed.model_dump_json(), row_position),
                    )
                rewritten += 1
            position = stored[-1][0]
        if rewritten:
            self.database.reclaim(["events"])
        return rewritten

    def cursor(self, name: str) -> int:
        with self.database.read() as tx:
            return read_cursor(tx, name)

    def move_cursor(self, name: str, position: int) -> None:
        with self.database.transaction() as tx:
            move_cursor(tx, name, position)


def read_after(
    tx: Transaction, position: int, limit: int
) -> list[tuple[int, EventEnvelope]]:
    """Return up to `limit` stored events after a global position, oldest first."""
    rows = tx.fetchall(
        "SELECT position, envelope FROM events WHERE position > ? "
        "ORDER BY position LIMIT ?",
        (position, limit),
    )
    return [
        (int(row["position"]), EventEnvelope.model_validate_json(row["envelope"]))
        for row in rows
    ]


def read_cursor(tx: Transaction, name: str) -> int:
    row = tx.fetchone("SELECT position FROM outbox_cursor WHERE name = ?", (name,))
    return int(row["position"]) if row else 0


def move_cursor(tx: Transaction, name: str, position: int) -> None:
    tx.execute(
        "INSERT INTO outbox_cursor (name, position) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
        (name, position),
    )


def start_aggregate_once(
    store: EventStore,
    aggregate_id: str,
    event: DomainEvent | Sequence[DomainEvent],
    cause: EventEnvelope,
    inline: InlineProjection,
) -> bool:
    """Append the first events of an aggregate that one event causes, at most once.

    Return False when an earlier delivery of `cause` already appended them, so
    a replayed event starts nothing twice.
    """
    events = [event] if isinstance(event, DomainEvent) else list(event)
    now = dt.datetime.now(dt.UTC)
    envelopes = [
        wrap(
            item,
            aggregate_id=aggregate_id,
            aggregate_version=number,
            actor=None,
            occurred_at=now,
            correlation_id=cause.correlation_id,
            causation_id=cause.event_id,
        )
        for number, item in enumerate(events, start=1)
    ]
    try:
        store.append(aggregate_id, 0, envelopes, inline)
    except ConcurrencyError:
        return False
    return True


def mark_processed(tx: Transaction, consumer: str, event_id: str) -> bool:
    """Record that `consumer` handled an event; False when it already had."""
    inserted = tx.execute(
        "INSERT INTO processed_events (consumer, event_id) VALUES (?, ?) "
        "ON CONFLICT DO NOTHING",
        (consumer, event_id),
    )
    return inserted == 1


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
