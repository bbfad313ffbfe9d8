"""Fault drills: each breaks one part of the distributed mode under load.

The five drills share one Campus and run in order. Each starts concurrent
journeys, breaks something, lets the journeys run on, stops them, waits
until Campus settles and then runs the checker over everything Campus holds
so far. The figures of each drill go to `.run/reliability/drills.json`, and
`python -m tests.reliability.report` renders them as the table of
`docs/reliability.md`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.harness.campus import wait_for
from tests.harness.distributed import DEFAULT_KAFKA, DistributedCampus
from tests.harness.processes import ROOT
from tests.reliability.checker import Findings, check, settle
from tests.reliability.load import Load, StudentPool
from tests.reliability.report import record_drill

pytestmark = [pytest.mark.drills, pytest.mark.distributed]

WORKERS = 4
WARM_UP_SECONDS = 6.0
AFTER_FAULT_SECONDS = 8.0
SMTP_OUTAGE_SECONDS = 60.0


def _bootstrap() -> str:
    return os.environ.get("CAMPUS_TEST_KAFKA", DEFAULT_KAFKA)


def _backend_command(*command: str) -> None:
    """Run scripts/kafka.sh or scripts/postgres.py on the test run's own server."""
    for variable in ("KAFKA_DATA_DIR", "POSTGRES_DATA_DIR"):
        if variable not in os.environ:
            raise RuntimeError(
                f"{variable} is not set: the drills restart the broker and the "
                "database server of the test run, so run them through "
                "scripts/with-backends.sh (make test does)"
            )
    # A broker can take minutes to start on a busy machine.
    env = {**os.environ, "KAFKA_START_SECONDS": "300"}
    subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=360)


def stop_kafka() -> None:
    _backend_command(str(ROOT / "scripts" / "kafka.sh"), "stop")


def start_kafka(seconds: float = 150) -> None:
    """Start the broker, again while its port is taken, for up to `seconds`.

    While the broker is down, clients retry connections to its port
    thousands of times a second. When that port is in the ephemeral range,
    one of them can connect to itself (a TCP self-connect), and the port
    stays taken until that socket leaves TIME-WAIT, 60 seconds on Linux.
    The broker meanwhile exits with "Address already in use".
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            _backend_command(str(ROOT / "scripts" / "kafka.sh"), "start")
            return
        except subprocess.CalledProcessError:
            if time.monotonic() > deadline:
                raise
            time.sleep(5)


def postgres(command: str) -> None:
    _backend_command(sys.executable, str(ROOT / "scripts" / "postgres.py"), command)


@pytest.fixture(scope="module")
def campus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DistributedCampus]:
    # The production retry base (5 s) would spread the retries of a
    # one-minute SMTP outage over ten minutes. With 2 s, an email that first
    # failed at the outage's start is tried again at 62 s and, if the server
    # is slow to come back, at 126 s, inside the checker's 180 s wait. With
    # 1 s its last tries (31 s, 63 s) fell too close to the restart.
    campus = DistributedCampus(
        tmp_path_factory.mktemp("drills"), {"CAMPUS_SMTP_RETRY_SECONDS": "2"}
    )
    yield campus
    campus.stop()


@pytest.fixture(scope="module")
def students() -> StudentPool:
    return StudentPool()


class Drill:
    """A load that runs around one fault, and the check that follows it."""

    def __init__(self, name: str, campus: DistributedCampus, students: StudentPool):
        self.name = name
        self.campus = campus
        self.load = Load(campus, workers=WORKERS, students=students)
        self.details: dict[str, object] = {}

    def __enter__(self) -> Drill:
        self.started = time.monotonic()
        self.load.start()
        wait_for(
            lambda: sum(r.succeeded for r in self.load.records) >= 10,
            "the load's first commands",
            seconds=60,
        )
        time.sleep(WARM_UP_SECONDS)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if exc_info[0] is not None:
            self.load.stop()

    def finish(self) -> Findings:
        """Run the load on a while, stop it, settle, check and record the figures."""
        time.sleep(AFTER_FAULT_SECONDS)
        self.load.stop()
        assert not self.load.failures, self.load.failures
        settle_seconds = settle(self.campus, _bootstrap())
        findings = check(self.campus, _bootstrap(), self.load.records)
        record_drill(
            self.name,
            self.load,
            findings,
            seconds=time.monotonic() - self.started,
            settle_seconds=settle_seconds,
            details=self.details,
        )
        return findings


def _assert_clean(findings: Findings) -> None:
    assert findings.failures() == {}, findings.failures()


def test_service_killed_mid_command(
    campus: DistributedCampus, students: StudentPool
) -> None:
    with Drill("service killed with SIGKILL mid-command", campus, students) as drill:
        for name in ("missions", "notifications"):
            wait_for(
                lambda: any(s != "login" for s in drill.load.in_flight.values()),
                "a command in flight",
            )
            killed_at = time.time()
            campus.kill(name)
            time.sleep(2)
            campus.start_again(name)
            in_flight = [
                r
                for r in drill.load.records
                if r.started < killed_at < r.ended and r.step != "login"
            ]
            drill.details[f"commands in flight when {name} was killed"] = len(in_flight)
        findings = drill.finish()

    assert drill.details["commands in flight when missions was killed"] != 0
    _assert_clean(findings)


def test_relay_killed_before_publishing(
    campus: DistributedCampus, students: StudentPool
) -> None:
    with Drill("outbox relay killed between write and publish", campus, students) as d:
        stop_kafka()
        # Commands still commit their events, which the relay cannot publish.
        wait_for(
            lambda: _outbox_backlog(campus, "missions") >= 5,
            "unpublished events in the missions outbox",
            seconds=60,
        )
        campus.kill("missions")
        backlog = _outbox_backlog(campus, "missions")
        d.details["unpublished events when the relay was killed"] = backlog
        # The service starts again before the broker does, so its new relay
        # finds the events of the killed one still unpublished.
        campus.start_again("missions", ready=False)
        restarted = time.time()
        # Users waiting for a company email cannot go on without the broker,
        # so this waits for a command from a journey at an earlier step.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
            r.succeeded and r.appends and r.started > restarted for r in d.load.records
        ):
            time.sleep(0.5)
        start_kafka()
        wait_for(
            lambda: _ready(campus.health_urls["missions"]),
            "missions to be ready",
            seconds=180,
        )
        d.details["commands answered while the broker was down after the restart"] = (
            sum(r.succeeded and r.started > restarted for r in d.load.records)
        )
        findings = d.finish()

    _assert_clean(findings)


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def _outbox_backlog(campus: DistributedCampus, service: str) -> int:
    from tests.reliability.checker import _backlog

    return _backlog(campus)[f"{service} outbox"]


def test_kafka_broker_restarted(
    campus: DistributedCampus, students: StudentPool
) -> None:
    with Drill("Kafka broker restarted", campus, students) as drill:
        stopped = time.monotonic()
        stop_kafka()
        start_kafka()
        drill.details["seconds without a broker"] = round(time.monotonic() - stopped)
        findings = drill.finish()

    _assert_clean(findings)


def test_postgres_restarted(campus: DistributedCampus, students: StudentPool) -> None:
    with Drill("PostgreSQL restarted", campus, students) as drill:
        stopped = time.monotonic()
        postgres("stop")
        time.sleep(3)
        postgres("start")
        drill.details["seconds without a database"] = round(time.monotonic() - stopped)
        findings = drill.finish()

    refused = [
        r for r in drill.load.records if r.status is not None and r.status >= 500
    ]
    assert refused, "no command was refused while PostgreSQL was down"
    _assert_clean(findings)


def test_smtp_down_for_a_minute(
    campus: DistributedCampus, students: StudentPool
) -> None:
    with Drill("SMTP server down for a minute", campus, students) as drill:
        sent_before = len(campus.mailbox())
        campus.stop_smtp()
        time.sleep(SMTP_OUTAGE_SECONDS)
        campus.start_smtp()
        findings = drill.finish()
        drill.details["emails sent before the outage"] = sent_before

    _assert_clean(findings)
