"""The mission-steps report, read from an embedded log file written by the test.

The file has the embedded log's `records` table and JSON envelopes as the
services write them, built here as plain dictionaries. An analytics consumer
reads only the stream, so the test imports nothing from the services.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from analytics.mission_steps import (
    TOPIC,
    MissionEvent,
    StreamError,
    main,
    read_embedded_log,
    summarize,
)

START = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)
PROGRAM = "mge-1-2026"
OTHER_PROGRAM = "msc-2-2026"


def _envelope(
    mission_id: str,
    version: int,
    event_type: str,
    at: dt.datetime,
    data: dict[str, Any] | None = None,
    schema_version: int = 1,
) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "schema_version": schema_version,
        "aggregate_type": "mission",
        "aggregate_id": mission_id,
        "aggregate_version": version,
        "occurred_at": at.isoformat().replace("+00:00", "Z"),
        "actor": None,
        "correlation_id": None,
        "causation_id": None,
        "data": data or {},
    }


def _mission(
    mission_id: str, program_id: str, steps: list[tuple[str, dt.timedelta]]
) -> list[dict[str, Any]]:
    """Envelopes of one mission: MissionCreated at START, then each step's event."""
    created = _envelope(
        mission_id,
        1,
        "MissionCreated",
        START,
        {"program_id": program_id, "program_name": program_id},
    )
    envelopes = [created]
    for version, (event_type, after_start) in enumerate(steps, start=2):
        envelopes.append(
            _envelope(mission_id, version, event_type, START + after_start)
        )
    return envelopes


def _write_log(path: Path, records: list[tuple[str, dict[str, Any]]]) -> None:
    """Write (topic, envelope) records in order, with the embedded log's layout."""
    connection = sqlite3.connect(path)
    connection.execute(
        """CREATE TABLE records (
            topic TEXT NOT NULL, offset INTEGER NOT NULL, key TEXT NOT NULL,
            value TEXT NOT NULL, PRIMARY KEY (topic, offset))"""
    )
    offsets: dict[str, int] = {}
    for topic, envelope in records:
        offset = offsets.get(topic, 0)
        offsets[topic] = offset + 1
        connection.execute(
            "INSERT INTO records (topic, offset, key, value) VALUES (?, ?, ?, ?)",
            (topic, offset, envelope["aggregate_id"], json.dumps(envelope)),
        )
    connection.commit()
    connection.close()


def _as_envelope(event: MissionEvent) -> dict[str, Any]:
    return _envelope(
        event.mission_id,
        event.aggregate_version,
        event.event_type,
        event.occurred_at,
        event.data,
        event.schema_version,
    ) | {"event_id": event.event_id}


HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    """A log of six missions in two programs, with a duplicate and a foreign topic.

    In PROGRAM, three missions go from MissionSentToCompany to CompanyCompleted
    in 2, 4 and 1 days, so that step's median is 2 days. The third mission's
    CompanyCompleted is delivered twice, as after a relay retry.
    """
    first = _mission(
        "m-1",
        PROGRAM,
        [
            ("SectionSaved", HOUR),
            ("MissionSentToCompany", 2 * HOUR),
            ("SectionSaved", DAY),
            ("CompanyCompleted", 2 * DAY + 2 * HOUR),
        ],
    )
    second = _mission(
        "m-2",
        PROGRAM,
        [
            ("MissionSentToCompany", DAY),
            ("CompanyCompleted", 5 * DAY),
            ("TutorAssigned", 5 * DAY),
            ("StudentConfirmed", 6 * DAY),
        ],
    )
    third = _mission(
        "m-3",
        PROGRAM,
        [("MissionSentToCompany", 3 * HOUR), ("CompanyCompleted", DAY + 3 * HOUR)],
    )
    cancelled = _mission("m-4", PROGRAM, [("MissionCancelled", 3 * DAY)])
    draft = _mission("m-5", OTHER_PROGRAM, [("DatesSet", HOUR)])
    derogation = _mission("m-6", OTHER_PROGRAM, [("DerogationRequested", 2 * HOUR)])
    agreement = {
        **_envelope("agreement-m-1", 1, "AgreementGenerated", START + 3 * DAY),
        "aggregate_type": "document",
    }

    # Kafka keeps order per mission only, so missions are interleaved here.
    missions: list[dict[str, Any]] = []
    for position in range(max(len(first), len(second))):
        missions.extend(first[position : position + 1])
        missions.extend(second[position : position + 1])
    missions += [*third, third[-1], *cancelled, *draft, *derogation]

    path = tmp_path / "eventlog.db"
    records = [(TOPIC, envelope) for envelope in missions]
    records.append(("campus.documents.v1", agreement))
    _write_log(path, records)
    return path


def test_steps_counted_per_program(log_file: Path) -> None:
    reports = summarize(read_embedded_log(log_file))

    assert sorted(reports) == [PROGRAM, OTHER_PROGRAM]
    assert reports[PROGRAM].missions_per_step == {
        "company_completed": 2,
        "tutor_review": 1,
        "cancelled": 1,
    }
    assert reports[OTHER_PROGRAM].missions_per_step == {
        "draft": 1,
        "derogation_pending": 1,
    }


def test_step_median_exact(log_file: Path) -> None:
    medians = summarize(read_embedded_log(log_file))[PROGRAM].median_seconds()

    pair = ("MissionSentToCompany", "CompanyCompleted")
    assert medians[pair] == (2 * DAY).total_seconds()


def test_step_pairs_skip_other_events(log_file: Path) -> None:
    report = summarize(read_embedded_log(log_file))[PROGRAM]

    assert sorted(report.step_seconds) == [
        ("CompanyCompleted", "StudentConfirmed"),
        ("MissionCreated", "MissionCancelled"),
        ("MissionCreated", "MissionSentToCompany"),
        ("MissionSentToCompany", "CompanyCompleted"),
    ]
    assert report.step_seconds[("CompanyCompleted", "StudentConfirmed")] == [
        DAY.total_seconds()
    ]


def test_duplicate_record_counted_once(log_file: Path) -> None:
    events = read_embedded_log(log_file)
    report = summarize(events)[PROGRAM]

    assert len(events) == 20
    assert ("CompanyCompleted", "CompanyCompleted") not in report.step_seconds
    assert len(report.step_seconds[("MissionSentToCompany", "CompanyCompleted")]) == 3


def test_summary_ignores_record_order(log_file: Path, tmp_path: Path) -> None:
    reversed_file = tmp_path / "reversed.db"
    events = read_embedded_log(log_file)
    records = [(TOPIC, _as_envelope(event)) for event in reversed(events)]
    _write_log(reversed_file, records)

    in_order = summarize(events)[PROGRAM]
    reversed_order = summarize(read_embedded_log(reversed_file))[PROGRAM]

    assert reversed_order.missions_per_step == in_order.missions_per_step
    assert reversed_order.median_seconds() == in_order.median_seconds()


def test_other_topics_not_read(log_file: Path) -> None:
    events = read_embedded_log(log_file)

    assert all(not event.mission_id.startswith("agreement-") for event in events)


def test_json_output_of_command(
    log_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["--embedded-log", str(log_file), "--json"])

    output = json.loads(capsys.readouterr().out)
    assert status == 0
    assert output[PROGRAM]["missions_per_step"] == {
        "company_completed": 2,
        "tutor_review": 1,
        "cancelled": 1,
    }
    step = output[PROGRAM]["median_step_seconds"][
        "MissionSentToCompany -> CompanyCompleted"
    ]
    assert step == {"median_seconds": 172800.0, "transitions": 3}


def test_text_output_of_command(
    log_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["--embedded-log", str(log_file)])

    output = capsys.readouterr().out
    assert status == 0
    assert f"program {PROGRAM}: 4 missions" in output
    assert "MissionSentToCompany -> CompanyCompleted" in output
    assert "2 days, 0:00:00 (3)" in output


def test_missing_log_file_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["--embedded-log", str(tmp_path / "missing.db")])

    assert status == 1
    assert "no embedded log at" in capsys.readouterr().err


def test_newer_mission_created_rejected(tmp_path: Path) -> None:
    created = _envelope(
        "m-9", 1, "MissionCreated", START, {"program": PROGRAM}, schema_version=2
    )
    path = tmp_path / "eventlog.db"
    _write_log(path, [(TOPIC, created)])

    with pytest.raises(StreamError, match="schema version 2"):
        summarize(read_embedded_log(path))


def test_namespace_needs_kafka(log_file: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--embedded-log", str(log_file), "--namespace", "staging"])

    assert exit_info.value.code == 2
