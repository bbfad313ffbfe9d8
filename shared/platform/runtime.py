"""The background work of a service beside its HTTP routes: relay and consumers.

A `ServiceRuntime` contains one service's event store, its FastAPI app and its
background tasks. The embedded runner starts all of them in one process; the
distributed runner starts one per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from fastapi import FastAPI

from shared.events.base import EventEnvelope
from shared.events.catalogue import topic_for
from shared.platform.db import Database, Transaction
from shared.platform.eventlog import BatchHandler, EventLog, Handler, PublishError
from shared.platform.eventstore import (
    EventStore,
    mark_processed,
    move_cursor,
    read_after,
    read_cursor,
)
from shared.platform.observability import ServiceFigures, event_context, watch_service
from shared.platform.projection import Projection

log = structlog.get_logger()


class OutboxRelay:
    """Publish committed events from the store's outbox to the log, in order.

    The cursor moves only past events the log acknowledged, so a crash or a
    failed send publishes the rest again (at least once, never skipped).
    """

    cursor_name = "relay"
    # Events read per round. They are sent together and share produce requests.
    batch_size = 200

    def __init__(
        self,
        store: EventStore,
        event_log: EventLog,
        service: str,
        database: Database | None = None,
    ) -> None:
        self._store = store
        # A connection pool of its own keeps the relay from waiting behind
        # every request for a connection of the store's pool.
        self._database = database if database is not None else store.database
        self._log = event_log
        self._service = service
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """Wake the relay after an append; safe to call from any thread."""
        loop = getattr(self, "_loop", None)
        if loop is not None:
            loop.call_soon_threadsafe(self._wake.set)

    async def publish_pending(self) -> int:
        """Publish every event after the cursor; return how many were published."""
        batch = await asyncio.to_thread(self._read_pending)
        published = 0
        while batch:
            records = [(topic_for(e.aggregate_type), e) for _, e in batch]
            try:
                await self._log.publish_batch(records)
            except PublishError as error:
                if error.acknowledged:
                    acknowledged = batch[error.acknowledged - 1][0]
                    await asyncio.to_thread(self._advance, acknowledged, read=False)
                raise
            published += len(batch)
            batch = await asyncio.to_thread(self._advance, batch[-1][0])
        return published

    def _read_pending(self) -> list[tuple[int, EventEnvelope]]:
        with self._database.transaction() as tx:
            position = read_cursor(tx, self.cursor_name)
            return read_after(tx, position, self.batch_size)

    def _advance(
        self, position: int, read: bool = True
    ) -> list[tuple[int, EventEnvelope]]:
        """Move the cursor to `position` and return the next batch after it."""
        with self._database.transaction() as tx:
            move_cursor(tx, self.cursor_name, position)
            return read_after(tx, position, self.batch_size) if read else []

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        failures = RepeatedFailures(self._service)
        while True:
            # Cleared before reading, so an append that commits during a
            # round wakes the next round instead of waiting for the timeout.
            self._wake.clear()
            try:
                await self.publish_pending()
            except Exception:
                failures.failed()
                await asyncio.sleep(1)
            else:
                failures.succeeded()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)


class RepeatedFailures:
    """Log a relay's first failure in full, then one line per `interval` seconds.

    The relay retries every second while Kafka is down, and a traceback a
    second would bury every other line.
    """

    def __init__(self, service: str, interval: float = 30) -> None:
        self._service = service
        self._interval = interval
        self._count = 0
        self._first = 0.0
        self._logged = 0.0

    def failed(self) -> None:
        now = time.monotonic()
        self._count += 1
        if self._count == 1:
            self._first = self._logged = now
            log.exception("outbox.publish_failed", service=self._service)
        elif now - self._logged >= self._interval:
            self._logged = now
            log.warning(
                "outbox.publish_still_failing",
                service=self._service,
                attempts=self._count,
                seconds=round(now - self._first),
            )

    def succeeded(self) -> None:
        if self._count:
            log.info(
                "outbox.publish_resumed", service=self._service, attempts=self._count
            )
        self._count = 0


@dataclass
class Subscription:
    group: str
    topics: Sequence[str]
    handler: Handler


@dataclass
class ServiceRuntime:
    name: str
    app: FastAPI
    store: EventStore
    relay: OutboxRelay
    event_log: EventLog
    subscriptions: list[Subscription] = field(default_factory=list)
    extra_tasks: list[Callable[[], Coroutine[Any, Any, None]]] = field(
        default_factory=list
    )
    projections: list[Projection] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # `/health/ready` checks the event log that the app finds here, and
        # the app keeps the figures that `/metrics` reads alive.
        self.app.state.event_log = self.event_log
        self.app.state.service_figures = ServiceFigures(
            service=self.name,
            store=self.store,
            event_log=self.event_log,
            relay_cursor=self.relay.cursor_name,
            consumer_groups=[(s.group, s.topics) for s in self.subscriptions],
        )
        watch_service(self.app.state.service_figures)

    async def start_background(self) -> None:
        self._tasks.append(
            asyncio.create_task(self.relay.run(), name=f"{self.name}.relay")
        )
        for subscription in self.subscriptions:
            self._tasks.append(
                asyncio.create_task(
                    self._consume(subscription),
                    name=f"{self.name}.{subscription.group}",
                )
            )
        for task_factory in self.extra_tasks:
            self._tasks.append(asyncio.create_task(task_factory()))
        log.info("service.started", service=self.name)

    async def _consume(self, subscription: Subscription) -> None:
        while True:
            try:
                await self.event_log.consume(
                    subscription.group,
                    subscription.topics,
                    self._with_event_context(subscription),
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "consumer.failed", service=self.name, group=subscription.group
                )
                await asyncio.sleep(1)

    def _with_event_context(self, subscription: Subscription) -> Handler:
        """Wrap a handler so that its log lines carry the event's ids."""
        handler = subscription.handler
        if isinstance(handler, BatchHandler):
            return _LoggedBatchHandler(self.name, subscription.group, handler)
        return _LoggedHandler(self.name, subscription.group, handler)

    async def rebuild_projections(self) -> dict[str, int]:
        """Drop every read model and rebuild it; return the events applied per table."""
        counts = {}
        for projection in self.projections:
            if projection.source == "store":
                counts[projection.table] = await asyncio.to_thread(
                    projection.rebuild_from_store, self.store
                )
            else:
                records = self.store.unseal(
                    await self.event_log.read_all(projection.source)
                )
                counts[projection.table] = await asyncio.to_thread(
                    projection.rebuild_from_records, self.store.database, records
                )
        return counts

    def snapshot_projections(self) -> dict[str, list[dict[str, object]]]:
        return {p.table: p.snapshot(self.store.database) for p in self.projections}

    async def stop_background(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        with contextlib.suppress(Exception):
            await self.relay.publish_pending()
        log.info("service.stopped", service=self.name)


class _LoggedHandler:
    """A subscription's handler whose failures are logged with the event's ids."""

    def __init__(self, service: str, group: str, handler: Handler) -> None:
        self._service = service
        self._group = group
        self._handler = handler

    async def __call__(self, envelope: EventEnvelope) -> None:
        with structlog.contextvars.bound_contextvars(**event_context(envelope)):
            try:
                await self._handler(envelope)
            except Exception:
                log.exception(
                    "event.handling_failed",
                    service=self._service,
                    group=self._group,
                    event_type=envelope.event_type,
                )
                raise


class _LoggedBatchHandler(_LoggedHandler):
    def __init__(self, service: str, group: str, handler: BatchHandler) -> None:
        super().__init__(service, group, handler)
        self._batch_handler = handler

    async def handle_batch(self, envelopes: Sequence[EventEnvelope]) -> None:
        """Handle the events together, or one by one when the batch fails.

        The second pass logs the failing event with its ids, and handles the
        events before it. Handlers are idempotent, so a batch that had
        changed something before it failed is safe to handle again.
        """
        try:
            await self._batch_handler.handle_batch(envelopes)
        except Exception:
            log.warning(
                "event.batch_failed",
                service=self._service,
                group=self._group,
                events=len(envelopes),
                exc_info=True,
            )
            for envelope in envelopes:
                await self(envelope)


class HandledOnce:
    """A synchronous projection that each event changes at most once.

    `apply(tx, envelope)` runs in the same transaction that records the event
    as processed, so a replayed event finds its record and changes nothing.
    A batch of events shares one transaction, so one commit.
    """

    def __init__(
        self,
        store: EventStore,
        consumer: str,
        apply: Callable[[Transaction, EventEnvelope], None],
    ) -> None:
        self._store = store
        self._consumer = consumer
        self._apply = apply

    async def __call__(self, envelope: EventEnvelope) -> None:
        await asyncio.to_thread(self._apply_all, [envelope])

    async def handle_batch(self, envelopes: Sequence[EventEnvelope]) -> None:
        await asyncio.to_thread(self._apply_all, envelopes)

    def _apply_all(self, envelopes: Sequence[EventEnvelope]) -> None:
        with self._store.database.transaction() as tx:
            for envelope in envelopes:
                if mark_processed(tx, self._consumer, envelope.event_id):
                    self._apply(tx, envelope)


def handled_once(
    store: EventStore,
    consumer: str,
    apply: Callable[[Transaction, EventEnvelope], None],
) -> HandledOnce:
    """Wrap a synchronous projection so that each event changes it at most once."""
    return HandledOnce(store, consumer, apply)
