"""HTTP routes of the evaluations service, called by the gateway only.

The gateway first checks, through the missions service, that the signed-in
user may see the mission; these routes check who may act.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, ConfigDict, Field

from services.evaluations import projections
from services.evaluations.commands import EvaluationCommands
from services.evaluations.domain import EvaluationFile
from services.evaluations.views import overview_row, present
from shared.events.fields import IsoDate
from shared.events.fields import Message as MessageText
from shared.platform.actors import CurrentActor, require_role
from shared.platform.links import read_link, used_link_error

router = APIRouter(prefix="/internal")
EVALUATION_PURPOSE = "company_evaluation"


class ReportFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file_id: str = Field(max_length=64)
    sha256: str = Field(min_length=64, max_length=64)


class Comment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: MessageText | None = None


class Reopen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    until: IsoDate


Answers = Annotated[
    dict[str, Any], Body(embed=True, description="Answers by question id.")
]
SubmittedAnswers = Annotated[
    dict[str, Any],
    Body(
        embed=True,
        default_factory=dict,
        description="Answers by question id; none submits the saved draft.",
    ),
]


def _commands(request: Request) -> EvaluationCommands:
    commands: EvaluationCommands = request.app.state.commands
    return commands


def _view(request: Request, file: EvaluationFile) -> dict[str, Any]:
    commands = _commands(request)
    return present(file, commands.catalogue, commands.today())


@router.get("/evaluations/{mission_id}")
def read_file(request: Request, actor: CurrentActor, mission_id: str) -> dict[str, Any]:
    return _view(request, _commands(request).load(mission_id))


@router.get("/evaluations/{mission_id}/deposit")
def deposit_state(
    request: Request, actor: CurrentActor, mission_id: str
) -> dict[str, Any]:
    """Refuse with 409 a report that would not be accepted, before it is stored."""
    _commands(request).check_report_accepted(actor, mission_id)
    return {"open": True}


@router.post("/evaluations/{mission_id}/report")
def submit_report(
    request: Request, actor: CurrentActor, mission_id: str, body: ReportFile
) -> dict[str, Any]:
    file = _commands(request).submit_report(
        actor, mission_id, body.file_id, body.sha256
    )
    return _view(request, file)


@router.post("/evaluations/{mission_id}/report/approve")
def approve_report(
    request: Request, actor: CurrentActor, mission_id: str, body: Comment
) -> dict[str, Any]:
    file = _commands(request).decide_report(actor, mission_id, True, body.comment)
    return _view(request, file)


@router.post("/evaluations/{mission_id}/report/refuse")
def refuse_report(
    request: Request, actor: CurrentActor, mission_id: str, body: Comment
) -> dict[str, Any]:
    file = _commands(request).decide_report(actor, mission_id, False, body.comment)
    return _view(request, file)


@router.post("/evaluations/{mission_id}/deposit/reopen")
def reopen_deposit(
    request: Request, actor: CurrentActor, mission_id: str, body: Reopen
) -> dict[str, Any]:
    file = _commands(request).reopen_deposit(actor, mission_id, body.until)
    return _view(request, file)


@router.put("/evaluations/{mission_id}/forms/{kind}")
def save_form(
    request: Request,
    actor: CurrentActor,
    mission_id: str,
    kind: str,
    answers: Answers,
) -> dict[str, Any]:
    file = _commands(request).fill_form(actor, mission_id, kind, answers, False)
    return _view(request, file)


@router.post("/evaluations/{mission_id}/forms/{kind}/submit")
def submit_form(
    request: Request,
    actor: CurrentActor,
    mission_id: str,
    kind: str,
    answers: SubmittedAnswers,
) -> dict[str, Any]:
    file = _commands(request).fill_form(actor, mission_id, kind, answers, True)
    return _view(request, file)


# The supervisor's evaluation, through the emailed link: no account.


def _linked_mission(request: Request, token: str) -> str:
    settings = request.app.state.settings
    claims = read_link(
        token,
        settings.secret_key,
        purpose=EVALUATION_PURPOSE,
        max_age_seconds=settings.evaluation_link_days * 86400,
    )
    file = _commands(request).load(claims.mission_id)
    if claims.round != file.supervisor_round:
        raise used_link_error(
            "this link was replaced: the career service sent a new one to the "
            "supervisor now named for this internship",
            claims,
        )
    return claims.mission_id


@router.get("/company-evaluation/{token}")
def company_evaluation(request: Request, token: str) -> dict[str, Any]:
    mission_id = _linked_mission(request, token)
    return _company_view(request, _commands(request).load(mission_id))


@router.put("/company-evaluation/{token}")
def save_company_evaluation(
    request: Request, token: str, answers: Answers
) -> dict[str, Any]:
    mission_id = _linked_mission(request, token)
    file = _commands(request).fill_form(
        None, mission_id, "company_evaluation", answers, False
    )
    return _company_view(request, file)


@router.post("/company-evaluation/{token}/submit")
def submit_company_evaluation(
    request: Request, token: str, answers: SubmittedAnswers
) -> dict[str, Any]:
    mission_id = _linked_mission(request, token)
    file = _commands(request).fill_form(
        None, mission_id, "company_evaluation", answers, True
    )
    return _company_view(request, file)


def _company_view(request: Request, file: EvaluationFile) -> dict[str, Any]:
    """Keep the company's own form only, not the student's report or forms."""
    view = _view(request, file)
    # The supervisor reads their own draft, hidden from the student and tutor.
    own = file.forms.get("company_evaluation")
    if view["company_evaluation"] is not None and own is not None:
        view["company_evaluation"]["answers"] = own.answers
    return {
        "mission_id": file.mission_id,
        "student_name": file.student_name,
        "supervisor_email": file.supervisor_email,
        "company_evaluation": view["company_evaluation"],
        "certificate_file_id": file.certificate_file_id,
    }


@router.get("/evaluations")
def overview(
    request: Request, actor: CurrentActor, program_id: str | None = None
) -> list[dict[str, Any]]:
    """List every file's report and form status, for the career service."""
    require_role(actor, "career_service", "admin")
    today = _commands(request).today()
    files = projections.all_files(request.app.state.store.database, program_id)
    return [overview_row(file, today) for file in files]
