"""The record of every email: queued by event handlers, sent by the sender.

An email's key is (event id, kind, recipient), so handling an event twice
queues nothing new. The same table is the sent-mail record the career
service reads, and in the embedded mode it is the mailbox.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.notifications.compose import ComposedEmail
from services.notifications.rules import OutgoingEmail
from shared.platform.db import Database, Transaction

MAX_ATTEMPTS = 8


def create_schema(database: Database) -> None:
    with database.transaction() as tx:
        tx.execute(
            """CREATE TABLE IF NOT EXISTS emails (
                id TEXT PRIMARY KEY,
                idempotency_key TEXT NOT NULL UNIQUE,
                mission_id TEXT,
                kind TEXT NOT NULL,
                recipient TEXT NOT NULL,
                language TEXT NOT NULL,
                subject TEXT NOT NULL,
                text_body TEXT NOT NULL,
                html_body TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                queued_at TEXT NOT NULL,
                next_attempt_at TEXT NOT NULL,
                sent_at TEXT,
                in_mailbox INTEGER NOT NULL DEFAULT 1)"""
        )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def queue(
    tx: Transaction,
    event_id: str,
    mission_id: str | None,
    email: OutgoingEmail,
    composed: ComposedEmail,
) -> None:
    now = _now()
    tx.execute(
        """INSERT INTO emails (id, idempotency_key, mission_id, kind, recipient,
            language, subject, text_body, html_body, status, queued_at, next_attempt_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
            ON CONFLICT (idempotency_key) DO NOTHING""",
        (
            str(uuid.uuid4()),
            f"{event_id}:{email.kind}:{email.to}",
            mission_id,
            email.kind,
            email.to,
            email.language,
            composed.subject,
            composed.text,
            composed.html,
            now,
            now,
        ),
    )


def due(database: Database, limit: int = 20) -> list[dict[str, Any]]:
    with database.transaction() as tx:
        return tx.fetchall(
            "SELECT * FROM emails WHERE status = 'pending' AND next_attempt_at <= ? "
            "ORDER BY queued_at LIMIT ?",
            (_now(), limit),
        )


def mark_sent(database: Database, email_id: str) -> None:
    with database.transaction() as tx:
        tx.execute(
            "UPDATE emails SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
            "last_error = NULL WHERE id = ?",
            (_now(), email_id),
        )


def mark_failed(database: Database, email_id: str, attempts: int, error: str) -> None:
    """Schedule another try with exponential backoff, or give up after MAX_ATTEMPTS."""
    delay = dt.timedelta(seconds=min(2**attempts * 5, 3600))
    next_attempt = (dt.datetime.now(dt.UTC) + delay).isoformat()
    status = "failed" if attempts + 1 >= MAX_ATTEMPTS else "pending"
    with database.transaction() as tx:
        tx.execute(
            "UPDATE emails SET status = ?, attempts = attempts + 1, last_error = ?, "
            "next_attempt_at = ? WHERE id = ?",
            (status, error[:500], next_attempt, email_id),
        )


def listing(
    database: Database, *, mission_id: str | None = None, mailbox_only: bool = False
) -> list[dict[str, Any]]:
    clauses, params = [], []
    if mission_id:
        clauses.append("mission_id = ?")
        params.append(mission_id)
    if mailbox_only:
        clauses.append("status = 'sent' AND in_mailbox = 1")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with database.transaction() as tx:
        return tx.fetchall(
            f"SELECT * FROM emails {where} "
            "ORDER BY COALESCE(sent_at, queued_at) DESC, id",
            params,
        )


def empty_mailbox(database: Database) -> None:
    with database.transaction() as tx:
        tx.execute("UPDATE emails SET in_mailbox = 0 WHERE in_mailbox = 1")
