"""The loop that sends scheduled emails once they fall due."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from services.notifications import contacts as contacts_projection
from services.notifications import outbox, schedule
from services.notifications.compose import compose
from services.notifications.jobs import emails_for_job, still_needed
from shared.platform.clock import Clock
from shared.platform.db import Database
from shared.platform.settings import Settings

log = structlog.get_logger()


class Scheduler:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        settings: Settings,
        on_queued: Callable[[], None],
        interval_seconds: float = 1.0,
    ) -> None:
        self._database = database
        self._clock = clock
        self._settings = settings
        self._on_queued = on_queued
        self._interval = interval_seconds

    def run_due(self) -> int:
        """Send every job due by the clock's now; return how many were sent."""
        sent = 0
        for key in schedule.due_keys(self._database, self._clock.now()):
            sent += self._run_one(key)
        if sent:
            self._on_queued()
        return sent

    def _run_one(self, key: str) -> int:
        with self._database.transaction() as tx:
            job = schedule.claim(tx, key)
            if job is None:
                return 0
            contacts = contacts_projection.load(tx, job["mission_id"])
            if not still_needed(job, contacts, self._clock.now()):
                return 0
            for email in emails_for_job(job, contacts, self._settings):
                outbox.queue(
                    tx, f"job:{key}", job["mission_id"], email, compose(email, contacts)
                )
        log.info("email.scheduled_due", job=job["kind"], mission_id=job["mission_id"])
        return 1

    async def run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.run_due)
            except Exception:
                log.exception("email.scheduler_failed")
            await asyncio.sleep(self._interval)
