"""Compare the event stores, the Kafka topics, the read models and the sent emails.

After a drill the system is left to settle, then `check` reads every
service's PostgreSQL database and every topic from its first offset and
lists each loss, duplicate and unclear refusal it finds. A list that is
empty is a pass.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from psycopg.rows import dict_row

from shared.events.catalogue import TOPICS
from shared.platform.kafkalog import PARTITIONS
from tests.harness.distributed import SERVICES, DistributedCampus
from tests.reliability.load import CommandRecord

# The consumer groups and the topics they read, as the services subscribe them.
GROUPS = {
    "campus.documents": ["mission"],
    "campus.evaluations": ["mission", "document"],
    "campus.notifications": ["mission", "document", "evaluation"],
}
# The consumer name under which notifications records processed events.
NOTIFICATIONS_CONSUMER = "notifications"
# Statuses a refused command may get while a part of Campus is down.
OUTAGE_STATUSES = {502, 503, 504}


@dataclass
class StoredEvent:
    service: str
    position: int
    event_id: str
    aggregate_type: str
    aggregate_id: str
    event_type: str
    correlation_id: str | None
    causation_id: str | None


@dataclass
class Findings:
    """What a check found; each list names one kind of failure."""

    lost_commands: list[str] = field(default_factory=list)
    missing_on_topic: list[str] = field(default_factory=list)
    unknown_on_topic: list[str] = field(default_factory=list)
    unprocessed: list[str] = field(default_factory=list)
    duplicate_effects: list[str] = field(default_factory=list)
    projection_differences: list[str] = field(default_factory=list)
    duplicate_emails: list[str] = field(default_factory=list)
    unsent_emails: list[str] = field(default_factory=list)
    unclear_refusals: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def losses(self) -> int:
        return (
            len(self.lost_commands)
            + len(self.missing_on_topic)
            + len(self.unprocessed)
            + len(self.unsent_emails)
        )

    @property
    def duplicates(self) -> int:
        return len(self.duplicate_effects) + len(self.duplicate_emails)

    def failures(self) -> dict[str, list[str]]:
        names = (
            "lost_commands",
            "missing_on_topic",
            "unknown_on_topic",
            "unprocessed",
            "duplicate_effects",
            "projection_differences",
            "duplicate_emails",
            "unsent_emails",
            "unclear_refusals",
        )
        return {name: getattr(self, name) for name in names if getattr(self, name)}


def _query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with psycopg.connect(url, row_factory=dict_row) as connection:
        return list(connection.execute(sql, params).fetchall())


def stored_events(campus: DistributedCampus) -> list[StoredEvent]:
    events = []
    for service in SERVICES:
        rows = _query(
            campus.database_url_of(service),
            "SELECT position, event_id, aggregate_type, aggregate_id, event_type, "
            "envelope FROM events ORDER BY position",
        )
        for row in rows:
            envelope = json.loads(row["envelope"])
            events.append(
                StoredEvent(
                    service=service,
                    position=int(row["position"]),
                    event_id=row["event_id"],
                    aggregate_type=row["aggregate_type"],
                    aggregate_id=row["aggregate_id"],
                    event_type=row["event_type"],
                    correlation_id=envelope.get("correlation_id"),
                    causation_id=envelope.get("causation_id"),
                )
            )
    return events


def _partitions(topics: list[str]) -> list[TopicPartition]:
    # Campus creates every topic with the same partition count.
    return [TopicPartition(t, n) for t in topics for n in range(PARTITIONS)]


def _topic(campus: DistributedCampus, aggregate_type: str) -> str:
    return f"{campus.kafka_namespace}.{TOPICS[aggregate_type]}"


async def _read_topics(bootstrap: str, topics: list[str]) -> dict[str, list[str]]:
    """Return the event ids on each topic, from the first offset to the end."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    await asyncio.sleep(0)
    try:
        partitions = _partitions(topics)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        ids: dict[str, list[str]] = {topic: [] for topic in topics}
        while await _behind(consumer, end):
            batches = await consumer.getmany(timeout_ms=1000)
            for partition, records in batches.items():
                for record in records:
                    assert record.value is not None
                    ids[partition.topic].append(json.loads(record.value)["event_id"])
        return ids
    finally:
        await consumer.stop()


async def _behind(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> bool:
    for partition, end_offset in end.items():
        if await consumer.position(partition) < end_offset:
            return True
    return False


async def _group_lag(bootstrap: str, namespace: str) -> int:
    """Sum, over every consumer group of the run, the records not committed yet."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        lag = 0
        for group, aggregate_types in GROUPS.items():
            topics = [f"{namespace}.{TOPICS[name]}" for name in aggregate_types]
            partitions = _partitions(topics)
            committed = await admin.list_consumer_group_offsets(f"{namespace}.{group}")
            end = await consumer.end_offsets(partitions)
            for partition in partitions:
                offset = committed.get(partition)
                done = offset.offset if offset is not None and offset.offset >= 0 else 0
                lag += max(0, end[partition] - done)
        return lag
    finally:
        await consumer.stop()
        await admin.close()


def _backlog(campus: DistributedCampus) -> dict[str, int]:
    """Return, per service, the events not published yet and the emails not sent."""
    backlog = {}
    for service in SERVICES:
        row = _query(
            campus.database_url_of(service),
            "SELECT (SELECT COALESCE(MAX(position), 0) FROM events) - "
            "COALESCE((SELECT position FROM outbox_cursor WHERE name = 'relay'), 0) "
            "AS behind",
        )[0]
        backlog[f"{service} outbox"] = int(row["behind"])
    row = _query(
        campus.database_url_of("notifications"),
        "SELECT COUNT(*) AS waiting FROM emails WHERE status IN ('pending', 'sending')",
    )[0]
    backlog["emails"] = int(row["waiting"])
    return backlog


def settle(campus: DistributedCampus, bootstrap: str, seconds: float = 180) -> float:
    """Wait until every event is published and consumed and every email sent.

    Return the seconds it took. Two readings in a row must show nothing
    left, because a consumer's handling can queue emails and events.
    """
    started = time.monotonic()
    quiet_readings = 0
    last: dict[str, int] = {}
    while time.monotonic() - started < seconds:
        try:
            last = _backlog(campus)
            last["consumer lag"] = asyncio.run(
                _group_lag(bootstrap, campus.kafka_namespace)
            )
        except (psycopg.OperationalError, OSError) as error:
            last = {f"unreadable: {error}": 1}
        quiet_readings = quiet_readings + 1 if not any(last.values()) else 0
        if quiet_readings >= 2:
            return time.monotonic() - started
        time.sleep(1)
    raise AssertionError(f"Campus did not settle within {seconds} s: {last}")


def _check_commands(
    records: list[CommandRecord], events: list[StoredEvent], findings: Findings
) -> None:
    correlations = {event.correlation_id for event in events if event.correlation_id}
    for record in records:
        if (
            record.appends
            and record.succeeded
            and record.request_id not in correlations
        ):
            findings.lost_commands.append(
                f"{record.method} {record.path} ({record.step}, {record.status}, "
                f"request {record.request_id}) has no event in the store"
            )


def _check_refusals(records: list[CommandRecord], findings: Findings) -> None:
    for record in records:
        if record.succeeded:
            continue
        where = f"{record.method} {record.path} ({record.step})"
        if record.status is None:
            findings.unclear_refusals.append(
                f"{where}: no response ({record.transport_error})"
            )
            continue
        if record.status < 500:
            if record.status == 409 and record.after_unanswered:
                continue
            findings.unclear_refusals.append(
                f"{where}: {record.status} {record.body[:200]}"
            )
            continue
        problem = _refusal_problem(record)
        if problem:
            findings.unclear_refusals.append(f"{where}: {problem}")


def _refusal_problem(record: CommandRecord) -> str | None:
    """Return what is unclear in a 5xx response, or None for a clear refusal."""
    if record.status not in OUTAGE_STATUSES:
        return f"status {record.status}, expected 502, 503 or 504: {record.body[:200]}"
    if "application/json" not in record.content_type:
        return f"{record.content_type or 'no content type'}: {record.body[:200]}"
    body = record.json()
    if not isinstance(body, dict) or not body.get("message") or not body.get("code"):
        return f"no code and message in {record.body[:200]}"
    if "Traceback" in record.body:
        return f"a stack trace in {record.body[:200]}"
    return None


def _check_topics(
    campus: DistributedCampus,
    bootstrap: str,
    events: list[StoredEvent],
    findings: Findings,
) -> dict[str, list[str]]:
    topics = [_topic(campus, name) for name in TOPICS]
    on_topics = asyncio.run(_read_topics(bootstrap, topics))
    stored_ids = {event.event_id for event in events}
    copies = 0
    for event in events:
        ids = on_topics[_topic(campus, event.aggregate_type)]
        if event.event_id not in ids:
            findings.missing_on_topic.append(
                f"{event.event_type} {event.event_id} of {event.service} "
                f"(position {event.position})"
            )
    for topic, ids in on_topics.items():
        counts = Counter(ids)
        copies += sum(count - 1 for count in counts.values())
        findings.unknown_on_topic.extend(
            f"{event_id} on {topic}"
            for event_id in counts
            if event_id not in stored_ids
        )
    findings.figures["topic records"] = sum(len(ids) for ids in on_topics.values())
    findings.figures["republished copies"] = copies
    return on_topics


def _check_processed(
    campus: DistributedCampus, events: list[StoredEvent], findings: Findings
) -> None:
    rows = _query(
        campus.database_url_of("notifications"),
        "SELECT event_id FROM processed_events WHERE consumer = %s",
        (NOTIFICATIONS_CONSUMER,),
    )
    processed = Counter(row["event_id"] for row in rows)
    for event in events:
        if processed[event.event_id] == 0:
            findings.unprocessed.append(
                f"notifications never handled {event.event_type} {event.event_id}"
            )
    findings.duplicate_effects.extend(
        f"notifications recorded {event_id} {count} times"
        for event_id, count in processed.items()
        if count > 1
    )


def _check_caused_once(events: list[StoredEvent], findings: Findings) -> None:
    """Flag two events of one type that one consumed event caused in one service.

    Documents and evaluations react to other services' events by appending
    their own; a reaction repeated on a replayed event would show here.
    """
    own_ids = {event.event_id: event.service for event in events}
    caused = Counter(
        (event.service, event.causation_id, event.event_type)
        for event in events
        if event.causation_id and own_ids.get(event.causation_id) != event.service
    )
    findings.duplicate_effects.extend(
        f"{service}: {count} {event_type} events caused by {cause}"
        for (service, cause, event_type), count in caused.items()
        if count > 1
    )


# The events that each final approval causes in the other services.
REACTIONS_TO_APPROVAL = (
    ("documents", "AgreementGenerated"),
    ("evaluations", "EvaluationFileOpened"),
    ("evaluations", "ReportDepositScheduled"),
)


def _check_reactions(events: list[StoredEvent], findings: Findings) -> None:
    """Flag an approved mission that lacks the agreement or the evaluation file."""
    caused = Counter(
        (event.service, event.event_type, event.causation_id) for event in events
    )
    for approval in events:
        if approval.event_type != "MissionApproved":
            continue
        for service, event_type in REACTIONS_TO_APPROVAL:
            if caused[(service, event_type, approval.event_id)] == 0:
                findings.unprocessed.append(
                    f"{service} has no {event_type} for the approval "
                    f"{approval.event_id} of mission {approval.aggregate_id}"
                )


def _check_emails(campus: DistributedCampus, findings: Findings) -> None:
    rows = _query(
        campus.database_url_of("notifications"),
        "SELECT id, idempotency_key, mission_id, recipient, subject, status "
        "FROM emails",
    )
    by_id = {row["id"]: row for row in rows}
    received = campus.mailbox()
    received_ids = Counter(email["id"] for email in received)
    findings.duplicate_emails.extend(
        f"email {email_id} received {count} times"
        for email_id, count in received_ids.items()
        if count > 1
    )
    logical = Counter(
        (
            email["to"],
            email["subject"],
            (by_id.get(email["id"]) or {}).get("mission_id"),
        )
        for email in received
    )
    findings.duplicate_emails.extend(
        f"{count} emails to {to} about {mission_id}: {subject!r}"
        for (to, subject, mission_id), count in logical.items()
        if count > 1
    )
    for row in rows:
        if row["status"] != "sent":
            findings.unsent_emails.append(
                f"email {row['id']} to {row['recipient']} is {row['status']}"
            )
        elif row["id"] not in received_ids:
            findings.unsent_emails.append(
                f"email {row['id']} to {row['recipient']} is marked sent but the "
                "SMTP server never received it"
            )
    findings.figures["emails sent"] = len(received)


def _check_projections(campus: DistributedCampus, findings: Findings) -> None:
    live = json.loads(campus.run_command("snapshot", "all"))
    campus.run_command("rebuild", "all")
    rebuilt = json.loads(campus.run_command("snapshot", "all"))
    for table, rows in live.items():
        if rebuilt.get(table) != rows:
            findings.projection_differences.append(
                f"{table}: {len(rows)} live rows, {len(rebuilt.get(table, []))} "
                "after a rebuild, or equal counts with different content"
            )
    findings.figures["read-model rows"] = sum(len(rows) for rows in live.values())


def check(
    campus: DistributedCampus, bootstrap: str, records: list[CommandRecord]
) -> Findings:
    """Run every comparison on a settled Campus and return what they found."""
    findings = Findings()
    events = stored_events(campus)
    _check_commands(records, events, findings)
    _check_refusals(records, findings)
    _check_topics(campus, bootstrap, events, findings)
    _check_processed(campus, events, findings)
    _check_caused_once(events, findings)
    _check_reactions(events, findings)
    _check_emails(campus, findings)
    _check_projections(campus, findings)
    findings.figures["events"] = len(events)
    return findings
