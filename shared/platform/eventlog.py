"""The event log between services: an embedded SQLite log, or Apache Kafka.

Both keep records per topic in order, keyed by aggregate id, and let a named
consumer group read each topic from its committed offset. A handler is a plain
async function of an `EventEnvelope`, so the same handler runs on either log.
Delivery is at least once: a handler may see an event again after a crash,
so consumers record processed event ids (see `Consumer`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import structlog

from shared.events.base import EventEnvelope

Handler = Callable[[EventEnvelope], Awaitable[None]]
log = structlog.get_logger()


@runtime_checkable
class BatchHandler(Protocol):
    """A handler that also takes several records of one partition at once.

    `handle_batch` either handles every record or raises, so a log commits
    the batch's offsets only after it returned.
    """

    async def __call__(self, envelope: EventEnvelope) -> None: ...
    async def handle_batch(self, envelopes: Sequence[EventEnvelope]) -> None: ...


class PublishError(Exception):
    """A publish that failed after the log had stored `acknowledged` records.

    Those records are the batch's first ones, so a caller may treat them as
    published and send the rest again.
    """

    def __init__(self, acknowledged: int, message: str) -> None:
        super().__init__(message)
        self.acknowledged = acknowledged


class EventLog(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, topic: str, envelope: EventEnvelope) -> None: ...
    async def publish_batch(self, records: Sequence[tuple[str, EventEnvelope]]) -> None:
        """Publish (topic, event) records in order, or raise `PublishError`."""
        ...

    async def read_all(self, topic: str) -> list[EventEnvelope]:
        """Return every record of a topic, in log order per key."""
        ...

    async def consume(
        self,
        group: str,
        topics: Sequence[str],
        handler: Handler,
        from_start: bool = False,
    ) -> None:
        """Run `handler` on each record of `topics` until cancelled."""
        ...

    async def ready(self) -> bool:
        """Return whether records can be published and consumed now."""
        ...

    def consumer_lag(self, group: str, topics: Sequence[str]) -> dict[str, int]:
        """Return, per topic, the records that `group` has not handled yet.

        A topic whose lag is not known yet is left out.
        """
        ...


class EmbeddedLog:
    """An append-only log in one SQLite file, shared by every service in the process."""

    def __init__(self, path: Path, poll_seconds: float = 0.5) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None
        )
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA secure_delete=ON")
        self._connection.execute(
            """CREATE TABLE IF NOT EXISTS records (
                topic TEXT NOT NULL, offset INTEGER NOT NULL, key TEXT NOT NULL,
                value TEXT NOT NULL, PRIMARY KEY (topic, offset))"""
        )
        self._connection.execute(
            """CREATE TABLE IF NOT EXISTS group_offsets (
                consumer_group TEXT NOT NULL, topic TEXT NOT NULL,
                next_offset INTEGER NOT NULL, PRIMARY KEY (consumer_group, topic))"""
        )
        self._poll_seconds = poll_seconds
        self._published = asyncio.Condition()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ready(self) -> bool:
        return True

    async def publish(self, topic: str, envelope: EventEnvelope) -> None:
        self._connection.execute(
            """INSERT INTO records (topic, offset, key, value) VALUES (?,
               (SELECT COALESCE(MAX(offset) + 1, 0) FROM records WHERE topic = ?),
               ?, ?)""",
            (topic, topic, envelope.aggregate_id, envelope.model_dump_json()),
        )
        async with self._published:
            self._published.notify_all()

    async def publish_batch(self, records: Sequence[tuple[str, EventEnvelope]]) -> None:
        for published, (topic, envelope) in enumerate(records):
            try:
                await self.publish(topic, envelope)
            except sqlite3.Error as error:
                message = f"embedded log write failed: {error}"
                raise PublishError(published, message) from error

    async def read_all(self, topic: str) -> list[EventEnvelope]:
        rows = self._connection.execute(
            "SELECT value FROM records WHERE topic = ? ORDER BY offset", (topic,)
        ).fetchall()
        return [EventEnvelope.model_validate_json(value) for (value,) in rows]

    def _next_offset(self, group: str, topic: str) -> int:
        row = self._connection.execute(
            "SELECT next_offset FROM group_offsets "
            "WHERE consumer_group = ? AND topic = ?",
            (group, topic),
        ).fetchone()
        return int(row[0]) if row else 0

    def _commit(self, group: str, topic: str, next_offset: int) -> None:
        self._connection.execute(
            """INSERT INTO group_offsets (consumer_group, topic, next_offset)
               VALUES (?, ?, ?) ON CONFLICT (consumer_group, topic)
               DO UPDATE SET next_offset = excluded.next_offset""",
            (group, topic, next_offset),
        )

    async def consume(
        self,
        group: str,
        topics: Sequence[str],
        handler: Handler,
        from_start: bool = False,
    ) -> None:
        if from_start:
            for topic in topics:
                self._commit(group, topic, 0)
        while True:
            handled = 0
            for topic in topics:
                handled += await self._consume_batch(group, topic, handler)
            if handled == 0:
                async with self._published:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            self._published.wait(), self._poll_seconds
                        )

    async def _consume_batch(self, group: str, topic: str, handler: Handler) -> int:
        offset = self._next_offset(group, topic)
        rows = self._connection.execute(
            "SELECT offset, value FROM records WHERE topic = ? AND offset >= ? "
            "ORDER BY offset LIMIT 100",
            (topic, offset),
        ).fetchall()
        handled = offset
        try:
            for record_offset, value in rows:
                await handler(EventEnvelope.model_validate_json(value))
                handled = int(record_offset) + 1
        finally:
            # One offset write per batch, not per record: each write is a
            # commit of its own. A crash delivers the batch's handled records
            # again, which consumers skip by event id (at-least-once delivery).
            if handled > offset:
                self._commit(group, topic, handled)
        return len(rows)

    def end_offsets(self, topic: str) -> int:
        row = self._connection.execute(
            "SELECT COALESCE(MAX(offset) + 1, 0) FROM records WHERE topic = ?", (topic,)
        ).fetchone()
        return int(row[0])

    def lag(self, group: str, topics: Sequence[str]) -> int:
        return sum(self.end_offsets(t) - self._next_offset(group, t) for t in topics)

    def consumer_lag(self, group: str, topics: Sequence[str]) -> dict[str, int]:
        return {t: self.end_offsets(t) - self._next_offset(group, t) for t in topics}
