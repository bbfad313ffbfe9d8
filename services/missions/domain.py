"""The mission sheet aggregate: its state, folded from its events."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.events import missions as ev
from shared.events.base import DomainEvent, EventEnvelope, decode

Status = Literal[
    "draft",
    "derogation_pending",
    "sent_to_company",
    "company_completed",
    "tutor_review",
    "career_service_review",
    "approved",
    "cancelled",
]


class HistoryEntry(BaseModel):
    type: str
    at: dt.datetime
    actor: str | None
    message: str | None = None
    request_id: str | None = Field(
        None, description="Id of the request that caused it, as in the logs."
    )


class Derogation(BaseModel):
    status: Literal["pending", "approved", "rejected"]
    start_date: dt.date
    end_date: dt.date
    reasons: list[str]
    request_message: str
    decision_message: str | None = None


class Mission(BaseModel):
    id: str
    version: int = 0
    status: Status = "draft"
    program_id: str = ""
    program_name: str = ""
    student_email: str = ""
    student_name: str = ""
    student_language: Literal["fr", "en"] = "fr"
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    location: Literal["france", "abroad"] | None = None
    country: str | None = None
    deadline: dt.date | None = None
    derogation: Derogation | None = None
    sections: dict[str, dict[str, Any]] = Field(default_factory=dict)
    company_round: int = 0
    supervisor_round: int = 1
    tutor_email: str | None = None
    tutor_name: str | None = None
    tutor_refusal: str | None = None
    send_back_reason: str | None = None
    cancel_reason: str | None = None
    abroad_steps_acknowledged_at: dt.datetime | None = None
    originals_received_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    history: list[HistoryEntry] = Field(default_factory=list)

    @property
    def language(self) -> Literal["fr", "en"]:
        """Language of the company's pages and emails: English by default abroad."""
        return "fr" if self.location == "france" else "en"

    def has_approved_derogation_for_dates(self) -> bool:
        if self.start_date is None or self.end_date is None:
            return False
        return self.derogation_covers(self.start_date, self.end_date)

    def derogation_covers(self, start_date: dt.date, end_date: dt.date) -> bool:
        """Tell whether an approved derogation was given for exactly these dates."""
        derogation = self.derogation
        return (
            derogation is not None
            and derogation.status == "approved"
            and derogation.start_date == start_date
            and derogation.end_date == end_date
        )


def _history_message(event: DomainEvent) -> str | None:
    # Looking the field up first avoids pydantic's AttributeError for the
    # events without one, which cost more than the rest of `evolve`.
    fields = type(event).model_fields
    for name in ("message", "reason"):
        value = getattr(event, name) if name in fields else None
        if value:
            return str(value)
    return None


def evolve(mission: Mission, envelope: EventEnvelope) -> Mission:
    """Return the mission after one event; the event is already validated."""
    event = decode(envelope)
    changes = _changes(mission, event, envelope.occurred_at)
    changes["version"] = envelope.aggregate_version
    changes["updated_at"] = envelope.occurred_at
    entry = HistoryEntry(
        type=envelope.event_type,
        at=envelope.occurred_at,
        actor=envelope.actor,
        message=_history_message(event),
        request_id=envelope.correlation_id,
    )
    changes["history"] = [*mission.history, entry]
    if mission.created_at is None:
        changes["created_at"] = envelope.occurred_at
    return mission.model_copy(update=changes)


def _changes(
    mission: Mission, event: DomainEvent, occurred_at: dt.datetime
) -> dict[str, Any]:
    match event:
        case ev.MissionCreated():
            return {
                "student_email": event.student_email,
                "student_name": event.student_name,
                "student_language": event.student_language,
                "program_id": event.program_id,
                "program_name": event.program_name,
            }
        case ev.DatesSet() | ev.DerogationRequested():
            changes: dict[str, Any] = {
                "start_date": event.start_date,
                "end_date": event.end_date,
                "location": event.location,
                "country": event.country,
                "deadline": event.deadline,
            }
            if isinstance(event, ev.DerogationRequested):
                changes["status"] = "derogation_pending"
                changes["derogation"] = Derogation(
                    status="pending",
                    start_date=event.start_date,
                    end_date=event.end_date,
                    reasons=event.reasons,
                    request_message=event.message,
                )
            return changes
        case ev.DerogationApproved() | ev.DerogationRejected():
            return _decide_derogation(mission, event)
        case ev.SectionSaved():
            sections = {**mission.sections}
            sections[event.section] = {
                **sections.get(event.section, {}),
                **event.fields,
            }
            return {"sections": sections}
        case ev.MissionSentToCompany():
            return {
                "status": "sent_to_company",
                "company_round": event.company_round,
                "tutor_refusal": None,
                "send_back_reason": None,
            }
        case ev.CompanyCompleted():
            return {"status": "company_completed"}
        case ev.TutorAssigned():
            return {"tutor_email": event.tutor_email, "tutor_name": event.tutor_name}
        case ev.StudentConfirmed():
            return {"status": "tutor_review", "send_back_reason": None}
        case ev.TutorApproved():
            return {"status": "career_service_review"}
        case ev.TutorRefused():
            return {"status": "company_completed", "tutor_refusal": event.reason}
        case ev.MissionSentBack():
            return {"status": "company_completed", "send_back_reason": event.reason}
        case ev.MissionApproved():
            return {"status": "approved"}
        case ev.MissionCancelled():
            return {"status": "cancelled", "cancel_reason": event.reason}
        case ev.SupervisorChanged():
            sections = {**mission.sections}
            sections["supervisor"] = {**sections.get("supervisor", {}), **event.fields}
            return {
                "sections": sections,
                "company_round": event.company_round,
                "supervisor_round": event.supervisor_round,
            }
        case ev.AbroadStepsAcknowledged():
            return {"abroad_steps_acknowledged_at": occurred_at}
        case ev.OriginalsReceived():
            return {"originals_received_at": occurred_at}
    return {}


def _decide_derogation(
    mission: Mission, event: ev.DerogationApproved | ev.DerogationRejected
) -> dict[str, Any]:
    assert mission.derogation is not None
    approved = isinstance(event, ev.DerogationApproved)
    derogation = mission.derogation.model_copy(
        update={
            "status": "approved" if approved else "rejected",
            "decision_message": event.message,
        }
    )
    changes: dict[str, Any] = {"status": "draft", "derogation": derogation}
    if not approved:
        changes.update(start_date=None, end_date=None, deadline=None)
    return changes


def replay(mission_id: str, envelopes: list[EventEnvelope]) -> Mission:
    mission = Mission(id=mission_id)
    for envelope in envelopes:
        mission = evolve(mission, envelope)
    return mission
