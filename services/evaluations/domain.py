"""A mission's evaluation file: report versions, forms, company evaluation.

The state is folded from the file's events, one file per approved mission.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.events import evaluations as ev
from shared.events.base import DomainEvent, EventEnvelope, decode

FORM_KINDS = ("self_evaluation", "synthesis", "company_evaluation")


class ReportVersion(BaseModel):
    version: int
    file_id: str
    sha256: str
    submitted_at: dt.datetime
    status: Literal["submitted", "approved", "refused"] = "submitted"
    comment: str | None = None
    decided_at: dt.datetime | None = None
    decided_by: str | None = None


class FormState(BaseModel):
    form_id: str
    version: int
    status: Literal["not_started", "draft", "submitted"] = "not_started"
    answers: dict[str, Any] = Field(default_factory=dict)
    submitted_at: dt.datetime | None = None
    submitted_by: str | None = None


class EvaluationFile(BaseModel):
    id: str
    version: int = 0
    mission_id: str = ""
    program_id: str = ""
    internship_type: str = ""
    student_email: str = ""
    student_name: str = ""
    tutor_email: str | None = None
    end_date: dt.date | None = None
    supervisor_email: str | None = None
    supervisor_round: int = 1
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    reopened_until: dt.date | None = None
    reports: list[ReportVersion] = Field(default_factory=list)
    forms: dict[str, FormState] = Field(default_factory=dict)
    certificate_file_id: str | None = None

    def deposit_open(self, today: dt.date) -> bool:
        if self.opens_on is None or self.closes_on is None or today < self.opens_on:
            return False
        last_day = max(self.closes_on, self.reopened_until or self.closes_on)
        return today <= last_day

    @property
    def report_under_review(self) -> bool:
        return bool(self.reports) and self.reports[-1].status == "submitted"

    @property
    def report_approved(self) -> bool:
        return any(report.status == "approved" for report in self.reports)


def evolve(file: EvaluationFile, envelope: EventEnvelope) -> EvaluationFile:
    event = decode(envelope)
    changes = _changes(file, event, envelope)
    changes["version"] = envelope.aggregate_version
    return file.model_copy(update=changes)


def _changes(
    file: EvaluationFile, event: DomainEvent, envelope: EventEnvelope
) -> dict[str, Any]:
    at, actor = envelope.occurred_at, envelope.actor
    match event:
        case ev.EvaluationFileOpened():
            forms = {
                kind: FormState(form_id=form["id"], version=form["version"])
                for kind, form in event.forms.items()
            }
            return {**event.model_dump(exclude={"forms"}), "forms": forms}
        case ev.ReportDepositScheduled():
            return {"opens_on": event.opens_on, "closes_on": event.closes_on}
        case ev.ReportSubmitted():
            report = ReportVersion(
                version=event.version,
                file_id=event.file_id,
                sha256=event.sha256,
                submitted_at=at,
            )
            return {"reports": [*file.reports, report]}
        case ev.ReportApproved() | ev.ReportRefused():
            return {"reports": _decide(file, event, at, actor)}
        case ev.DepositReopened():
            return {"reopened_until": event.until}
        case ev.FormSaved() | ev.FormSubmitted():
            return {"forms": _fill(file, event, at, actor)}
        case ev.SupervisorRenewed():
            return {
                "supervisor_email": event.supervisor_email,
                "supervisor_round": event.supervisor_round,
            }
        case ev.TutorRenewed():
            return {"tutor_email": event.tutor_email}
        case ev.CertificateRecorded():
            return {"certificate_file_id": event.file_id}
    return {}


def _decide(
    file: EvaluationFile,
    event: ev.ReportApproved | ev.ReportRefused,
    at: dt.datetime,
    actor: str | None,
) -> list[ReportVersion]:
    status: Literal["approved", "refused"] = (
        "approved" if isinstance(event, ev.ReportApproved) else "refused"
    )
    return [
        report.model_copy(
            update={
                "status": status,
                "comment": event.comment,
                "decided_at": at,
                "decided_by": actor,
            }
        )
        if report.version == event.version
        else report
        for report in file.reports
    ]


def _fill(
    file: EvaluationFile,
    event: ev.FormSaved | ev.FormSubmitted,
    at: dt.datetime,
    actor: str | None,
) -> dict[str, FormState]:
    forms = dict(file.forms)
    submitted = isinstance(event, ev.FormSubmitted)
    forms[event.form] = forms[event.form].model_copy(
        update={
            "answers": event.answers,
            "status": "submitted" if submitted else "draft",
            "submitted_at": at if submitted else None,
            "submitted_by": actor if submitted else None,
        }
    )
    return forms


def replay(file_id: str, envelopes: list[EventEnvelope]) -> EvaluationFile:
    file = EvaluationFile(id=file_id)
    for envelope in envelopes:
        file = evolve(file, envelope)
    return file
