"""The evaluations service's share of a person's export: their missions' files."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from services.evaluations import projections
from shared.platform.people import Person, people_router


def export_extra(request: Request, person: Person) -> dict[str, Any]:
    if not person.missions:
        return {"evaluations": []}
    marks = ", ".join("?" * len(person.missions))
    with request.app.state.store.database.transaction() as tx:
        rows = tx.fetchall(
            f"SELECT document FROM {projections.TABLE} "
            f"WHERE mission_id IN ({marks}) ORDER BY mission_id",
            tuple(person.missions),
        )
    return {"evaluations": [json.loads(row["document"]) for row in rows]}


export_router = people_router(export_extra)
