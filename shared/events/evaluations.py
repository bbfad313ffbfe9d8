"""Events of the evaluations service, published on `campus.evaluations.v1`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.events.base import DomainEvent, register


class EvaluationEvent(DomainEvent):
    aggregate_type = "evaluation"


@register
class ReportDepositScheduled(EvaluationEvent):
    mission_id: str
    opens_on: dt.date
    closes_on: dt.date


@register
class EvaluationFileOpened(EvaluationEvent):
    """An approved mission's file of report and evaluations, with its forms."""

    mission_id: str
    program_id: str
    internship_type: str
    student_email: str
    student_name: str
    tutor_email: str | None
    end_date: dt.date
    supervisor_email: str | None
    forms: dict[str, dict[str, Any]]
    """Each form kind's id and version, fixed for this mission."""


@register
class ReportSubmitted(EvaluationEvent):
    mission_id: str
    version: int
    file_id: str
    sha256: str


@register
class ReportApproved(EvaluationEvent):
    mission_id: str
    version: int
    comment: str


@register
class ReportRefused(EvaluationEvent):
    mission_id: str
    version: int
    comment: str


@register
class DepositReopened(EvaluationEvent):
    mission_id: str
    until: dt.date


@register
class FormSaved(EvaluationEvent):
    """A draft of a form's answers; the latest draft replaces earlier ones."""

    mission_id: str
    form: str
    answers: dict[str, Any]


@register
class FormSubmitted(EvaluationEvent):
    mission_id: str
    form: str
    answers: dict[str, Any]


@register
class SupervisorRenewed(EvaluationEvent):
    """A new supervisor: only a link of this round opens the company evaluation."""

    mission_id: str
    supervisor_email: str
    supervisor_round: int


@register
class TutorRenewed(EvaluationEvent):
    """The career service gave the mission to another tutor, who now reviews."""

    mission_id: str
    tutor_email: str


@register
class CertificateRecorded(EvaluationEvent):
    mission_id: str
    file_id: str
