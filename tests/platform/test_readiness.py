"""A service's readiness follows its PostgreSQL server going down and back."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from shared.platform.actors import ACTOR_HEADER, Actor, sign_actor
from tests.harness.campus import wait_for
from tests.harness.distributed import DEFAULT_KAFKA, check_kafka, run_postgres_script
from tests.harness.processes import ROOT, free_port, start_process, stop_process
from tests.harness.seed import student_email, write_test_seed

CAREER_SERVICE = Actor(
    email="sophie.bernard@ecole-campus.fr", name="Sophie Bernard", role="career_service"
)


def _postgres(data_dir: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "postgres.py"), *args],
        env={**os.environ, "POSTGRES_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[Path]:
    """A PostgreSQL server of this test's own, which it may stop and start."""
    data_dir = tmp_path / "postgres"
    _postgres(data_dir, "start")
    yield data_dir
    _postgres(data_dir, "stop")


def _ready(url: str) -> int:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.TransportError:
        return 0


def test_readiness_follows_postgres(own_postgres: Path, tmp_path: Path) -> None:
    secret = secrets.token_hex(16)

    def list_missions(port: int) -> httpx.Response:
        return httpx.get(
            f"http://127.0.0.1:{port}/api/v1/missions",
            headers={ACTOR_HEADER: sign_actor(CAREER_SERVICE, secret)},
            timeout=30,
        )

    bootstrap = os.environ.get("CAMPUS_TEST_KAFKA", DEFAULT_KAFKA)
    check_kafka(bootstrap)
    # The service opens its own database and the key store shared by all.
    _postgres(own_postgres, "createdb", "ready_missions", "ready_keys")
    port = free_port()
    env = {
        "CAMPUS_MODE": "distributed",
        "CAMPUS_DATABASE_URL": _postgres(own_postgres, "url", "ready_{service}"),
        "CAMPUS_KAFKA_BOOTSTRAP": bootstrap,
        "CAMPUS_KAFKA_NAMESPACE": f"ready{secrets.token_hex(4)}",
        "CAMPUS_SECRET_KEY": secret,
        "CAMPUS_DATA_DIR": str(tmp_path / "data"),
    }
    log = tmp_path / "missions.log"
    process = start_process(["service", "missions", "--port", str(port)], env, log)
    url = f"http://127.0.0.1:{port}/health/ready"
    try:
        wait_for(lambda: _ready(url) == 200, "the service to be ready", seconds=60)

        # Concurrent requests open several pooled connections, which the
        # restart breaks.
        with ThreadPoolExecutor(max_workers=8) as executor:
            warm = list(
                executor.map(lambda _: list_missions(port).status_code, range(16))
            )
        _postgres(own_postgres, "stop")
        down = wait_for(lambda: _ready(url) == 503, "readiness to fail", seconds=60)
        refused = list_missions(port)
        _postgres(own_postgres, "start")
        back = wait_for(lambda: _ready(url) == 200, "readiness to return", seconds=60)
        after = [list_missions(port).status_code for _ in range(10)]
    finally:
        stop_process(process)

    assert set(warm) == {200}
    assert down is True
    assert back is True
    assert after == [200] * 10
    assert refused.status_code == 503, refused.text
    assert refused.json()["code"] == "database_unavailable"
    assert "database" in refused.json()["message"]


def test_service_starts_without_kafka(tmp_path: Path) -> None:
    port = free_port()
    nothing_listens = f"127.0.0.1:{free_port()}"
    namespace = f"nokafka{secrets.token_hex(4)}"
    run_postgres_script("start")
    run_postgres_script("createdb", f"{namespace}_missions", f"{namespace}_keys")
    env = {
        "CAMPUS_MODE": "distributed",
        "CAMPUS_DATABASE_URL": run_postgres_script(
            "url", f"{namespace}_{{service}}"
        ).strip(),
        "CAMPUS_KAFKA_BOOTSTRAP": nothing_listens,
        "CAMPUS_KAFKA_NAMESPACE": namespace,
        "CAMPUS_SECRET_KEY": (secret := secrets.token_hex(16)),
        "CAMPUS_DATA_DIR": str(tmp_path / "data"),
        "CAMPUS_SEED_FILE": str(write_test_seed(tmp_path)),
    }
    log = tmp_path / "missions.log"
    process = start_process(["service", "missions", "--port", str(port)], env, log)
    base = f"http://127.0.0.1:{port}"
    student = Actor(email=student_email(1), name="Étudiant n° 1", role="student")
    try:
        wait_for(
            lambda: process.poll() is not None or _live(f"{base}/health/live"),
            "the service to start",
            seconds=60,
        )
        assert process.poll() is None, log.read_text()[-3000:]
        created = httpx.post(
            f"{base}/api/v1/missions",
            json={"program_id": "mge-1-2026", "commitment_accepted": True},
            headers={ACTOR_HEADER: sign_actor(student, secret)},
            timeout=30,
        )
        readiness = httpx.get(f"{base}/health/ready", timeout=30)
    finally:
        stop_process(process)

    assert created.status_code == 201, created.text
    assert readiness.status_code == 503
    assert readiness.json()["down"] == ["event_log"]


def _live(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.TransportError:
        return False
