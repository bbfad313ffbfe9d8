"""The outbox relay's batched publishing and the consumers' batched handling."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from aiokafka import ConsumerRecord, TopicPartition

from shared.events.base import EventEnvelope, wrap
from shared.events.missions import MissionCancelled
from shared.platform.db import SqliteDatabase, Transaction
from shared.platform.eventlog import PublishError
from shared.platform.eventstore import EventStore
from shared.platform.kafkalog import KafkaLog
from shared.platform.runtime import OutboxRelay, handled_once


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


async def test_handled_once_batch_applies_each_event_once(store: EventStore) -> None:
    applied: list[str] = []

    def apply(tx: Transaction, envelope: EventEnvelope) -> None:
        applied.append(envelope.event_id)

    handler = handled_once(store, "notifications", apply)
    first, second = _event("m-1", 1), _event("m-1", 2)

    await handler.handle_batch([first, second, first])
    await handler(second)

    assert applied == [first.event_id, second.event_id]


async def test_handled_once_batch_rolls_back_on_failure(store: EventStore) -> None:
    def apply(tx: Transaction, envelope: EventEnvelope) -> None:
        if envelope.aggregate_version == 2:
            raise ValueError("projection failed")

    handler = handled_once(store, "notifications", apply)
    first, second = _event("m-1", 1), _event("m-1", 2)
    with pytest.raises(ValueError, match="projection failed"):
        await handler.handle_batch([first, second])
    applied: list[str] = []

    def record(tx: Transaction, envelope: EventEnvelope) -> None:
        applied.append(envelope.event_id)

    await handled_once(store, "notifications", record).handle_batch([first])

    assert applied == [first.event_id]


class ConsumerDouble:
    """Test double of AIOKafkaConsumer that records its offset commits."""

    def __init__(self) -> None:
        self.commits: list[dict[TopicPartition, int]] = []

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))


def _records(
    partition: TopicPartition, envelopes: Sequence[EventEnvelope], first: int
) -> list[ConsumerRecord[bytes, bytes]]:
    return [
        ConsumerRecord(
            topic=partition.topic,
            partition=partition.partition,
            offset=first + number,
            timestamp=0,
            timestamp_type=0,
            key=envelope.aggregate_id.encode(),
            value=envelope.model_dump_json().encode(),
            checksum=None,
            serialized_key_size=0,
            serialized_value_size=0,
            headers=(),
        )
        for number, envelope in enumerate(envelopes)
    ]


async def test_consumer_commits_once_per_fetch() -> None:
    consumer = ConsumerDouble()
    zero, one = TopicPartition("t", 0), TopicPartition("t", 1)
    fetched = {
        zero: _records(zero, [_event("m-1", 1), _event("m-1", 2)], first=10),
        one: _records(one, [_event("m-2", 1)], first=4),
    }
    handled: list[str] = []

    async def handler(envelope: EventEnvelope) -> None:
        handled.append(envelope.aggregate_id)

    await KafkaLog._handle(consumer, fetched, handler)

    assert handled == ["m-1", "m-1", "m-2"]
    assert consumer.commits == [{zero: 12, one: 5}]


async def test_consumer_commits_records_before_failure() -> None:
    consumer = ConsumerDouble()
    zero = TopicPartition("t", 0)
    fetched = {zero: _records(zero, [_event("m-1", 1), _event("m-1", 2)], first=7)}

    async def handler(envelope: EventEnvelope) -> None:
        if envelope.aggregate_version == 2:
            raise ValueError("handler failed")

    with pytest.raises(ValueError, match="handler failed"):
        await KafkaLog._handle(consumer, fetched, handler)

    assert consumer.commits == [{zero: 8}]


async def test_consumer_hands_batch_handler_each_partition() -> None:
    consumer = ConsumerDouble()
    zero, one = TopicPartition("t", 0), TopicPartition("t", 1)
    fetched = {
        zero: _records(zero, [_event("m-1", 1), _event("m-1", 2)], first=0),
        one: _records(one, [_event("m-2", 1)], first=0),
    }
    batches: list[list[Any]] = []

    class Batches:
        async def __call__(self, envelope: EventEnvelope) -> None:
            batches.append([envelope.aggregate_id])

        async def handle_batch(self, envelopes: Sequence[EventEnvelope]) -> None:
            batches.append([e.aggregate_id for e in envelopes])

    await KafkaLog._handle(consumer, fetched, Batches())

    assert batches == [["m-1", "m-1"], ["m-2"]]
    assert consumer.commits == [{zero: 2, one: 1}]
