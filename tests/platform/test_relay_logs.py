"""What the outbox relay logs while it keeps failing."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from shared.platform.runtime import RepeatedFailures


def test_failures_logged_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    seconds = iter([0.0, 1.0, 2.0, 31.0, 32.0])
    monkeypatch.setattr("shared.platform.runtime.time.monotonic", lambda: next(seconds))
    failures = RepeatedFailures("missions", interval=30)

    with capture_logs() as logs:
        for _ in range(5):
            try:
                raise ConnectionError("broker down")
            except ConnectionError:
                failures.failed()
        failures.succeeded()

    events = [entry["event"] for entry in logs]
    assert events == [
        "outbox.publish_failed",
        "outbox.publish_still_failing",
        "outbox.publish_resumed",
    ]
    assert logs[1]["attempts"] == 4
    assert logs[1]["seconds"] == 31
    assert logs[2]["attempts"] == 5
