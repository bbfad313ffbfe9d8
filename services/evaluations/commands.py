"""Commands on evaluation files: open, report deposit and review, forms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from services.evaluations import projections
from services.evaluations.domain import FORM_KINDS, EvaluationFile, replay
from services.evaluations.forms import (
    FormAnswerError,
    FormCatalogue,
    validate_answers,
)
from shared.events import evaluations as ev
from shared.events.base import DomainEvent, EventEnvelope, wrap
from shared.platform.actors import Actor, require_role
from shared.platform.clock import Clock
from shared.platform.dates import add_months
from shared.platform.errors import (
    ConflictError,
    ForbiddenError,
    InvalidFieldError,
    NotFoundError,
)
from shared.platform.eventstore import EventStore, start_aggregate_once
from shared.platform.observability import current_request_id


class DepositClosedError(ConflictError):
    code = "deposit_closed"


class EvaluationCommands:
    def __init__(
        self,
        store: EventStore,
        catalogue: FormCatalogue,
        clock: Clock,
        months_before_end: int = 1,
        months_after_end: int = 3,
        on_append: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.catalogue = catalogue
        self.clock = clock
        self._before = months_before_end
        self._after = months_after_end
        self._on_append = on_append

    def today(self) -> dt.date:
        return self.clock.now().date()

    # Loading and appending

    def load(self, mission_id: str) -> EvaluationFile:
        envelopes = self.store.load(f"evaluation-{mission_id}")
        if not envelopes:
            raise NotFoundError(
                "no evaluation file yet: it opens when the mission is approved",
                field="mission_id",
            )
        return replay(f"evaluation-{mission_id}", envelopes)

    def _append(
        self, file: EvaluationFile, actor: str | None, events: Sequence[DomainEvent]
    ) -> EvaluationFile:
        now = self.clock.now()
        envelopes = [
            wrap(
                event,
                aggregate_id=file.id,
                aggregate_version=file.version + number,
                actor=actor,
                occurred_at=now,
                correlation_id=current_request_id(),
            )
            for number, event in enumerate(events, start=1)
        ]
        self.store.append(file.id, file.version, envelopes, inline=projections.apply)
        self._on_append()
        return replay(file.id, self.store.load(file.id))

    # Reactions to other services' events

    def open_file(self, approved: EventEnvelope) -> bool:
        """Open the file of an approved mission, with the forms it will use."""
        mission = approved.data["mission"]
        internship_type = mission["program"].get("internship_type") or "long"
        end_date = dt.date.fromisoformat(mission["end_date"])
        forms = {
            kind: {"id": form.id, "version": form.version}
            for kind in FORM_KINDS
            for form in [self.catalogue.latest(kind, internship_type)]  # type: ignore[arg-type]
        }
        opened = ev.EvaluationFileOpened(
            mission_id=approved.aggregate_id,
            program_id=mission["program"]["id"],
            internship_type=internship_type,
            student_email=mission["student"]["email"],
            student_name=mission["student"]["name"],
            tutor_email=(mission.get("tutor") or {}).get("email"),
            end_date=end_date,
            supervisor_email=mission["sections"]["supervisor"].get("email"),
            forms=forms,
        )
        scheduled = ev.ReportDepositScheduled(
            mission_id=approved.aggregate_id,
            opens_on=add_months(end_date, -self._before),
            closes_on=add_months(end_date, self._after),
        )
        return start_aggregate_once(
            self.store,
            f"evaluation-{approved.aggregate_id}",
            [opened, scheduled],
            approved,
            projections.apply,
        )

    def renew_supervisor(self, changed: EventEnvelope) -> None:
        """Follow a supervisor change, so older evaluation links stop working."""
        mission_id = changed.aggregate_id
        if not self.store.load(f"evaluation-{mission_id}"):
            return
        file = self.load(mission_id)
        if changed.data["supervisor_round"] <= file.supervisor_round:
            return
        renewed = ev.SupervisorRenewed(
            mission_id=mission_id,
            supervisor_email=changed.data["supervisor_email"],
            supervisor_round=changed.data["supervisor_round"],
        )
        self._append(file, None, [renewed])

    def renew_tutor(self, assigned: EventEnvelope) -> None:
        """Follow a change of tutor, so the new one reviews the report."""
        mission_id = assigned.aggregate_id
        if not self.store.load(f"evaluation-{mission_id}"):
            return
        file = self.load(mission_id)
        if file.tutor_email == assigned.data["tutor_email"]:
            return
        renewed = ev.TutorRenewed(
            mission_id=mission_id, tutor_email=assigned.data["tutor_email"]
        )
        self._append(file, None, [renewed])

    def record_certificate(self, uploaded: EventEnvelope) -> None:
        mission_id, file_id = uploaded.data["mission_id"], uploaded.data["file_id"]
        if not self.store.load(f"evaluation-{mission_id}"):
            return
        file = self.load(mission_id)
        if file.certificate_file_id == file_id:
            return
        recorded = ev.CertificateRecorded(mission_id=mission_id, file_id=file_id)
        self._append(file, None, [recorded])

    # The report

    def check_report_accepted(self, actor: Actor, mission_id: str) -> EvaluationFile:
        """Raise unless this student may deposit a report version now."""
        file = self._students_file(actor, mission_id)
        self.check_deposit_open(file)
        if file.report_under_review:
            raise ConflictError(
                "the previous version waits for the tutor's review; "
                "upload again after a refusal",
                code="report_under_review",
            )
        if file.report_approved:
            raise ConflictError(
                "the report is already approved", code="report_already_approved"
            )
        return file

    def submit_report(
        self, actor: Actor, mission_id: str, file_id: str, sha256: str
    ) -> EvaluationFile:
        file = self.check_report_accepted(actor, mission_id)
        submitted = ev.ReportSubmitted(
            mission_id=mission_id,
            version=len(file.reports) + 1,
            file_id=file_id,
            sha256=sha256,
        )
        return self._append(file, actor.email, [submitted])

    def check_deposit_open(self, file: EvaluationFile) -> None:
        today = self.today()
        if file.deposit_open(today):
            return
        if file.opens_on and today < file.opens_on:
            message = f"the report deposit opens on {file.opens_on}"
        else:
            message = (
                f"the report deposit closed on {file.closes_on}; "
                "ask the career service to reopen it"
            )
        raise DepositClosedError(message, field="file")

    def decide_report(
        self, actor: Actor, mission_id: str, approve: bool, comment: str | None
    ) -> EvaluationFile:
        require_role(actor, "tutor")
        file = self.load(mission_id)
        if file.tutor_email != actor.email:
            raise NotFoundError(f"no evaluation file {mission_id}", field="mission_id")
        if not file.report_under_review:
            raise ConflictError(
                "no report version waits for a review", code="no_report_to_review"
            )
        text = (comment or "").strip()
        if not approve and not text:
            raise InvalidFieldError(
                "explain the refusal to the student in a comment", field="comment"
            )
        version = file.reports[-1].version
        decision: DomainEvent = (
            ev.ReportApproved(mission_id=mission_id, version=version, comment=text)
            if approve
            else ev.ReportRefused(mission_id=mission_id, version=version, comment=text)
        )
        return self._append(file, actor.email, [decision])

    def reopen_deposit(
        self, actor: Actor, mission_id: str, until: dt.date
    ) -> EvaluationFile:
        require_role(actor, "career_service", "admin")
        file = self.load(mission_id)
        if until <= self.today():
            raise InvalidFieldError(
                f"give a date after today ({self.today()})", field="until"
            )
        latest = self.today() + dt.timedelta(days=365)
        if until > latest:
            raise InvalidFieldError(
                f"reopen the deposit for at most a year, until {latest}", field="until"
            )
        reopened = ev.DepositReopened(mission_id=mission_id, until=until)
        return self._append(file, actor.email, [reopened])

    # Forms

    def fill_form(
        self,
        actor: Actor | None,
        mission_id: str,
        kind: str,
        answers: dict[str, Any],
        submit: bool,
    ) -> EvaluationFile:
        """Save a draft or submit a form; the company passes no actor."""
        file = self.load(mission_id)
        state = file.forms.get(kind)
        if state is None:
            known = ", ".join(FORM_KINDS)
            raise NotFoundError(f"no form {kind!r}; forms are {known}", field="form")
        self._check_form_author(file, actor, kind)
        if state.status == "submitted":
            raise ConflictError(
                "this form was submitted and is read-only", code="form_submitted"
            )
        definition = self.catalogue.get(state.form_id, state.version)
        if submit and not answers:
            answers = state.answers  # submit the saved draft
        try:
            cleaned = validate_answers(definition, answers, draft=not submit)
        except FormAnswerError as error:
            raise InvalidFieldError(error.message, field=error.question) from error
        event_class = ev.FormSubmitted if submit else ev.FormSaved
        event = event_class(mission_id=mission_id, form=kind, answers=cleaned)
        author = actor.email if actor else file.supervisor_email
        return self._append(file, author, [event])

    @staticmethod
    def _check_form_author(
        file: EvaluationFile, actor: Actor | None, kind: str
    ) -> None:
        if kind == "company_evaluation":
            if actor is not None:
                raise ForbiddenError(
                    "the company evaluation is filled in by the supervisor, "
                    "through the emailed link",
                    field="form",
                )
            return
        if actor is None or actor.email != file.student_email:
            raise ForbiddenError("only the student fills in this form", field="form")

    def _students_file(self, actor: Actor, mission_id: str) -> EvaluationFile:
        require_role(actor, "student")
        file = self.load(mission_id)
        if file.student_email != actor.email:
            raise NotFoundError(f"no evaluation file {mission_id}", field="mission_id")
        return file
