"""Events of the mission sheet, published on `campus.missions.v1`."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from shared.events.base import DomainEvent, register

Location = Literal["france", "abroad"]


class MissionEvent(DomainEvent):
    aggregate_type = "mission"


@register
class MissionCreated(MissionEvent):
    student_email: str
    student_name: str
    student_language: Literal["fr", "en"]
    program_id: str
    program_name: str


@register
class DatesSet(MissionEvent):
    start_date: dt.date
    end_date: dt.date
    location: Location
    country: str
    deadline: dt.date


@register
class DerogationRequested(MissionEvent):
    start_date: dt.date
    end_date: dt.date
    location: Location
    country: str
    deadline: dt.date
    reasons: list[str]
    message: str


@register
class DerogationApproved(MissionEvent):
    message: str


@register
class DerogationRejected(MissionEvent):
    message: str


@register
class SectionSaved(MissionEvent):
    section: str
    fields: dict[str, Any]
    by: Literal["student", "company"]


@register
class MissionSentToCompany(MissionEvent):
    company_round: int
    supervisor_email: str
    language: Literal["fr", "en"]
    message: str | None = None


@register
class CompanyCompleted(MissionEvent):
    company_round: int


@register
class TutorAssigned(MissionEvent):
    """A tutor now follows the mission: chosen at confirmation, or reassigned.

    A reassignment by the career service names the previous tutor, the
    mission's status at that moment, and why.
    """

    tutor_email: str
    tutor_name: str
    previous_tutor_email: str | None = None
    status: str | None = None
    reason: str | None = None


@register
class StudentConfirmed(MissionEvent):
    message: str | None = None


@register
class MissionCancelled(MissionEvent):
    reason: str
    by_role: str
    previous_status: str


@register
class TutorApproved(MissionEvent):
    pass


@register
class TutorRefused(MissionEvent):
    reason: str


@register
class MissionSentBack(MissionEvent):
    reason: str


@register
class MissionApproved(MissionEvent):
    """Final approval, carrying the whole sheet so the agreement needs nothing else."""

    mission: dict[str, Any]


@register
class AbroadStepsAcknowledged(MissionEvent):
    """The student confirmed reading "internship abroad: mandatory steps"."""


@register
class OriginalsReceived(MissionEvent):
    """The career service received the three signed copies of the agreement."""


@register
class SupervisorChanged(MissionEvent):
    """The career service changed the supervisor; earlier company links stop working.

    `company_round` is the round of the company link that now works: one more
    than before while the sheet is with the company, so a new link goes out.
    `supervisor_round` counts the supervisors, for the evaluation link.
    """

    fields: dict[str, Any]
    supervisor_email: str
    company_round: int
    supervisor_round: int
    status: str
    email_changed: bool = True
