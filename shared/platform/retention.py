"""The retention job: each service deletes what it keeps past its period.

Periods are `CAMPUS_RETENTION_DAYS`, one per kind of data. Each service that
keeps such data runs its part of the job every `retention_check_seconds`
by its own clock, and at once when the development clock is moved.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import structlog

from shared.platform.clock import Clock

log = structlog.get_logger()

Apply = Callable[[dt.datetime], int]


class RetentionJob:
    """Run `apply(now)`, which removes data past its period and counts it."""

    def __init__(
        self, service: str, apply: Apply, clock: Clock, interval_seconds: float
    ) -> None:
        self.service = service
        self._apply = apply
        self._clock = clock
        self._interval = interval_seconds

    def run_now(self) -> int:
        removed = self._apply(self._clock.now())
        if removed:
            log.info("retention.applied", service=self.service, removed=removed)
        return removed

    async def run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.run_now)
            except Exception:
                log.exception("retention.failed", service=self.service)
            await asyncio.sleep(self._interval)


def cutoff(now: dt.datetime, days: int) -> dt.datetime | None:
    """Return the moment before which data of a `days` period is past; None if kept."""
    return None if days <= 0 else now - dt.timedelta(days=days)
