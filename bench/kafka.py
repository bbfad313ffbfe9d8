"""Distributed mode: from a command's response to its effect in another service.

Students create missions through the gateway at a steady rate. The benchmark
polls the notifications service's `mission_contacts` table every 5 ms and
times each mission from its 201 response to its row there. The ceiling is an
aiokafka produce-and-consume round trip on the same broker at the same rate.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import httpx

from bench.common import (
    Figure,
    Result,
    Size,
    Table,
    http_client,
    percentile,
    sampled,
)
from tests.e2e.journey import PROGRAM
from tests.harness.distributed import DistributedCampus
from tests.harness.seed import student_email

TARGET_P99_MS = 250.0
STUDENTS = 50
POLL_SECONDS = 0.005
WARMUP_SECONDS = 3.0
SETTLE_SECONDS = 30.0
# At most this many commands wait for their response: when Campus falls
# behind the rate, the sender waits for a slot, and the achieved rate drops.
IN_FLIGHT = 64


async def campus_latencies(
    base_url: str, contacts_url: str, rate: int, seconds: float
) -> dict[str, list[float]]:
    """Create missions at `rate` per second; return response and effect latencies."""
    import psycopg

    students = []
    for number in range(1, STUDENTS + 1):
        http = http_client(base_url)
        login = await http.post(
            "/api/v1/dev/login", json={"email": student_email(number)}
        )
        login.raise_for_status()
        students.append(http)
    pending: dict[str, float] = {}
    responses: list[float] = []
    effects: list[float] = []
    failures: list[str] = []
    start = time.perf_counter()
    counted_from = start + min(WARMUP_SECONDS, seconds / 5)

    slots = asyncio.Semaphore(IN_FLIGHT)

    async def create(http: httpx.AsyncClient) -> None:
        sent = time.perf_counter()
        try:
            response = await http.post(
                "/api/v1/missions",
                json={"program_id": PROGRAM, "commitment_accepted": True},
            )
        except httpx.TransportError as error:
            failures.append(f"{type(error).__name__} {error}")
            return
        finally:
            slots.release()
        answered = time.perf_counter()
        if response.status_code != 201:
            failures.append(f"{response.status_code} {response.text[:200]}")
            return
        if sent >= counted_from:
            responses.append(answered - sent)
            pending[response.json()["id"]] = answered

    async def poll(connection: psycopg.AsyncConnection[tuple[str]]) -> None:
        while True:
            if pending:
                cursor = await connection.execute(
                    "SELECT mission_id FROM mission_contacts "
                    "WHERE mission_id = ANY(%s)",
                    (list(pending),),
                )
                seen = time.perf_counter()
                for (mission_id,) in await cursor.fetchall():
                    effects.append(seen - pending.pop(mission_id))
            await asyncio.sleep(POLL_SECONDS)

    async with await psycopg.AsyncConnection.connect(
        contacts_url, autocommit=True
    ) as connection:
        poller = asyncio.ensure_future(poll(connection))
        sends = []
        # Sending stops at the deadline even when Campus fell behind the rate,
        # so a slow machine lengthens no run.
        deadline = start + seconds
        for index in range(int(rate * seconds)):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await slots.acquire()
            if time.perf_counter() >= deadline:
                slots.release()
                break
            sends.append(asyncio.ensure_future(create(students[index % STUDENTS])))
        sent_seconds = time.perf_counter() - start
        await asyncio.gather(*sends)
        deadline = time.monotonic() + SETTLE_SECONDS
        while pending and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        poller.cancel()
        await asyncio.gather(poller, return_exceptions=True)
    for http in students:
        await http.aclose()
    return {
        "failures": [float(len(failures))],
        "responses": sorted(responses),
        "effects": sorted(effects),
        "lost": [float(len(pending))],
        "sent": [float(len(sends))],
        "achieved_rate": [len(sends) / sent_seconds],
    }


async def kafka_round_trips(bootstrap: str, rate: int, seconds: float) -> list[float]:
    """Produce one record at a time at `rate` per second; time each to its reading."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    topic = f"bench-round-trip-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await producer.start()
    await consumer.start()
    partition = TopicPartition(topic, 0)
    consumer.assign([partition])
    await consumer.seek_to_beginning(partition)
    sent_at: dict[int, float] = {}
    latencies: list[float] = []
    total = int(rate * seconds)
    skipped = int(rate * min(WARMUP_SECONDS, seconds / 5))

    async def consume() -> None:
        received = 0
        while received < total:
            record = await consumer.getone()
            index = int(record.value)
            if index >= skipped:
                latencies.append(time.perf_counter() - sent_at[index])
            received += 1

    consuming = asyncio.ensure_future(consume())
    start = time.perf_counter()
    try:
        for index in range(total):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at[index] = time.perf_counter()
            await producer.send_and_wait(topic, str(index).encode(), key=b"mission")
        await asyncio.wait_for(consuming, SETTLE_SECONDS)
    finally:
        consuming.cancel()
        await asyncio.gather(consuming, return_exceptions=True)
        await consumer.stop()
        await producer.stop()
    return sorted(latencies)


def run(size: Size, result: Result) -> None:
    bootstrap = os.environ.get("CAMPUS_TEST_KAFKA", "127.0.0.1:9092")
    rate, seconds = size.kafka_rate, size.kafka_seconds
    ceiling = asyncio.run(kafka_round_trips(bootstrap, rate, seconds))
    print(
        f"  Kafka round trip: p50 {percentile(ceiling, 50) * 1000:.1f} ms, "
        f"p99 {percentile(ceiling, 99) * 1000:.1f} ms",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="campus-bench-") as folder:
        campus = DistributedCampus(Path(folder))
        try:
            contacts_url = campus.env["CAMPUS_DATABASE_URL"].replace(
                "{service}", "notifications"
            )
            # A quarter of the rate first: the latency of a pipeline that is
            # not saturated, beside the latency at the required rate.
            quarter = asyncio.run(
                campus_latencies(campus.base_url, contacts_url, rate // 4, seconds / 2)
            )
            result.tables.append(
                Table(
                    f"At a quarter of the rate ({rate // 4} per second, "
                    f"{seconds / 2:.0f} s), latencies in ms",
                    ["what", "count", "p50", "p95", "p99", "max"],
                    [
                        _row("command response (gateway)", quarter["responses"]),
                        _row(
                            "response to notifications read model", quarter["effects"]
                        ),
                    ],
                )
            )
            measured = asyncio.run(
                campus_latencies(campus.base_url, contacts_url, rate, seconds)
            )
            effects = measured["effects"]
            print(
                f"  Campus: {measured['achieved_rate'][0]:.0f} commands/s sent, "
                f"effect p50 {percentile(effects, 50) * 1000:.1f} ms, "
                f"p99 {percentile(effects, 99) * 1000:.1f} ms",
                flush=True,
            )
            _judge(result, measured, ceiling, rate, seconds)
            if result.missed:
                _profile(campus, result, contacts_url, rate)
        finally:
            campus.stop()


def _judge(
    result: Result,
    measured: dict[str, list[float]],
    ceiling: list[float],
    rate: int,
    seconds: float,
) -> None:
    effects, responses = measured["effects"], measured["responses"]
    result.facts.append(
        f"{int(measured['sent'][0]):,} missions created in {seconds:.0f} s at a "
        f"requested {rate} per second (achieved "
        f"{measured['achieved_rate'][0]:.0f} per second); "
        f"{int(measured['lost'][0])} not visible after {SETTLE_SECONDS:.0f} s more; "
        f"{int(measured['failures'][0])} commands failed (no response or not 201)"
    )
    for share in (50, 99):
        figure = Figure(
            f"response to read model, p{share}",
            percentile(effects, share) * 1000,
            "ms",
            ceiling=percentile(ceiling, share) * 1000,
            better="lower",
        )
        if share == 99:
            figure.target = f"under {TARGET_P99_MS:.0f} ms"
            figure.met = figure.value < TARGET_P99_MS
        result.figures.append(figure)
    result.tables.insert(
        0,
        Table(
            f"At {rate} per second, latencies in ms",
            ["what", "count", "p50", "p95", "p99", "max"],
            [
                _row("command response (gateway)", responses),
                _row("response to notifications read model", effects),
                _row("Kafka produce and consume", ceiling),
            ],
        ),
    )


def _row(name: str, values: list[float]) -> list[object]:
    return [
        name,
        len(values),
        *(round(percentile(values, share) * 1000, 1) for share in (50, 95, 99)),
        round(max(values, default=0) * 1000, 1),
    ]


def _profile(
    campus: DistributedCampus, result: Result, contacts_url: str, rate: int
) -> None:
    """Sample the missions and notifications processes during 10 more seconds."""
    processes = {
        name: campus._launched[name][2] for name in ("missions", "notifications")
    }
    with ExitStack() as stack:
        for name, process in processes.items():
            stack.enter_context(
                sampled(process.pid, 10, result.profiles, f"{name} service")
            )
        asyncio.run(campus_latencies(campus.base_url, contacts_url, rate, 10))
