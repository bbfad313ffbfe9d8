"""HTTP routes of the evaluations service, called by the gateway only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.evaluations import deposits
from shared.platform.actors import CurrentActor

router = APIRouter(prefix="/internal")


@router.get("/evaluations/{mission_id}")
def evaluations(
    request: Request, actor: CurrentActor, mission_id: str
) -> dict[str, Any]:
    deposit = deposits.read(request.app.state.store.database, mission_id)
    report: dict[str, Any] = {"status": "not_scheduled", "versions": []}
    if deposit is not None:
        report = {
            "status": deposit["status"],
            "opens_on": deposit["opens_on"],
            "closes_on": deposit["closes_on"],
            "versions": [],
        }
    # TODO: self-evaluation, synthesis sheet and company evaluation forms are
    # not built yet; they are listed with the status not_started.
    return {
        "mission_id": mission_id,
        "report": report,
        "self_evaluation": {"status": "not_started"},
        "synthesis": {"status": "not_started"},
        "company_evaluation": {"status": "not_started"},
    }
