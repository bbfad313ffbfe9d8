"""The event log on Apache Kafka, through aiokafka.

Topics are created with unlimited retention, because projections are rebuilt
by reading a topic from its first offset. The producer is idempotent (which
implies acks=all). Consumers commit a record's offset only after its handler
returned, so a crash replays the record and the handler's processed-event
record makes the replay harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import structlog
from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    DuplicateSequenceNumber,
    IllegalStateError,
    InvalidProducerEpoch,
    KafkaError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    TopicAlreadyExistsError,
    UnknownProducerId,
)

from shared.events.base import EventEnvelope
from shared.events.catalogue import TOPICS
from shared.platform.eventlog import BatchHandler, Handler, PublishError

log = structlog.get_logger()
PARTITIONS = 3
# A position is normally known at once. Waiting longer (during a rebalance)
# would hold up the consumer, so its lag is then measured on the next fetch.
POSITION_TIMEOUT_SECONDS = 0.5
# Errors after which aiokafka 0.14's idempotent producer fails every later
# send. A broker restarted under load returned OutOfOrderSequenceNumber for
# each send until the producer was replaced.
PRODUCER_FATAL_ERRORS = (
    OutOfOrderSequenceNumber,
    DuplicateSequenceNumber,
    UnknownProducerId,
    InvalidProducerEpoch,
    ProducerFenced,
)
# How often a service that started while the broker was down tries again.
RECONNECT_SECONDS = 2.0


def _failure(sent: asyncio.Future[object]) -> BaseException | None:
    if sent.cancelled():
        return asyncio.CancelledError()
    return sent.exception()


class KafkaLog:
    # NOTE: consumers are plain aiokafka consumer groups, not faust-streaming
    # agents. Each handler commits its offset only after its own database
    # transaction, and faust's automatic commits give a handler no such control.
    def __init__(self, bootstrap: str, client_id: str, namespace: str = "") -> None:
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._prefix = f"{namespace}." if namespace else ""
        self._producer: AIOKafkaProducer | None = None
        self._producer_started = False
        self._connecting: asyncio.Task[None] | None = None
        # Records not handled yet, by consumer group, then by topic.
        self._lag: dict[str, dict[str, int]] = {}

    def _name(self, topic_or_group: str) -> str:
        return f"{self._prefix}{topic_or_group}"

    async def start(self) -> None:
        """Create the topics and start the producer, or keep trying in the background.

        A service whose broker is down still serves commands, because their
        events wait in the outbox. Readiness reports the event log down and
        `publish` fails until the connection succeeds.
        """
        try:
            await self._connect()
        except (KafkaError, OSError) as error:
            log.warning(
                "event_log.unavailable_at_start",
                bootstrap=self._bootstrap,
                error=str(error),
                retry_seconds=RECONNECT_SECONDS,
            )
            self._connecting = asyncio.create_task(self._connect_until_done())

    async def _connect(self) -> None:
        await self._create_topics()
        await self._start_producer()

    def _new_producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            enable_idempotence=True,
        )

    async def _start_producer(self) -> None:
        producer = self._new_producer()
        try:
            await producer.start()
        except BaseException:
            await producer.stop()
            raise
        self._producer = producer
        self._producer_started = True

    async def _replace_producer(self, error: KafkaError) -> None:
        """Stop a producer that refuses every send and start a new one.

        A new producer gets a new producer id, whose sequence numbers the
        broker has no record of yet. If the broker cannot be reached, the
        background connection takes over.
        """
        log.warning("event_log.producer_replaced", error=repr(error))
        old, self._producer = self._producer, None
        self._producer_started = False
        if old is not None:
            with contextlib.suppress(KafkaError, OSError):
                await old.stop()
        try:
            await self._start_producer()
        except (KafkaError, OSError):
            if self._connecting is None or self._connecting.done():
                self._connecting = asyncio.create_task(self._connect_until_done())

    async def _connect_until_done(self) -> None:
        while True:
            await asyncio.sleep(RECONNECT_SECONDS)
            try:
                await self._connect()
            except (KafkaError, OSError):
                continue
            log.info("event_log.connected", bootstrap=self._bootstrap)
            return

    async def stop(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
            self._connecting = None
        self._producer_started = False
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def ready(self) -> bool:
        """Check that the producer is started and a broker returns cluster metadata."""
        if self._producer is None or not self._producer_started:
            return False
        try:
            await self._producer.client.fetch_all_metadata()
        except KafkaError:
            # aiokafka has already logged each broker that failed, and the
            # readiness probe logs the change to not ready.
            return False
        return True

    def consumer_lag(self, group: str, topics: Sequence[str]) -> dict[str, int]:
        """Return the lag measured after the group's last fetch in this process.

        Only the partitions assigned to this process count, so with several
        replicas in one group each reports its own share of the lag.
        """
        measured = self._lag.get(self._name(group), {})
        return {topic: measured[topic] for topic in topics if topic in measured}

    async def _create_topics(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [
                NewTopic(
                    name=self._name(topic),
                    num_partitions=PARTITIONS,
                    replication_factor=1,
                    topic_configs={"retention.ms": "-1"},
                )
                for topic in TOPICS.values()
                if self._name(topic) not in existing
            ]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(missing)
        finally:
            await admin.close()

    async def publish(self, topic: str, envelope: EventEnvelope) -> None:
        await self.publish_batch([(topic, envelope)])

    async def publish_batch(self, records: Sequence[tuple[str, EventEnvelope]]) -> None:
        """Send every record, then wait until the broker acknowledged each one.

        The sends share produce requests instead of taking one broker round
        trip each. Records of one key stay in order because aiokafka 0.14
        keeps at most one batch per partition in flight, and its idempotent
        producer retries a batch without reordering it. When a record fails,
        raise `PublishError` with the number of records acknowledged before it.
        """
        producer = self._producer
        if producer is None or not self._producer_started:
            raise PublishError(
                0,
                f"not connected to Kafka at {self._bootstrap} yet; "
                "the event stays in the outbox until it is",
            )
        sends: list[asyncio.Future[object]] = []
        error: BaseException | None = None
        for topic, envelope in records:
            try:
                sends.append(
                    await producer.send(
                        self._name(topic),
                        key=envelope.aggregate_id.encode(),
                        value=envelope.model_dump_json().encode(),
                    )
                )
            except KafkaError as send_error:
                error = send_error
                break
        if sends:
            await asyncio.wait(sends)
        acknowledged = 0
        for sent in sends:
            failure = _failure(sent)
            if failure is not None:
                error = failure
                break
            acknowledged += 1
        if error is None:
            return
        if isinstance(error, PRODUCER_FATAL_ERRORS):
            await self._replace_producer(error)
        raise PublishError(acknowledged, f"Kafka send failed: {error!r}") from error

    async def read_all(self, topic: str) -> list[EventEnvelope]:
        """Read a topic from its first offset to its current end, outside any group."""
        partitions = await self._partitions(self._name(topic))
        if not partitions:
            return []
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            enable_auto_commit=False,
            isolation_level="read_committed",
        )
        await consumer.start()
        # aiokafka 0.14 can raise CancelledError from a stop() that follows
        # start() before the coordinator's task first ran (aiokafka issue 647).
        await asyncio.sleep(0)
        try:
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            end = await consumer.end_offsets(partitions)
            records: list[EventEnvelope] = []
            while await self._behind(consumer, end):
                batches = await consumer.getmany(timeout_ms=500)
                for batch in batches.values():
                    records.extend(
                        EventEnvelope.model_validate_json(r.value) for r in batch
                    )
            return records
        finally:
            await consumer.stop()

    async def _partitions(self, name: str) -> list[TopicPartition]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        await admin.start()
        try:
            described = await admin.describe_topics([name])
        finally:
            await admin.close()
        return [
            TopicPartition(name, partition["partition"])
            for topic in described
            if topic["error_code"] == 0
            for partition in topic["partitions"]
        ]

    @staticmethod
    async def _behind(
        consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]
    ) -> bool:
        for partition, end_offset in end.items():
            if await consumer.position(partition) < end_offset:
                return True
        return False

    async def consume(
        self,
        group: str,
        topics: Sequence[str],
        handler: Handler,
        from_start: bool = False,
    ) -> None:
        consumer = AIOKafkaConsumer(
            *[self._name(topic) for topic in topics],
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            group_id=self._name(group),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        await consumer.start()
        try:
            if from_start:
                await self._rewind(consumer)
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=100)
                await self._handle(consumer, batches, handler)
                self._lag[self._name(group)] = await self._measure_lag(consumer)
        finally:
            self._lag.pop(self._name(group), None)
            await asyncio.shield(consumer.stop())

    @staticmethod
    async def _handle(
        consumer: AIOKafkaConsumer,
        batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
        handler: Handler,
    ) -> None:
        """Run `handler` on each fetched record, then commit the offsets handled.

        One commit per fetch, not per record, saves a coordinator round trip
        per record. A `BatchHandler` takes each partition's records at once.
        When a handler fails, the offsets handled before it are committed.
        """
        handled: dict[TopicPartition, int] = {}
        try:
            for partition, records in batches.items():
                envelopes = [
                    EventEnvelope.model_validate_json(record.value)
                    for record in records
                ]
                if isinstance(handler, BatchHandler):
                    await handler.handle_batch(envelopes)
                    handled[partition] = records[-1].offset + 1
                    continue
                for record, envelope in zip(records, envelopes, strict=True):
                    await handler(envelope)
                    handled[partition] = record.offset + 1
        finally:
            if handled:
                await consumer.commit(handled)

    async def _measure_lag(self, consumer: AIOKafkaConsumer) -> dict[str, int]:
        """Sum, per topic, each assigned partition's highwater minus position.

        A partition not fetched yet has no known highwater and is left out.
        """
        lag: dict[str, int] = {}
        for partition in list(consumer.assignment()):
            if partition not in consumer.assignment():
                continue
            highwater = consumer.highwater(partition)
            if highwater is None:
                continue
            try:
                position = await asyncio.wait_for(
                    consumer.position(partition), POSITION_TIMEOUT_SECONDS
                )
            except (IllegalStateError, TimeoutError):
                continue
            topic = partition.topic.removeprefix(self._prefix)
            lag[topic] = lag.get(topic, 0) + max(0, highwater - position)
        return lag

    @staticmethod
    async def _rewind(consumer: AIOKafkaConsumer) -> None:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=200, max_records=1)
        partitions: list[TopicPartition] = list(consumer.assignment())
        await consumer.seek_to_beginning(*partitions)
