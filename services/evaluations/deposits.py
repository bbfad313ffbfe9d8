"""Report deposits, scheduled when a mission is approved.

The deposit opens one month before the end date and closes three months
after it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from typing import Any

from shared.events.base import EventEnvelope
from shared.events.evaluations import ReportDepositScheduled
from shared.platform.db import Database, Transaction
from shared.platform.eventstore import EventStore, start_aggregate_once
from shared.platform.projection import Projection


def create_schema(database: Database) -> None:
    with database.transaction() as tx:
        tx.execute(
            """CREATE TABLE IF NOT EXISTS report_deposits (
                mission_id TEXT PRIMARY KEY, opens_on TEXT NOT NULL,
                closes_on TEXT NOT NULL, status TEXT NOT NULL)"""
        )


def add_months(day: dt.date, months: int) -> dt.date:
    """Move by whole months, clamping to the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate_day in range(day.day, 27, -1):
        try:
            return dt.date(year, month, candidate_day)
        except ValueError:
            continue
    return dt.date(year, month, min(day.day, 28))


def project(tx: Transaction, envelopes: Sequence[EventEnvelope]) -> None:
    for envelope in envelopes:
        if envelope.event_type != "ReportDepositScheduled":
            continue
        tx.execute(
            "INSERT INTO report_deposits (mission_id, opens_on, closes_on, status) "
            "VALUES (?, ?, ?, 'scheduled') ON CONFLICT (mission_id) DO NOTHING",
            (
                envelope.data["mission_id"],
                envelope.data["opens_on"],
                envelope.data["closes_on"],
            ),
        )


PROJECTION = Projection(table="report_deposits", key="mission_id", project=project)


def read(database: Database, mission_id: str) -> dict[str, Any] | None:
    with database.transaction() as tx:
        return tx.fetchone(
            "SELECT * FROM report_deposits WHERE mission_id = ?", (mission_id,)
        )


class DepositScheduler:
    def __init__(self, store: EventStore, on_append: object) -> None:
        self._store = store
        self._on_append = on_append

    async def handle(self, envelope: EventEnvelope) -> None:
        if envelope.event_type != "MissionApproved":
            return
        end_date = dt.date.fromisoformat(envelope.data["mission"]["end_date"])
        scheduled = ReportDepositScheduled(
            mission_id=envelope.aggregate_id,
            opens_on=add_months(end_date, -1),
            closes_on=add_months(end_date, 3),
        )
        appended = await asyncio.to_thread(
            start_aggregate_once,
            self._store,
            f"evaluation-{envelope.aggregate_id}",
            scheduled,
            envelope,
            project,
        )
        if appended and callable(self._on_append):
            self._on_append()
