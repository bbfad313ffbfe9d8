"""Fixtures of the end-to-end tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.harness.campus import RunningCampus


@pytest.fixture
def move_clock(campus: RunningCampus) -> Iterator[Callable[[dt.datetime], None]]:
    """Move the scheduling services' clocks; put them back to the real time after."""
    http = httpx.Client(base_url=campus.base_url, timeout=30)

    def move(moment: dt.datetime) -> None:
        response = http.put("/api/v1/dev/clock", json={"now": moment.isoformat()})
        assert response.status_code == 200, response.text

    yield move
    move(dt.datetime.now(dt.UTC))
