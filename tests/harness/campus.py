"""A running Campus as the tests see it: a gateway address and a mailbox."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import httpx

from tests.harness.processes import (
    ROOT,
    free_port,
    start_process,
    stop_process,
    wait_until_up,
)
from tests.harness.seed import write_test_seed

Email = dict[str, Any]


class RunningCampus(Protocol):
    base_url: str
    mode: str

    def mailbox(self) -> list[Email]:
        """Every email sent so far, newest first: id, to, subject, text, html."""
        ...

    def stop(self) -> None: ...

    def run_command(self, *args: str) -> str:
        """Run `python -m services.runner ARGS` on this Campus; return the output."""
        ...


def run_runner(env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "services.runner", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout


class EmbeddedCampus:
    """The README's run command, in a subprocess, on a fresh data folder."""

    mode = "embedded"

    def __init__(self, data_dir: Path, settings: dict[str, str] | None = None) -> None:
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = data_dir / "campus.log"
        self.env = {
            "CAMPUS_DATA_DIR": str(data_dir),
            "CAMPUS_PUBLIC_URL": self.base_url,
            "CAMPUS_SEED_FILE": str(write_test_seed(data_dir)),
            **(settings or {}),
        }
        self._process = start_process(
            ["embedded", "--port", str(port)], self.env, self.log_path
        )
        wait_until_up(f"{self.base_url}/health/live", self._process, self.log_path)

    def mailbox(self) -> list[Email]:
        response = httpx.get(f"{self.base_url}/api/v1/dev/mailbox", timeout=10)
        response.raise_for_status()
        emails: list[Email] = response.json()
        return emails

    def stop(self) -> None:
        stop_process(self._process)

    def run_command(self, *args: str) -> str:
        return run_runner(self.env, *args)

    @property
    def process(self) -> subprocess.Popen[bytes]:
        return self._process


class User:
    """One signed-in person: an HTTP client with its own session cookie."""

    def __init__(self, campus: RunningCampus, email: str | None = None) -> None:
        self.campus = campus
        self.http = httpx.Client(base_url=campus.base_url, timeout=30)
        self.email = email or ""
        if email is not None:
            response = self.http.post("/api/v1/dev/login", json={"email": email})
            assert response.status_code == 200, response.text

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(f"/api/v1{path}", **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.post(f"/api/v1{path}", json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.put(f"/api/v1{path}", json=json, **kwargs)


def wait_for(
    condition: Callable[[], Any], what: str, seconds: float = 20, interval: float = 0.1
) -> Any:
    """Poll until `condition()` returns something truthy, since events travel later."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def wait_for_email(
    campus: RunningCampus,
    to: str,
    subject_contains: str,
    text_contains: str = "",
    seconds: float = 20,
) -> Email:
    """Return the newest email to `to` whose subject and text contain the given parts.

    Pass the mission id as `text_contains` for a recipient who gets emails
    about several missions, so that an older email cannot match.
    """

    def find() -> Email | None:
        for email in campus.mailbox():
            if (
                email["to"] == to
                and subject_contains in email["subject"]
                and text_contains in email["text"]
            ):
                return email
        return None

    found: Email = wait_for(
        find, f"an email to {to} about {subject_contains!r}", seconds
    )
    return found
