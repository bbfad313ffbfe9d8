"""Production refuses to start on a secret that anyone can read in the source."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from shared.platform.settings import DEFAULT_SECRET
from tests.harness.campus import EmbeddedCampus
from tests.harness.processes import ROOT, free_port
from tests.security.world import ADMIN


def _start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the embedded mode's real start; it exits at once on bad settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CAMPUS_")}
    command = [sys.executable, "-m", "services.runner", "embedded"]
    return subprocess.run(
        [*command, "--port", str(free_port())],
        cwd=ROOT,
        env={**clean, "CAMPUS_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("secret", [None, DEFAULT_SECRET], ids=["unset", "default"])
def test_production_rejects_default_secret(tmp_path: Path, secret: str | None) -> None:
    env = {"CAMPUS_ENVIRONMENT": "production"}
    if secret is not None:
        env["CAMPUS_SECRET_KEY"] = secret

    started = _start(tmp_path, **env)

    assert started.returncode == 2
    assert "CAMPUS_SECRET_KEY is the development default" in started.stderr
    assert "Traceback" not in started.stderr
    assert DEFAULT_SECRET not in started.stderr


def test_production_rejects_short_secret(tmp_path: Path) -> None:
    started = _start(
        tmp_path, CAMPUS_ENVIRONMENT="production", CAMPUS_SECRET_KEY="court-secret"
    )

    assert started.returncode == 2
    assert "at least 32 characters" in started.stderr
    assert "court-secret" not in started.stderr


def test_production_serves_no_development_routes(tmp_path: Path) -> None:
    env = {
        "CAMPUS_ENVIRONMENT": "production",
        "CAMPUS_SECRET_KEY": secrets.token_hex(32),
    }
    campus = EmbeddedCampus(tmp_path, env)
    try:
        http = httpx.Client(base_url=campus.base_url, timeout=30)
        responses = {
            "users": http.get("/api/v1/dev/users"),
            "login": http.post("/api/v1/dev/login", json={"email": ADMIN}),
            "mailbox": http.get("/api/v1/dev/mailbox"),
            "empty mailbox": http.delete("/api/v1/dev/mailbox"),
            "clock": http.put("/api/v1/dev/clock", json={"now": "2030-01-01T00:00"}),
            "mailbox page": http.get("/mailbox"),
            "login page": http.post("/login", data={"email": ADMIN}),
        }
    finally:
        campus.stop()

    for name, response in responses.items():
        assert response.status_code == 404, name
        assert "set-cookie" not in response.headers, name
