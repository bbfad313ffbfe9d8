"""The documents service's part in exports, erasures and retention: files.

An uploaded file's content is deleted when its owner is erased or when it is
older than the retention period of uploaded files; `removed_files` records
which and why, so that a download says so instead of reporting a lost file.
Its metadata stays, from the events, with personal values erased.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from fastapi import Request

from services.documents import agreements, uploads
from services.documents.storage import Storage
from shared.events.people import PersonErased
from shared.platform.db import Database
from shared.platform.people import Person, people_router
from shared.platform.retention import Apply, cutoff


def _uploads_of(
    database: Database, mission_ids: list[str], emails: list[str]
) -> list[dict[str, Any]]:
    clauses, params = [], []
    if mission_ids:
        clauses.append(f"mission_id IN ({', '.join('?' * len(mission_ids))})")
        params.extend(mission_ids)
    if emails:
        clauses.append(f"uploaded_by IN ({', '.join('?' * len(emails))})")
        params.extend(emails)
    if not clauses:
        return []
    with database.transaction() as tx:
        return tx.fetchall(
            f"SELECT * FROM uploaded_files WHERE {' OR '.join(clauses)} "
            "ORDER BY uploaded_at, file_id",
            params,
        )


def _student_missions(person: Person | PersonErased) -> list[str]:
    return sorted(
        mission_id
        for mission_id, roles in person.missions.items()
        if "student" in roles
    )


def _content(storage: Storage, kind: str, file_id: str) -> str | None:
    content = storage.read(kind, file_id)
    return base64.b64encode(content).decode() if content is not None else None


def export_extra(request: Request, person: Person) -> dict[str, Any]:
    """The person's files, with their content in base64, and agreements naming them."""
    database: Database = request.app.state.store.database
    storage: Storage = request.app.state.storage
    files = [
        {
            **uploads.present(row),
            "content_base64": _content(storage, row["kind"], row["file_id"]),
        }
        for row in _uploads_of(database, _student_missions(person), person.emails)
    ]
    agreement_files = [
        {
            "mission_id": mission_id,
            "media_type": "application/pdf",
            "content_base64": _content(storage, agreements.KIND, mission_id),
        }
        for mission_id in sorted(person.missions)
        if agreements.exists(database, mission_id)
    ]
    return {"files": files, "agreements": agreement_files}


def _remove(
    database: Database, storage: Storage, row: dict[str, Any], reason: str
) -> None:
    storage.delete(row["kind"], row["file_id"])
    with database.transaction() as tx:
        tx.execute(
            "INSERT INTO removed_files (file_id, reason, removed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (file_id) DO NOTHING",
            (row["file_id"], reason, dt.datetime.now(dt.UTC).isoformat()),
        )


def scrubber(database: Database, storage: Storage) -> Any:
    """Delete the files of an erased person: their uploads, agreements naming them."""

    def scrub(erased: PersonErased) -> None:
        for row in _uploads_of(database, _student_missions(erased), []):
            _remove(database, storage, row, "erased")
        # Every agreement names its student, supervisor and tutor.
        for mission_id in erased.missions:
            storage.delete(agreements.KIND, mission_id)

    return scrub


def expire_uploads(database: Database, storage: Storage, days: int) -> Apply:
    """Delete the content of files uploaded more than `days` ago."""

    def apply(now: dt.datetime) -> int:
        limit = cutoff(now, days)
        if limit is None:
            return 0
        with database.transaction() as tx:
            rows = tx.fetchall(
                "SELECT file_id, kind FROM uploaded_files WHERE uploaded_at < ? "
                "AND file_id NOT IN (SELECT file_id FROM removed_files)",
                (limit.isoformat(),),
            )
        for row in rows:
            _remove(database, storage, row, "retention")
        return len(rows)

    return apply


export_router = people_router(export_extra)
