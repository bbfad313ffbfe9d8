"""Reads of the missions read model."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from services.missions.domain import Mission
from shared.platform.actors import Actor
from shared.platform.db import Database
from shared.platform.errors import InvalidFieldError

# Maximum number of missions on one page of a list.
MAX_PAGE = 500


@dataclass(frozen=True)
class Page:
    missions: list[Mission]
    # The cursor of the next page, or None on the last one.
    next_cursor: str | None


def encode_cursor(changed_at: str, mission_id: str) -> str:
    return base64.urlsafe_b64encode(f"{changed_at}|{mission_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    """Read a cursor sent back by a client, or raise if Campus did not write it."""
    try:
        changed_at, _, mission_id = (
            base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        )
    except (binascii.Error, UnicodeError, ValueError):
        changed_at, mission_id = "", ""
    if not _MISSION_ID.fullmatch(mission_id) or not _is_time(changed_at):
        raise InvalidFieldError(
            "cursor was not given by Campus: use the link of the previous "
            "page's Link header, or leave cursor out for the first page",
            field="cursor",
        )
    return changed_at, mission_id


_MISSION_ID = re.compile(r"[0-9A-Za-z-]{1,64}")


def _is_time(text: str) -> bool:
    """Tell whether `text` is a change time as `changed_at` stores it, or empty."""
    if not text:
        return True
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return text.isprintable()


class MissionQueries:
    def __init__(self, database: Database) -> None:
        self._database = database

    @staticmethod
    def _filters(
        actor: Actor, status: str | None, program_id: str | None
    ) -> tuple[list[str], list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        if actor.role == "student":
            clauses.append("student_email = ?")
            params.append(actor.email)
        elif actor.role == "tutor":
            clauses.append("tutor_email = ?")
            params.append(actor.email)
        if status:
            clauses.append("status = ?")
            params.append(status)
        if program_id:
            clauses.append("program_id = ?")
            params.append(program_id)
        return clauses, params

    def visible_missions(
        self,
        actor: Actor,
        status: str | None,
        program_id: str | None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page:
        """List the missions the actor may see, last changed first.

        Without a `limit` the list contains every such mission. With one, it
        is a page of at most `limit` missions after `cursor`.
        """
        clauses, params = self._filters(actor, status, program_id)
        if cursor is not None:
            changed_at, mission_id = decode_cursor(cursor)
            clauses.append("(changed_at < ? OR (changed_at = ? AND id < ?))")
            params += [changed_at, changed_at, mission_id]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = (
            f"SELECT document, changed_at FROM mission_view {where} "
            "ORDER BY changed_at DESC, id DESC"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit + 1)
        with self._database.read() as tx:
            rows = tx.fetchall(sql, params)
        next_cursor = None
        if limit is not None and len(rows) > limit:
            rows = rows[:limit]
            last = Mission.model_validate_json(rows[-1]["document"])
            next_cursor = encode_cursor(str(rows[-1]["changed_at"]), last.id)
        missions = [Mission.model_validate_json(row["document"]) for row in rows]
        return Page(missions, next_cursor)

    def visible_ids(
        self, actor: Actor, status: str | None, program_id: str | None
    ) -> list[str]:
        """List the ids of the missions the actor may see, last changed first."""
        clauses, params = self._filters(actor, status, program_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._database.read() as tx:
            rows = tx.fetchall(
                f"SELECT id FROM mission_view {where} "
                "ORDER BY changed_at DESC, id DESC",
                params,
            )
        return [str(row["id"]) for row in rows]

    def missions_by_ids(
        self,
        ids: Sequence[str],
        actor: Actor,
        status: str | None,
        program_id: str | None,
    ) -> list[Mission]:
        """Read these missions in the order of `ids`, if they still match.

        The actor's visibility and the filters apply again, so a mission
        that was given to another tutor, or changed status, since `ids` was
        read is left out, as is one removed since.
        """
        if not ids:
            return []
        clauses, params = self._filters(actor, status, program_id)
        clauses.append(f"id IN ({', '.join('?' for _ in ids)})")
        params += ids
        with self._database.read() as tx:
            rows = tx.fetchall(
                f"SELECT document FROM mission_view WHERE {' AND '.join(clauses)}",
                params,
            )
        found = {
            mission.id: mission
            for mission in (
                Mission.model_validate_json(row["document"]) for row in rows
            )
        }
        return [found[mission_id] for mission_id in ids if mission_id in found]

    def counts(self, actor: Actor, program_id: str | None) -> dict[str, int]:
        """Count the missions the actor may see, by status."""
        clauses, params = self._filters(actor, None, program_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._database.read() as tx:
            rows = tx.fetchall(
                f"SELECT status, COUNT(*) AS n FROM mission_view {where} "
                "GROUP BY status ORDER BY status",
                params,
            )
        return {str(row["status"]): int(row["n"]) for row in rows}
