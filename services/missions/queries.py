"""Reads of the missions read model."""

from __future__ import annotations

import datetime as dt

from services.missions.domain import Mission
from shared.platform.actors import Actor
from shared.platform.db import Database


class MissionQueries:
    def __init__(self, database: Database) -> None:
        self._database = database

    def visible_missions(
        self, actor: Actor, status: str | None, program_id: str | None
    ) -> list[Mission]:
        clauses, params = [], []
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
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._database.transaction() as tx:
            rows = tx.fetchall(
                f"SELECT document FROM mission_view {where} ORDER BY id", params
            )
        missions = [Mission.model_validate_json(row["document"]) for row in rows]
        return sorted(missions, key=_last_change, reverse=True)


def _last_change(mission: Mission) -> dt.datetime:
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    return mission.updated_at or mission.created_at or oldest
