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
from shared.platform.db import Database, Transaction, schema_transaction

MAX_ATTEMPTS = 8


def create_schema(database: Database) -> None:
    with schema_transaction(database) as tx:
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
                claimed_at TEXT,
                in_mailbox INTEGER NOT NULL DEFAULT 1)"""
        )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def queue(
    tx: Transaction,
    cause_id: str,
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
            f"{cause_id}:{email.kind}:{email.to}",
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


# A claim older than this is taken to belong to a replica that died mid-send.
STALE_CLAIM = dt.timedelta(minutes=5)


def due(database: Database, limit: int = 20) -> list[dict[str, Any]]:
    """List emails to send now: pending and due, or claimed by a dead sender."""
    now = dt.datetime.now(dt.UTC)
    with database.transaction() as tx:
        return tx.fetchall(
            "SELECT * FROM emails WHERE (status = 'pending' AND next_attempt_at <= ?) "
            "OR (status = 'sending' AND claimed_at <= ?) ORDER BY queued_at LIMIT ?",
            (now.isoformat(), (now - STALE_CLAIM).isoformat(), limit),
        )


def claim(database: Database, email: dict[str, Any]) -> bool:
    """Take an email for sending; False when another sender took it first.

    The update only succeeds while the row is as `due` read it, so two
    replicas reading the same email cannot both send it.
    """
    with database.transaction() as tx:
        taken = tx.execute(
            "UPDATE emails SET status = 'sending', claimed_at = ? "
            "WHERE id = ? AND status = ? AND COALESCE(claimed_at, '') = ?",
            (
                _now(),
                email["id"],
                email["status"],
                email["claimed_at"] or "",
            ),
        )
    return taken == 1


def mark_sent(database: Database, email_id: str) -> None:
    with database.transaction() as tx:
        tx.execute(
            "UPDATE emails SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
            "last_error = NULL WHERE id = ?",
            (_now(), email_id),
        )


def mark_failed(
    database: Database,
    email_id: str,
    attempts: int,
    error: str,
    base_delay: dt.timedelta = dt.timedelta(seconds=5),
) -> str:
    """Schedule another try with exponential backoff, or give up after MAX_ATTEMPTS.

    Return the new status: pending, or failed for the career service to see.
    """
    delay = min(base_delay * 2**attempts, dt.timedelta(hours=1))
    next_attempt = (dt.datetime.now(dt.UTC) + delay).isoformat()
    status = "failed" if attempts + 1 >= MAX_ATTEMPTS else "pending"
    with database.transaction() as tx:
        tx.execute(
            "UPDATE emails SET status = ?, attempts = attempts + 1, last_error = ?, "
            "next_attempt_at = ?, claimed_at = NULL WHERE id = ?",
            (status, error[:500], next_attempt, email_id),
        )
    return status


def retry(database: Database, email_id: str) -> bool:
    """Put a failed email back in the queue; False if there is no such failed email."""
    with database.transaction() as tx:
        changed = tx.execute(
            "UPDATE emails SET status = 'pending', attempts = 0, next_attempt_at = ? "
            "WHERE id = ? AND status = 'failed'",
            (_now(), email_id),
        )
    return changed == 1


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
