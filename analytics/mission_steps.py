"""Count missions per step and time each step, per program, from the missions topic.

An example analytics consumer. It reads only the public event stream described
in docs/events.md, never the services' code or databases, and needs only the
standard library and aiokafka. It reads `campus.missions.v1` from the first
offset, from Kafka or from the embedded mode's log file, and prints per program:

- how many missions are at each step. A mission's step is the status set by
  its latest event that changes the status (see `STATUS_AFTER`).
- the median time each step takes. A step is timed from one status-changing
  event of a mission to the next, and grouped by the pair of event types, for
  example MissionSentToCompany -> CompanyCompleted.

Events that change no status (DatesSet, SectionSaved, TutorAssigned and others)
are not part of any pair, because the company's SectionSaved events would
otherwise split MissionSentToCompany -> CompanyCompleted in two.

    python -m analytics.mission_steps --embedded-log .run/data/eventlog.db
    python -m analytics.mission_steps --bootstrap 127.0.0.1:9092 [--namespace NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sqlite3
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOPIC = "campus.missions.v1"

# The status a mission has after each event type that changes it. Every other
# event type keeps the status of the event before it.
STATUS_AFTER = {
    "MissionCreated": "draft",
    "DerogationRequested": "derogation_pending",
    "DerogationApproved": "draft",
    "DerogationRejected": "draft",
    "MissionSentToCompany": "sent_to_company",
    "CompanyCompleted": "company_completed",
    "StudentConfirmed": "tutor_review",
    "TutorApproved": "career_service_review",
    "TutorRefused": "company_completed",
    "MissionSentBack": "company_completed",
    "MissionApproved": "approved",
    "MissionCancelled": "cancelled",
}
# Steps in the order a mission goes through them, for printing.
STEP_ORDER = (
    "draft",
    "derogation_pending",
    "sent_to_company",
    "company_completed",
    "tutor_review",
    "career_service_review",
    "approved",
    "cancelled",
)
# Programs are read from MissionCreated's `program_id`, a field of version 1.
MISSION_CREATED_SCHEMA_VERSION = 1
# The program reported for a mission whose MissionCreated event is missing.
UNKNOWN_PROGRAM = "(unknown program)"
UNKNOWN_STEP = "(unknown step)"


class StreamError(Exception):
    """A stream that could not be read, or has records this report cannot read."""


@dataclass(frozen=True)
class MissionEvent:
    """The envelope fields this report uses, from one record's JSON value."""

    event_id: str
    event_type: str
    schema_version: int
    mission_id: str
    aggregate_version: int
    occurred_at: dt.datetime
    data: dict[str, Any]


@dataclass
class ProgramReport:
    """Missions per step and measured step durations of one program."""

    missions_per_step: dict[str, int] = field(default_factory=dict)
    step_seconds: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def median_seconds(self) -> dict[tuple[str, str], float]:
        return {
            pair: statistics.median(durations)
            for pair, durations in sorted(self.step_seconds.items())
        }


def parse_record(value: str | bytes) -> MissionEvent:
    """Parse one record's value, a JSON envelope, into a `MissionEvent`."""
    envelope = json.loads(value)
    return MissionEvent(
        event_id=envelope["event_id"],
        event_type=envelope["event_type"],
        schema_version=int(envelope["schema_version"]),
        mission_id=envelope["aggregate_id"],
        aggregate_version=int(envelope["aggregate_version"]),
        occurred_at=dt.datetime.fromisoformat(envelope["occurred_at"]),
        data=envelope["data"],
    )


def read_embedded_log(path: Path, topic: str = TOPIC) -> list[MissionEvent]:
    """Read every record of `topic` from an embedded log file, in offset order.

    The file is opened read-only, so a running Campus may keep writing to it.
    """
    if not path.is_file():
        raise StreamError(
            f"no embedded log at {path}: pass the eventlog.db file of the data "
            "folder (CAMPUS_DATA_DIR, .run/data by default)"
        )
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT value FROM records WHERE topic = ? ORDER BY offset", (topic,)
        ).fetchall()
    except sqlite3.Error as error:
        raise StreamError(
            f"{path} is not a Campus embedded log ({error}): "
            "pass the eventlog.db file of the data folder"
        ) from error
    finally:
        connection.close()
    return [parse_record(value) for (value,) in rows]


async def read_kafka(bootstrap: str, topic: str) -> list[MissionEvent]:
    """Read every record of `topic` from its first offset to its end when called.

    The consumer joins no consumer group and commits no offset, so each run
    reads the whole topic again.
    """
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            described = await admin.describe_topics([topic])
        finally:
            await admin.close()
        partitions = [
            TopicPartition(topic, partition["partition"])
            for description in described
            if description["error_code"] == 0
            for partition in description["partitions"]
        ]
        if not partitions:
            raise StreamError(
                f"the topic {topic} was not found on {bootstrap}: check "
                "--bootstrap and --namespace"
            )
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            client_id="campus-analytics-mission-steps",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            end_offsets = await consumer.end_offsets(partitions)
            events: list[MissionEvent] = []
            while await _has_unread_records(consumer, end_offsets):
                batches = await consumer.getmany(timeout_ms=1000)
                for records in batches.values():
                    events.extend(parse_record(record.value) for record in records)
            return events
        finally:
            await consumer.stop()
    except KafkaError as error:
        raise StreamError(
            f"reading {topic} from Kafka at {bootstrap} failed ({error!r}): check "
            "that the broker runs and that --bootstrap names it"
        ) from error


async def _has_unread_records(consumer: Any, end_offsets: dict[Any, int]) -> bool:
    """Tell whether any partition's position is still before its end offset."""
    for partition, end_offset in end_offsets.items():
        if await consumer.position(partition) < end_offset:
            return True
    return False


def _program_of(events: Sequence[MissionEvent]) -> str:
    for event in events:
        if event.event_type != "MissionCreated":
            continue
        if event.schema_version != MISSION_CREATED_SCHEMA_VERSION:
            raise StreamError(
                f"MissionCreated {event.event_id} has schema version "
                f"{event.schema_version}, but this report reads program_id from "
                f"version {MISSION_CREATED_SCHEMA_VERSION} only: update it from "
                "docs/events.schema.json"
            )
        return str(event.data["program_id"])
    return UNKNOWN_PROGRAM


def summarize(events: Iterable[MissionEvent]) -> dict[str, ProgramReport]:
    """Count missions per step and collect step durations, per program id.

    Delivery is at least once, so a record whose event_id was already read is
    skipped. Each mission's events are sorted by aggregate_version, so the
    result does not depend on the order in which records were read.
    """
    seen: set[str] = set()
    by_mission: dict[str, list[MissionEvent]] = defaultdict(list)
    for event in events:
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        by_mission[event.mission_id].append(event)

    reports: dict[str, ProgramReport] = defaultdict(ProgramReport)
    for mission_events in by_mission.values():
        mission_events.sort(key=lambda event: event.aggregate_version)
        report = reports[_program_of(mission_events)]
        step = UNKNOWN_STEP
        previous: MissionEvent | None = None
        for event in mission_events:
            if event.event_type not in STATUS_AFTER:
                continue
            step = STATUS_AFTER[event.event_type]
            if previous is not None:
                pair = (previous.event_type, event.event_type)
                seconds = (event.occurred_at - previous.occurred_at).total_seconds()
                report.step_seconds.setdefault(pair, []).append(seconds)
            previous = event
        report.missions_per_step[step] = report.missions_per_step.get(step, 0) + 1
    return dict(sorted(reports.items()))


def _ordered_steps(missions_per_step: dict[str, int]) -> list[tuple[str, int]]:
    known = [
        (step, missions_per_step[step])
        for step in STEP_ORDER
        if step in missions_per_step
    ]
    others = sorted(
        (step, count)
        for step, count in missions_per_step.items()
        if step not in STEP_ORDER
    )
    return known + others


def _pair_name(pair: tuple[str, str]) -> str:
    return f"{pair[0]} -> {pair[1]}"


def render_text(reports: dict[str, ProgramReport]) -> str:
    """Format the reports as an indented plain-text table per program."""
    if not reports:
        return "no mission events found\n"
    lines: list[str] = []
    for program, report in reports.items():
        total = sum(report.missions_per_step.values())
        lines.append(f"program {program}: {total} missions")
        lines.append("  missions per step:")
        for step, count in _ordered_steps(report.missions_per_step):
            lines.append(f"    {step:<24} {count:>5}")
        lines.append("  median time per step (transitions measured):")
        for pair, median in report.median_seconds().items():
            duration = dt.timedelta(seconds=round(median))
            measured = len(report.step_seconds[pair])
            lines.append(f"    {_pair_name(pair):<50} {duration!s:>20} ({measured})")
        lines.append("")
    return "\n".join(lines)


def render_json(reports: dict[str, ProgramReport]) -> str:
    """Format the reports as JSON, with durations in seconds."""
    document = {
        program: {
            "missions_per_step": dict(_ordered_steps(report.missions_per_step)),
            "median_step_seconds": {
                _pair_name(pair): {
                    "median_seconds": median,
                    "transitions": len(report.step_seconds[pair]),
                }
                for pair, median in report.median_seconds().items()
            },
        }
        for program, report in reports.items()
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m analytics.mission_steps",
        description=f"Read {TOPIC} from the first offset and print, per program, "
        "the missions at each step and the median time of each step.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--bootstrap", metavar="HOST:PORT", help="a Kafka broker to read from"
    )
    source.add_argument(
        "--embedded-log",
        metavar="PATH",
        type=Path,
        help="the embedded mode's log file, eventlog.db in the data folder",
    )
    parser.add_argument(
        "--namespace",
        default="",
        help="prefix of the deployment's topic names (CAMPUS_KAFKA_NAMESPACE); "
        "Kafka only, empty by default",
    )
    parser.add_argument(
        "--json", action="store_true", help="print JSON, durations in seconds"
    )
    arguments = parser.parse_args(argv)
    if arguments.namespace and arguments.embedded_log is not None:
        parser.error("--namespace applies to Kafka topics only, not --embedded-log")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parse_arguments(argv)
    try:
        if arguments.embedded_log is not None:
            events = read_embedded_log(arguments.embedded_log)
        else:
            prefix = f"{arguments.namespace}." if arguments.namespace else ""
            events = asyncio.run(read_kafka(arguments.bootstrap, prefix + TOPIC))
        reports = summarize(events)
    except StreamError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    render = render_json if arguments.json else render_text
    sys.stdout.write(render(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
