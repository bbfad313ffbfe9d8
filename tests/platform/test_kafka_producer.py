"""The Kafka event log's producer after the broker lost its sequence state."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from aiokafka.errors import OutOfOrderSequenceNumber

from shared.events.base import wrap
from shared.events.documents import AgreementGenerated
from shared.platform.eventlog import PublishError
from shared.platform.kafkalog import KafkaLog


class ProducerDouble:
    """Test double of AIOKafkaProducer: fails every send once `broken`."""

    def __init__(self, broken: bool) -> None:
        self.broken = broken
        self.sent: list[bytes] = []
        self.stopped = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.stopped = True

    async def send(self, topic: str, key: bytes, value: bytes) -> Any:
        acknowledgement = asyncio.get_running_loop().create_future()
        if self.broken:
            acknowledgement.set_exception(OutOfOrderSequenceNumber())
        else:
            self.sent.append(value)
            acknowledgement.set_result(None)
        return acknowledgement


def _envelope() -> Any:
    return wrap(
        AgreementGenerated(mission_id="m-1", sha256="0" * 64, size=1),
        aggregate_id="a-1",
        aggregate_version=1,
        actor=None,
        occurred_at=dt.datetime.now(dt.UTC),
    )


async def test_broken_producer_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    producers = [ProducerDouble(broken=True), ProducerDouble(broken=False)]
    created = iter(producers)
    event_log = KafkaLog("127.0.0.1:1", "test")
    monkeypatch.setattr(event_log, "_new_producer", lambda: next(created))
    await event_log._start_producer()

    with pytest.raises(PublishError) as raised:
        await event_log.publish("campus.documents.v1", _envelope())
    await event_log.publish("campus.documents.v1", _envelope())

    assert isinstance(raised.value.__cause__, OutOfOrderSequenceNumber)
    assert producers[0].stopped is True
    assert len(producers[1].sent) == 1
