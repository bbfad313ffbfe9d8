"""The notifications service's part in exports and erasures: contacts and emails.

Emails are not events: their subject and body are kept in clear for the
sent-mail record and the mailbox. Erasing a person blanks every email of the
missions in which they had a role (any of them may name the person), blanks
the recipient where it was the person, and stops those not sent yet. The
retention job deletes emails older than the email log's period.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import Request

from services.notifications import contacts as contacts_projection
from shared.events.people import PersonErased
from shared.platform.db import Database
from shared.platform.people import Person, people_router
from shared.platform.personal import ERASED, normalise_email
from shared.platform.retention import Apply, cutoff

# The place of each role's addresses in a mission's contacts.
_ADDRESSES = {
    "student": (("student_email",), ("student", "email")),
    "supervisor": (("supervisor_email",), ("supervisor", "email")),
    "tutor": (("tutor_email",),),
}


def _addresses(contacts: dict[str, Any], roles: list[str]) -> set[str]:
    found: set[str] = set()
    for role in roles:
        for path in _ADDRESSES.get(role, ()):
            value: Any = contacts
            for part in path:
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, str) and value:
                found.add(normalise_email(value))
    return found


def scrubber(database: Database) -> Any:
    def scrub(erased: PersonErased) -> None:
        with database.transaction() as tx:
            for mission_id, roles in erased.missions.items():
                contacts = contacts_projection.load(tx, mission_id)
                for address in _addresses(contacts, roles):
                    # The once-only key names the recipient too.
                    tx.execute(
                        "UPDATE emails SET recipient = ?, "
                        "idempotency_key = 'erased:' || id "
                        "WHERE mission_id = ? AND LOWER(recipient) = ?",
                        (ERASED, mission_id, address),
                    )
                tx.execute(
                    "UPDATE emails SET subject = ?, text_body = ?, html_body = ?, "
                    "last_error = NULL, status = CASE WHEN status IN "
                    "('pending', 'sending', 'failed') THEN 'erased' ELSE status END "
                    "WHERE mission_id = ?",
                    (ERASED, ERASED, ERASED, mission_id),
                )

    return scrub


def export_extra(request: Request, person: Person) -> dict[str, Any]:
    """The person's missions' contacts, and the emails sent to the person."""
    database: Database = request.app.state.store.database
    with database.transaction() as tx:
        contacts = [
            contacts_projection.load(tx, mission_id)
            for mission_id in sorted(person.missions)
        ]
        emails = (
            tx.fetchall(
                "SELECT id, mission_id, kind, recipient, language, subject, "
                "text_body, status, queued_at, sent_at FROM emails WHERE "
                f"LOWER(recipient) IN ({', '.join('?' * len(person.emails))}) "
                "ORDER BY queued_at, id",
                tuple(person.emails),
            )
            if person.emails
            else []
        )
    return {
        "contacts": [json.loads(json.dumps(item, default=str)) for item in contacts],
        "emails": emails,
    }


export_router = people_router(export_extra)


def expire_emails(database: Database, days: int) -> Apply:
    """Delete emails of the sent-mail record older than `days`, sent or given up."""

    def apply(now: dt.datetime) -> int:
        limit = cutoff(now, days)
        if limit is None:
            return 0
        with database.transaction() as tx:
            removed = tx.execute(
                "DELETE FROM emails WHERE status IN ('sent', 'failed', 'erased') "
                "AND COALESCE(sent_at, queued_at) < ?",
                (limit.isoformat(),),
            )
        if removed:
            database.reclaim(["emails"])
        return removed

    return apply
