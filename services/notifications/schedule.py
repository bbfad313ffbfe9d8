"""Emails due later: reminders, alerts, lead-time warnings and dated mailings.

Events plan jobs in the `scheduled_emails` table, each with a due time and a
key naming what it is for, so planning from a replayed event changes nothing.
A later event cancels the jobs it makes pointless (the company validated, the
mission was approved) or plans them again (the dates changed). The scheduler
sends a job once it is due and only if the mission still needs it then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shared.events.base import EventEnvelope
from shared.platform.dates import add_months
from shared.platform.db import Database, Transaction, schema_transaction

SENT_TO_COMPANY = "sent_to_company"


@dataclass(frozen=True)
class ReminderPolicy:
    every_days: int = 3
    reminders: int = 3
    lead_time_warning_days: int = 5
    deposit_closing_warning_days: int = 7


@dataclass(frozen=True)
class Job:
    kind: str
    due_at: dt.datetime
    group: str
    """Jobs planned together and cancelled together, for example company reminders."""
    detail: str = ""


def create_schema(database: Database) -> None:
    with schema_transaction(database) as tx:
        tx.execute(
            """CREATE TABLE IF NOT EXISTS scheduled_emails (
                key TEXT PRIMARY KEY,
                mission_id TEXT NOT NULL,
                job_group TEXT NOT NULL,
                kind TEXT NOT NULL,
                due_at TEXT NOT NULL,
                status TEXT NOT NULL,
                detail TEXT NOT NULL DEFAULT '')"""
        )


def _at_morning(day: str | dt.date) -> dt.datetime:
    """Jobs tied to a date fall due at 06:00 UTC that day (8:00 in Paris in summer)."""
    date = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return dt.datetime.combine(date, dt.time(6, 0), tzinfo=dt.UTC)


def _reminders(
    start: dt.datetime, group: str, kind: str, policy: ReminderPolicy, detail: str = ""
) -> list[Job]:
    """Plan the reminders after `start`, then the career service's alert."""
    every = dt.timedelta(days=policy.every_days)
    jobs = [
        Job(f"{kind}_reminder", start + every * number, group, f"{detail}#{number}")
        for number in range(1, policy.reminders + 1)
    ]
    alert_at = start + every * (policy.reminders + 1)
    jobs.append(Job(f"{kind}_alert", alert_at, group, detail))
    return jobs


def plan(
    envelope: EventEnvelope, contacts: dict[str, Any], policy: ReminderPolicy
) -> tuple[list[str], list[Job]]:
    """Return the job groups an event cancels and the jobs it plans."""
    data, at = envelope.data, envelope.occurred_at
    match envelope.event_type:
        case "MissionSentToCompany":
            round_ = str(data["company_round"])
            return ["company"], _reminders(at, "company", "company", policy, round_)
        case "CompanyCompleted":
            return ["company"], []
        case "StudentConfirmed":
            return ["tutor"], _reminders(at, "tutor", "tutor", policy, str(at))
        case "TutorApproved" | "TutorRefused":
            return ["tutor"], []
        case "DatesSet" | "DerogationRequested":
            return ["dates", "lead_time", "evaluation"], _dated_jobs(data, policy)
        case "DerogationRejected":
            return ["dates", "lead_time", "evaluation"], []
        case "SupervisorChanged" if not data.get("email_changed", True):
            return [], []
        case "SupervisorChanged" if data["status"] == SENT_TO_COMPANY:
            round_ = str(data["company_round"])
            reminders = _reminders(at, "company", "company", policy, round_)
            return ["company", "evaluation"], reminders + _evaluation_job(contacts, at)
        case "SupervisorChanged":
            return ["evaluation"], _evaluation_job(contacts, at)
        case "MissionApproved":
            return ["lead_time"], []
        case "MissionCancelled":
            groups = ["company", "tutor", "dates", "lead_time", "deposit", "evaluation"]
            return groups, []
        case "ReportDepositScheduled":
            return ["deposit"], _deposit_jobs(data, policy)
        case "ReportApproved":
            return ["deposit"], []
        case "DepositReopened":
            return ["deposit"], _closing_job(data["until"], policy)
    return [], []


def _dated_jobs(data: dict[str, Any], policy: ReminderPolicy) -> list[Job]:
    end = dt.date.fromisoformat(data["end_date"])
    deadline = dt.date.fromisoformat(data["deadline"])
    warn_on = deadline - dt.timedelta(days=policy.lead_time_warning_days)
    month_before = _at_morning(add_months(end, -1))
    return [
        Job("self_evaluation_invitation", month_before, "dates", data["end_date"]),
        Job("synthesis_invitation", month_before, "dates", data["end_date"]),
        Job("company_evaluation_invitation", month_before, "evaluation", "1"),
        Job("lead_time_warning", _at_morning(warn_on), "lead_time", data["deadline"]),
    ]


def _evaluation_job(contacts: dict[str, Any], now: dt.datetime) -> list[Job]:
    """Plan a new supervisor's evaluation link: on its usual day, or now if past."""
    if not contacts.get("end_date"):
        return []
    usual = _at_morning(add_months(dt.date.fromisoformat(contacts["end_date"]), -1))
    detail = str(contacts.get("supervisor_round", 1))
    return [Job("company_evaluation_invitation", max(usual, now), "evaluation", detail)]


def _deposit_jobs(data: dict[str, Any], policy: ReminderPolicy) -> list[Job]:
    opening = Job(
        "deposit_open", _at_morning(data["opens_on"]), "deposit", data["opens_on"]
    )
    return [opening, *_closing_job(data["closes_on"], policy)]


def _closing_job(closes_on: str, policy: ReminderPolicy) -> list[Job]:
    closes = dt.date.fromisoformat(closes_on)
    warn_on = closes - dt.timedelta(days=policy.deposit_closing_warning_days)
    return [Job("deposit_closing", _at_morning(warn_on), "deposit", closes_on)]


def apply_plan(
    tx: Transaction, mission_id: str, cancelled: Iterable[str], jobs: Iterable[Job]
) -> None:
    """Cancel the pending jobs of the groups named, then add the new jobs once."""
    for group in cancelled:
        tx.execute(
            "UPDATE scheduled_emails SET status = 'cancelled' "
            "WHERE mission_id = ? AND job_group = ? AND status = 'pending'",
            (mission_id, group),
        )
    for job in jobs:
        key = f"{mission_id}:{job.kind}:{job.detail}"
        tx.execute(
            """INSERT INTO scheduled_emails
                (key, mission_id, job_group, kind, due_at, status, detail)
                VALUES (?, ?, ?, ?, ?, 'pending', ?)
                ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at,
                status = 'pending', job_group = excluded.job_group
                WHERE scheduled_emails.status = 'cancelled'""",
            (key, mission_id, job.group, job.kind, job.due_at.isoformat(), job.detail),
        )


def due_keys(database: Database, now: dt.datetime, limit: int = 50) -> list[str]:
    with database.transaction() as tx:
        rows = tx.fetchall(
            "SELECT key FROM scheduled_emails WHERE status = 'pending' AND due_at <= ? "
            "ORDER BY due_at LIMIT ?",
            (now.isoformat(), limit),
        )
    return [str(row["key"]) for row in rows]


def claim(tx: Transaction, key: str) -> dict[str, Any] | None:
    """Mark a due job done inside the caller's transaction; None if another took it.

    Two replicas may see the same due job. The conditional update lets only
    one of them have it, and the email it queues commits with that update.
    """
    taken = tx.execute(
        "UPDATE scheduled_emails SET status = 'done' "
        "WHERE key = ? AND status = 'pending'",
        (key,),
    )
    if taken != 1:
        return None
    return tx.fetchone("SELECT * FROM scheduled_emails WHERE key = ?", (key,))


def listing(database: Database, mission_id: str) -> list[dict[str, Any]]:
    with database.transaction() as tx:
        return tx.fetchall(
            "SELECT * FROM scheduled_emails WHERE mission_id = ? ORDER BY due_at, key",
            (mission_id,),
        )
