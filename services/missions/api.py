"""HTTP routes of the missions service, at the paths the gateway publishes."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from services.missions.application import MissionCommands
from services.missions.domain import Mission, Status
from services.missions.presenters import present, present_for_company
from services.missions.queries import MAX_PAGE
from shared.events.fields import CountryCode, IsoDate
from shared.events.fields import Message as MessageText
from shared.events.sections import SECTION_MODELS
from shared.platform.actors import Actor, CurrentActor, require_role
from shared.platform.csvexport import to_csv
from shared.platform.errors import InvalidFieldError
from shared.platform.links import read_link, used_link_error

router = APIRouter(prefix="/api/v1")


class Body_(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateMission(Body_):
    program_id: str
    commitment_accepted: bool


class SetDates(Body_):
    start_date: IsoDate = Field(description="First day, as YYYY-MM-DD.")
    end_date: IsoDate = Field(description="Last day, as YYYY-MM-DD.")
    location: Literal["france", "abroad"]
    country: CountryCode = Field(description="ISO 3166-1 alpha-2 code, FR for France.")
    request_derogation: StrictBool = False
    message: MessageText | None = Field(
        None, description="Why a derogation is needed, for the career service."
    )


class Message(Body_):
    message: MessageText | None = None


class Reason(Body_):
    reason: MessageText | None = None


class ProgramRules(Body_):
    """The rules to change; the others stay as they are."""

    earliest_start: IsoDate | None = None
    latest_end: IsoDate | None = None
    min_weeks: int | None = Field(None, ge=0)
    max_weeks: int | None = Field(None, ge=1)
    internship_type: Literal["short", "long"] | None = None
    lead_time_france_days: int | None = Field(None, ge=0)
    lead_time_abroad_days: int | None = Field(None, ge=0)
    allows_one_day: StrictBool | None = None
    allows_overlap: StrictBool | None = None


class Capacity(Body_):
    capacity: int = Field(ge=0, description="Missions the tutor can follow at once.")


class TutorChoice(Body_):
    email: str = Field(description="The new tutor's email, a tutor of the program.")
    reason: MessageText | None = None
    force: StrictBool = Field(
        False, description="Assign even if the tutor is at capacity."
    )


MissionJSON = dict[str, Any]


def _commands(request: Request) -> MissionCommands:
    # Rules an admin changed, here or on another replica, apply at once.
    request.app.state.program_commands.refresh()
    commands: MissionCommands = request.app.state.commands
    return commands


def _present(request: Request, mission: Mission) -> MissionJSON:
    return _present_all(request, [mission])[0]


def _present_all(request: Request, missions: Sequence[Mission]) -> list[MissionJSON]:
    """Present a list with one read of the students' other missions, not one each."""
    commands = _commands(request)
    figures = request.app.state.figures
    counted = figures.counted_by_student(missions) if len(missions) > 1 else {}
    today = commands.today()
    return [
        present(
            mission,
            commands.program(mission.program_id),
            request.app.state.school,
            figures.public_figures(mission, counted.get(mission.student_email)),
            today,
        )
        for mission in missions
    ]


def _present_for_company(request: Request, mission: Mission) -> MissionJSON:
    return present_for_company(_present(request, mission))


@router.get("/programs")
def list_programs(request: Request, actor: CurrentActor) -> list[dict[str, Any]]:
    return [p.model_dump(mode="json") for p in _commands(request).programs.values()]


@router.get("/programs/{program_id}/tutors")
def program_tutors(
    request: Request, actor: CurrentActor, program_id: str
) -> list[dict[str, Any]]:
    """List the program's tutors with their capacity and current load."""
    require_role(actor, "career_service", "admin")
    return _tutors_with_load(request, program_id)


def _tutors_with_load(request: Request, program_id: str) -> list[dict[str, Any]]:
    commands = _commands(request)
    program = commands.program(program_id)
    loads = commands.tutor_loads(program)
    return [
        {**tutor.model_dump(mode="json"), "load": loads[tutor.email]}
        for tutor in program.tutors
    ]


@router.put("/programs/{program_id}")
def change_program_rules(
    request: Request, actor: CurrentActor, program_id: str, body: ProgramRules
) -> dict[str, Any]:
    """Change some of a program's rules (admin); sheets already dated keep theirs."""
    rules = body.model_dump(exclude_unset=True)
    program = request.app.state.program_commands.change_rules(actor, program_id, rules)
    result: dict[str, Any] = program.model_dump(mode="json")
    return result


@router.put("/programs/{program_id}/tutors/{tutor_email}")
def change_tutor_capacity(
    request: Request,
    actor: CurrentActor,
    program_id: str,
    tutor_email: str,
    body: Capacity,
) -> list[dict[str, Any]]:
    """Change a tutor's capacity in a program (admin); returns the tutors' loads."""
    request.app.state.program_commands.change_capacity(
        actor, program_id, tutor_email, body.capacity
    )
    return _tutors_with_load(request, program_id)


@router.post("/missions", status_code=201)
def create_mission(
    request: Request, actor: CurrentActor, body: CreateMission
) -> MissionJSON:
    mission = _commands(request).create(
        actor, body.program_id, body.commitment_accepted
    )
    return _present(request, mission)


# Missions read, presented and sent at a time when a whole list streams.
STREAM_CHUNK = 200


@dataclass(frozen=True)
class _Listing:
    """The missions of a whole list, chosen before its first byte is sent."""

    actor: Actor
    status: str | None
    program_id: str | None
    ids: list[str]


def _listing(
    request: Request, actor: Actor, status: str | None, program_id: str | None
) -> _Listing:
    ids = request.app.state.queries.visible_ids(actor, status, program_id)
    return _Listing(actor, status, program_id, ids)


def _presented_chunks(
    request: Request, listing: _Listing
) -> Iterator[list[MissionJSON]]:
    """Present a listing's missions a chunk at a time, as they are when read.

    A mission that no longer matches when its chunk is read (given to another
    tutor, a new status, removed) is left out. None is sent twice.
    """
    queries = request.app.state.queries
    for start in range(0, len(listing.ids), STREAM_CHUNK):
        missions = queries.missions_by_ids(
            listing.ids[start : start + STREAM_CHUNK],
            listing.actor,
            listing.status,
            listing.program_id,
        )
        yield _present_all(request, missions)


def _stream_list(request: Request, listing: _Listing) -> Iterator[str]:
    """Write a JSON array of missions, a chunk at a time."""
    yield "["
    separator = ""
    for presented in _presented_chunks(request, listing):
        items = [
            json.dumps(mission, ensure_ascii=False, separators=(",", ":"))
            for mission in presented
        ]
        if items:
            # One write per chunk: each one crosses from the worker thread.
            yield separator + ",".join(items)
            separator = ","
    yield "]"


@router.get("/missions", response_model=list[MissionJSON])
def list_missions(
    request: Request,
    response: Response,
    actor: CurrentActor,
    status: Annotated[Status | None, Query()] = None,
    program_id: Annotated[str | None, Query()] = None,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_PAGE,
            description="A page of at most this many missions; all if left out.",
        ),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Where the page starts: the cursor of the previous "
            'page\'s `Link: <...>; rel="next"` header.',
        ),
    ] = None,
) -> Any:
    """List the missions the caller may see, last changed first.

    With `limit`, a page; the `Link` header's `rel="next"` address gives the
    next page, and is absent on the last one. A mission that changes while a
    client walks the pages moves to the front of the list, before the
    cursor, so the walk does not return it. Without `limit`, every mission
    comes, streamed a chunk at a time, from ids chosen before the first byte.
    """
    if limit is None and cursor is not None:
        raise InvalidFieldError(
            "cursor needs a limit: follow the previous page's Link header, "
            "which keeps the limit",
            field="cursor",
        )
    if limit is None:
        listing = _listing(request, actor, status, program_id)
        return StreamingResponse(
            _stream_list(request, listing), media_type="application/json"
        )
    page = request.app.state.queries.visible_missions(
        actor, status, program_id, limit, cursor
    )
    if page.next_cursor is not None:
        following = {
            **{key: value for key, value in request.query_params.items()},
            "cursor": page.next_cursor,
        }
        response.headers["link"] = (
            f'</api/v1/missions?{urlencode(following)}>; rel="next"'
        )
    return _present_all(request, page.missions)


@router.get("/missions/counts")
def count_missions(
    request: Request,
    actor: CurrentActor,
    program_id: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    """Count the missions the caller may see, in all and by status."""
    by_status = request.app.state.queries.counts(actor, program_id)
    return {"total": sum(by_status.values()), "by_status": by_status}


EXPORT_COLUMNS = (
    "reference",
    "id",
    "status",
    "student",
    "student_email",
    "program_id",
    "start_date",
    "end_date",
    "location",
    "country",
    "organisation",
    "tutor",
    "deadline",
    "presence_hours",
    "presence_days",
    "presence_months",
    "allowance_required",
    "minimum_monthly_allowance",
    "monthly_allowance",
)


def _export_row(mission: MissionJSON) -> dict[str, Any]:
    sections = mission["sections"]
    return {
        **{column: mission.get(column) for column in EXPORT_COLUMNS},
        "student": mission["student"]["name"],
        "student_email": mission["student"]["email"],
        "organisation": sections["organisation"].get("name"),
        "tutor": (mission["tutor"] or {}).get("name"),
        "monthly_allowance": sections["terms"].get("monthly_allowance"),
    }


@router.get("/missions/export.csv", response_class=Response)
def export_missions(
    request: Request,
    actor: CurrentActor,
    status: Annotated[Status | None, Query()] = None,
    program_id: Annotated[str | None, Query()] = None,
) -> Response:
    """Export the filtered missions as CSV, one row each, for the career service."""
    require_role(actor, "career_service", "admin")
    listing = _listing(request, actor, status, program_id)
    return StreamingResponse(
        _stream_csv(request, listing),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="missions.csv"'},
    )


def _stream_csv(request: Request, listing: _Listing) -> Iterator[str]:
    """Write the export a chunk of missions at a time, header first."""
    yield to_csv(EXPORT_COLUMNS, [])
    for presented in _presented_chunks(request, listing):
        rows = [_export_row(mission) for mission in presented]
        yield to_csv(EXPORT_COLUMNS, rows, header=False)


@router.get("/missions/{mission_id}")
def get_mission(request: Request, actor: CurrentActor, mission_id: str) -> MissionJSON:
    return _present(request, _commands(request).load_visible(actor, mission_id))


@router.put("/missions/{mission_id}/dates")
def set_dates(
    request: Request, actor: CurrentActor, mission_id: str, body: SetDates
) -> MissionJSON:
    mission = _commands(request).set_dates(
        actor,
        mission_id,
        body.start_date,
        body.end_date,
        body.location,
        body.country,
        body.request_derogation,
        body.message,
    )
    return _present(request, mission)


# The body's shape depends on the section named in the path; the schema lists
# each section's fields, and the command validates against the right one.
SECTION_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {**model.model_json_schema(), "title": f"{name} section"}
                        for name, model in SECTION_MODELS.items()
                    ]
                }
            }
        },
    }
}


@router.put("/missions/{mission_id}/sections/{name}", openapi_extra=SECTION_BODY)
def save_section(
    request: Request,
    actor: CurrentActor,
    mission_id: str,
    name: str,
    fields: Annotated[dict[str, Any], Body()],
) -> MissionJSON:
    mission = _commands(request).save_section(actor, mission_id, name, fields)
    return _present(request, mission)


@router.post("/missions/{mission_id}/submit")
def submit(request: Request, actor: CurrentActor, mission_id: str) -> MissionJSON:
    return _present(request, _commands(request).submit(actor, mission_id))


@router.post("/missions/{mission_id}/derogation/approve")
def approve_derogation(
    request: Request, actor: CurrentActor, mission_id: str, body: Message
) -> MissionJSON:
    mission = _commands(request).decide_derogation(
        actor, mission_id, True, body.message or ""
    )
    return _present(request, mission)


@router.post("/missions/{mission_id}/derogation/reject")
def reject_derogation(
    request: Request, actor: CurrentActor, mission_id: str, body: Message
) -> MissionJSON:
    mission = _commands(request).decide_derogation(
        actor, mission_id, False, body.message or ""
    )
    return _present(request, mission)


@router.post("/missions/{mission_id}/cancel")
def cancel(
    request: Request, actor: CurrentActor, mission_id: str, body: Reason
) -> MissionJSON:
    mission = _commands(request).cancel(actor, mission_id, body.reason or "")
    return _present(request, mission)


@router.post("/missions/{mission_id}/confirm")
def confirm(
    request: Request, actor: CurrentActor, mission_id: str, body: Message | None = None
) -> MissionJSON:
    message = body.message if body else None
    return _present(request, _commands(request).confirm(actor, mission_id, message))


@router.post("/missions/{mission_id}/return-to-company")
def return_to_company(
    request: Request, actor: CurrentActor, mission_id: str, body: Message
) -> MissionJSON:
    mission = _commands(request).return_to_company(
        actor, mission_id, body.message or ""
    )
    return _present(request, mission)


@router.post("/missions/{mission_id}/tutor/approve")
def tutor_approve(
    request: Request, actor: CurrentActor, mission_id: str
) -> MissionJSON:
    mission = _commands(request).tutor_decide(actor, mission_id, True, None)
    return _present(request, mission)


@router.post("/missions/{mission_id}/tutor/refuse")
def tutor_refuse(
    request: Request, actor: CurrentActor, mission_id: str, body: Reason
) -> MissionJSON:
    mission = _commands(request).tutor_decide(actor, mission_id, False, body.reason)
    return _present(request, mission)


@router.post("/missions/{mission_id}/approve")
def approve(request: Request, actor: CurrentActor, mission_id: str) -> MissionJSON:
    commands = _commands(request)
    current = commands.load(mission_id)
    snapshot = _present(request, current.model_copy(update={"status": "approved"}))
    return _present(request, commands.approve(actor, mission_id, snapshot))


@router.post("/missions/{mission_id}/send-back")
def send_back(
    request: Request, actor: CurrentActor, mission_id: str, body: Reason
) -> MissionJSON:
    mission = _commands(request).send_back(actor, mission_id, body.reason or "")
    return _present(request, mission)


@router.put("/missions/{mission_id}/supervisor")
def change_supervisor(
    request: Request,
    actor: CurrentActor,
    mission_id: str,
    fields: Annotated[dict[str, Any], Body()],
) -> MissionJSON:
    """Change the supervisor at any time (career service); fresh links follow."""
    mission = _commands(request).change_supervisor(actor, mission_id, fields)
    return _present(request, mission)


@router.put("/missions/{mission_id}/tutor")
def reassign_tutor(
    request: Request, actor: CurrentActor, mission_id: str, body: TutorChoice
) -> MissionJSON:
    """Give the mission to another tutor of its program (career service)."""
    mission = _commands(request).reassign_tutor(
        actor, mission_id, body.email, body.reason, body.force
    )
    return _present(request, mission)


@router.post("/missions/{mission_id}/abroad/acknowledge")
def acknowledge_abroad_steps(
    request: Request, actor: CurrentActor, mission_id: str
) -> MissionJSON:
    """Record that the student read the abroad steps; repeating it changes nothing."""
    mission = _commands(request).acknowledge_abroad_steps(actor, mission_id)
    return _present(request, mission)


@router.post("/missions/{mission_id}/convention/originals-received")
def record_originals(
    request: Request, actor: CurrentActor, mission_id: str
) -> MissionJSON:
    """Record that the three signed copies arrived; repeating it changes nothing."""
    return _present(request, _commands(request).record_originals(actor, mission_id))


# The company's side: no account, a signed link for one mission and purpose.

COMPANY_PURPOSE = "company_completion"


def _company_mission(request: Request, token: str) -> Mission:
    settings = request.app.state.settings
    claims = read_link(
        token,
        settings.secret_key,
        purpose=COMPANY_PURPOSE,
        max_age_seconds=settings.company_link_days * 86400,
    )
    mission = _commands(request).load(claims.mission_id)
    if claims.round != mission.company_round or mission.status != "sent_to_company":
        raise used_link_error(
            "this link was already used or replaced by a newer one; "
            "use the latest email from Campus",
            claims,
        )
    return mission


@router.get("/company/{token}/mission")
def company_mission(request: Request, token: str) -> MissionJSON:
    mission = _company_mission(request, token)
    return _present_for_company(request, mission)


@router.put("/company/{token}/sections/{name}", openapi_extra=SECTION_BODY)
def company_save_section(
    request: Request, token: str, name: str, fields: Annotated[dict[str, Any], Body()]
) -> MissionJSON:
    mission = _company_mission(request, token)
    saved = _commands(request).company_save_section(mission, name, fields)
    return _present_for_company(request, saved)


@router.post("/company/{token}/validate")
def company_validate(request: Request, token: str) -> MissionJSON:
    mission = _company_mission(request, token)
    validated = _commands(request).company_validate(mission)
    return _present_for_company(request, validated)
