"""A service's readiness follows its PostgreSQL server going down and back."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness.campus import wait_for
from tests.harness.distributed import DEFAULT_KAFKA, check_kafka
from tests.harness.processes import ROOT, free_port, start_process, stop_process


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
        "CAMPUS_SECRET_KEY": secrets.token_hex(16),
        "CAMPUS_DATA_DIR": str(tmp_path / "data"),
    }
    log = tmp_path / "missions.log"
    process = start_process(["service", "missions", "--port", str(port)], env, log)
    url = f"http://127.0.0.1:{port}/health/ready"
    try:
        wait_for(lambda: _ready(url) == 200, "the service to be ready", seconds=60)

        _postgres(own_postgres, "stop")
        down = wait_for(lambda: _ready(url) == 503, "readiness to fail", seconds=60)
        _postgres(own_postgres, "start")
        back = wait_for(lambda: _ready(url) == 200, "readiness to return", seconds=60)
    finally:
        stop_process(process)

    assert down is True
    assert back is True
