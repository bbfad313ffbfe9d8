"""The distributed mode under restarts, and the event stream as Kafka serves it."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator

import jsonschema
import pytest

from tests.e2e.journey import (
    FRANCE,
    approve,
    company_completes,
    send_to_company,
    start_mission,
)
from tests.harness.campus import RunningCampus, wait_for, wait_for_email
from tests.harness.distributed import DistributedCampus
from tests.harness.processes import ROOT


@pytest.fixture
def distributed(distributed_campus: RunningCampus) -> Iterator[DistributedCampus]:
    assert isinstance(distributed_campus, DistributedCampus)
    yield distributed_campus


def test_restarts_mid_journey_lose_nothing(distributed: DistributedCampus) -> None:
    journey = start_mission(distributed, FRANCE)
    token = send_to_company(journey)

    distributed.restart("notifications", distributed.health_urls["notifications"])
    company_completes(journey, token)
    distributed.restart("missions", distributed.health_urls["missions"])
    distributed.restart("documents", distributed.health_urls["documents"])
    approve(journey)

    wait_for(
        lambda: (
            journey.student.get(
                f"/missions/{journey.mission_id}/convention.pdf"
            ).status_code
            == 200
        ),
        "the agreement after the restarts",
    )
    wait_for_email(
        distributed,
        journey.student.email,
        "convention de stage est prête",
        journey.mission_id,
    )
    history = [entry["type"] for entry in journey.mission()["history"]]
    assert history[-1] == "MissionApproved"
    ids = [email["id"] for email in distributed.mailbox()]
    assert len(ids) == len(set(ids))


def test_console_consumer_reads_published_schema(
    distributed: DistributedCampus,
) -> None:
    journey = start_mission(distributed, FRANCE)
    send_to_company(journey)
    topic = f"{distributed.kafka_namespace}.campus.missions.v1"
    port = os.environ.get("CAMPUS_TEST_KAFKA", "127.0.0.1:9092").rpartition(":")[2]

    consumed = subprocess.run(
        [
            str(ROOT / "scripts" / "kafka.sh"),
            "console-consumer",
            "--topic",
            topic,
            "--from-beginning",
            "--max-messages",
            "1",
            "--timeout-ms",
            "30000",
        ],
        env={**os.environ, "KAFKA_PORT": port},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert consumed.returncode == 0, consumed.stderr[-2000:]
    record = json.loads(consumed.stdout.strip().splitlines()[0])
    catalogue = json.loads((ROOT / "docs" / "events.schema.json").read_text())
    jsonschema.validate(record, catalogue["envelope"])
    jsonschema.validate(
        record["data"], catalogue["events"][record["event_type"]]["data"]
    )
    assert record["aggregate_type"] == "mission"
