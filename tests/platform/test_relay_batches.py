"""The outbox relay's batched publishing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest

from shared.events.base import EventEnvelope, wrap
from shared.events.missions import MissionCancelled
from shared.platform.db import SqliteDatabase
from shared.platform.eventlog import PublishError
from shared.platform.eventstore import EventStore
from shared.platform.runtime import OutboxRelay


def _event(aggregate_id: str, version: int) -> EventEnvelope:
    return wrap(
        MissionCancelled(reason="x", by_role="student", previous_status="draft"),
        aggregate_id=aggregate_id,
        aggregate_version=version,
        actor=None,
        occurred_at=dt.datetime(2027, 1, 5, 9, 30, tzinfo=dt.UTC),
    )


class LogDouble:
    """Test double of an event log that stores `accept` records, then fails."""

    def __init__(self, accept: int | None = None) -> None:
        self.accept = accept
        self.published: list[EventEnvelope] = []
        self.batches: list[int] = []

    async def publish_batch(self, records: Sequence[tuple[str, EventEnvelope]]) -> None:
        self.batches.append(len(records))
        for number, (_, envelope) in enumerate(records):
            if self.accept is not None and len(self.published) >= self.accept:
                raise PublishError(number, "broker down")
            self.published.append(envelope)


def _relay(store: EventStore, event_log: LogDouble) -> OutboxRelay:
    # The double implements only publish_batch, all that the relay calls.
    return OutboxRelay(store, event_log, "missions")  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    return EventStore(SqliteDatabase(tmp_path / "store.db"))


async def test_relay_sends_pending_events_as_one_batch(store: EventStore) -> None:
    store.append("m-1", 0, [_event("m-1", 1), _event("m-1", 2)])
    store.append("m-2", 0, [_event("m-2", 1)])
    event_log = LogDouble()
    relay = _relay(store, event_log)

    published = await relay.publish_pending()

    assert published == 3
    assert event_log.batches == [3]
    assert [(e.aggregate_id, e.aggregate_version) for e in event_log.published] == [
        ("m-1", 1),
        ("m-1", 2),
        ("m-2", 1),
    ]
    assert store.cursor("relay") == store.read_after(0)[-1][0]


async def test_relay_cursor_stops_after_acknowledged(store: EventStore) -> None:
    store.append("m-1", 0, [_event("m-1", 1), _event("m-1", 2), _event("m-1", 3)])
    positions = [position for position, _ in store.read_after(0)]
    relay = _relay(store, LogDouble(accept=2))

    with pytest.raises(PublishError):
        await relay.publish_pending()

    assert store.cursor("relay") == positions[1]


async def test_relay_resends_only_unacknowledged(store: EventStore) -> None:
    store.append("m-1", 0, [_event("m-1", 1), _event("m-1", 2), _event("m-1", 3)])
    with pytest.raises(PublishError):
        await _relay(store, LogDouble(accept=1)).publish_pending()
    event_log = LogDouble()

    await _relay(store, event_log).publish_pending()

    assert [e.aggregate_version for e in event_log.published] == [2, 3]
