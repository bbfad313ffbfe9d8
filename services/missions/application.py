"""Commands on mission sheets: guard, decide the events, append them.

Each command loads the mission from its events, checks who may act and in
which status, and appends the new events with the version it loaded, so two
conflicting commands give one success and one `ConcurrencyError`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from typing import Any, get_args

from pydantic import ValidationError

from services.missions import projections
from services.missions.domain import Mission, Status, evolve, replay
from services.missions.figures import FigureCalculator
from services.missions.programs import Program, RuleBreak
from shared.events import missions as ev
from shared.events.base import DomainEvent, wrap
from shared.events.sections import (
    REQUIRED_ON_SUBMIT,
    REQUIRED_ON_VALIDATION,
    SECTION_MODELS,
    dump_section,
    missing_fields,
)
from shared.platform.actors import Actor, require_role
from shared.platform.errors import (
    CampusError,
    ConflictError,
    ForbiddenError,
    InvalidFieldError,
    NotFoundError,
)
from shared.platform.eventstore import EventStore
from shared.platform.observability import current_request_id

Clock = Callable[[], dt.datetime]


class WrongStatusError(ConflictError):
    code = "wrong_status"


class DerogationRequiredError(ConflictError):
    code = "derogation_required"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class MissionCommands:
    def __init__(
        self,
        store: EventStore,
        programs: dict[str, Program],
        figures: FigureCalculator,
        on_append: Callable[[], None] = lambda: None,
        clock: Clock = _utc_now,
    ) -> None:
        self.store = store
        self.programs = programs
        self.figures = figures
        self._on_append = on_append
        self._clock = clock

    def today(self) -> dt.date:
        return self._clock().date()

    def notify_append(self) -> None:
        """Wake the outbox relay after an append made outside these commands."""
        self._on_append()

    # Loading and visibility

    def load(self, mission_id: str) -> Mission:
        envelopes = self.store.load(mission_id)
        if not envelopes:
            raise NotFoundError(f"no mission sheet {mission_id}", field="id")
        return replay(mission_id, envelopes)

    def load_visible(self, actor: Actor, mission_id: str) -> Mission:
        """Load a mission this actor may see; others' missions are simply not found."""
        mission = self.load(mission_id)
        if not can_see(actor, mission):
            raise NotFoundError(f"no mission sheet {mission_id}", field="id")
        return mission

    def program(self, program_id: str) -> Program:
        program = self.programs.get(program_id)
        if program is None:
            known = ", ".join(sorted(self.programs))
            raise InvalidFieldError(
                f"unknown program {program_id!r}; choose one of {known}",
                field="program_id",
            )
        return program

    # Appending

    def _append(
        self,
        mission: Mission,
        actor_email: str | None,
        events: Sequence[DomainEvent],
    ) -> Mission:
        now = self._clock()
        # Events of one request share its id, to follow it across services.
        correlation_id = current_request_id() or str(uuid.uuid4())
        envelopes = [
            wrap(
                event,
                aggregate_id=mission.id,
                aggregate_version=mission.version + offset + 1,
                actor=actor_email,
                occurred_at=now,
                correlation_id=correlation_id,
            )
            for offset, event in enumerate(events)
        ]
        self.store.append(
            mission.id, mission.version, envelopes, inline=projections.apply
        )
        self._on_append()
        # The append succeeded at `mission.version`, so these events follow
        # the ones already applied: no need to read the mission back.
        for envelope in envelopes:
            mission = evolve(mission, envelope)
        return mission

    @staticmethod
    def _expect_status(mission: Mission, *statuses: Status) -> None:
        if mission.status not in statuses:
            allowed = " or ".join(statuses)
            raise WrongStatusError(
                f"this mission sheet is {mission.status}; "
                f"this action needs it {allowed}",
                field="status",
            )

    def _own(self, actor: Actor, mission_id: str) -> Mission:
        require_role(actor, "student")
        return self.load_visible(actor, mission_id)

    # Student: creation, dates, sections, submission

    def create(
        self, actor: Actor, program_id: str, commitment_accepted: bool
    ) -> Mission:
        require_role(actor, "student")
        if not commitment_accepted:
            raise InvalidFieldError(
                "accept the moral commitment to create a mission sheet",
                field="commitment_accepted",
            )
        program = self.program(program_id)
        mission = Mission(id=str(uuid.uuid4()))
        created = ev.MissionCreated(
            student_email=actor.email,
            student_name=actor.name,
            student_language=actor.language,
            program_id=program.id,
            program_name=program.name,
        )
        return self._append(mission, actor.email, [created])

    def set_dates(
        self,
        actor: Actor,
        mission_id: str,
        start_date: dt.date,
        end_date: dt.date,
        location: ev.Location,
        country: str,
        request_derogation: bool,
        message: str | None,
    ) -> Mission:
        mission = self._own(actor, mission_id)
        self._expect_status(mission, "draft")
        country = _check_place(location, country)
        if end_date < start_date:
            raise InvalidFieldError(
                f"the end date {end_date} is before the start date {start_date}",
                field="end_date",
            )
        program = self.program(mission.program_id)
        deadline = program.deadline(start_date, location)
        breaks = program.rule_breaks(start_date, end_date)
        place = {"location": location, "country": country, "deadline": deadline}
        covered = mission.derogation_covers(start_date, end_date)
        if not breaks or covered:
            dates = ev.DatesSet(start_date=start_date, end_date=end_date, **place)
            return self._append(mission, actor.email, [dates])
        if not request_derogation:
            raise DerogationRequiredError(
                _sentence(breaks)
                + " Change the dates, or send them again with request_derogation "
                "true and a message for the career service.",
                field=breaks[0].field,
            )
        if not message or not message.strip():
            raise InvalidFieldError(
                "explain to the career service why these dates are needed",
                field="message",
            )
        request = ev.DerogationRequested(
            start_date=start_date,
            end_date=end_date,
            reasons=[rule_break.message for rule_break in breaks],
            message=message.strip(),
            **place,
        )
        return self._append(mission, actor.email, [request])

    def save_section(
        self, actor: Actor, mission_id: str, name: str, fields: dict[str, Any]
    ) -> Mission:
        mission = self._own(actor, mission_id)
        self._expect_status(mission, "draft", "derogation_pending")
        parsed = parse_section(name, fields)
        self._check_section(mission, name, parsed)
        saved = ev.SectionSaved(section=name, fields=parsed, by="student")
        return self._append(mission, actor.email, [saved])

    def _check_section(
        self, mission: Mission, name: str, parsed: dict[str, Any]
    ) -> None:
        """Check the merged section, and a schedule against the mission's dates."""
        check_merged(mission, name, parsed)
        if name == "terms":
            sections = {**mission.sections}
            sections["terms"] = {**sections.get("terms", {}), **parsed}
            self.figures.figures(mission.model_copy(update={"sections": sections}))

    def submit(self, actor: Actor, mission_id: str) -> Mission:
        mission = self._own(actor, mission_id)
        self._expect_status(mission, "draft")
        if (
            mission.start_date is None
            or mission.end_date is None
            or mission.location is None
        ):
            raise InvalidFieldError(
                "enter the dates and place first", field="start_date"
            )
        program = self.program(mission.program_id)
        breaks = program.rule_breaks(mission.start_date, mission.end_date)
        if breaks and not mission.has_approved_derogation_for_dates():
            raise DerogationRequiredError(
                _sentence(breaks) + " A derogation must be approved first.",
                field=breaks[0].field,
            )
        _require_fields(mission, REQUIRED_ON_SUBMIT)
        self.figures.check_overlaps(mission, program)
        self.figures.check(mission, allowance_needed=False)
        sent = ev.MissionSentToCompany(
            company_round=mission.company_round + 1,
            supervisor_email=mission.sections["supervisor"]["email"],
            language=mission.language,
        )
        return self._append(mission, actor.email, [sent])

    def cancel(self, actor: Actor, mission_id: str, reason: str) -> Mission:
        mission = self.load_visible(actor, mission_id)
        if actor.role == "student":
            cancellable = mission.status in ("draft", "derogation_pending") or (
                mission.status == "company_completed"
            )
            if not cancellable:
                raise WrongStatusError(
                    f"this mission sheet is {mission.status}: a student can cancel it "
                    "before it is sent, or after the company's data or a tutor's "
                    "refusal; ask the career service otherwise",
                    field="status",
                )
        else:
            require_role(actor, "career_service", "admin")
            self._expect_status(mission, *_NOT_CANCELLED)
        cancelled = ev.MissionCancelled(
            reason=_required_text(reason, "reason"),
            by_role=actor.role,
            previous_status=mission.status,
        )
        return self._append(mission, actor.email, [cancelled])

    # Career service: derogations, final approval

    def decide_derogation(
        self, actor: Actor, mission_id: str, approve: bool, message: str
    ) -> Mission:
        require_role(actor, "career_service", "admin")
        mission = self.load(mission_id)
        self._expect_status(mission, "derogation_pending")
        text = _required_text(message, "message")
        decision: DomainEvent = (
            ev.DerogationApproved(message=text)
            if approve
            else ev.DerogationRejected(message=text)
        )
        return self._append(mission, actor.email, [decision])

    def approve(
        self, actor: Actor, mission_id: str, snapshot: dict[str, Any]
    ) -> Mission:
        require_role(actor, "career_service", "admin")
        mission = self.load(mission_id)
        self._expect_status(mission, "career_service_review")
        return self._append(
            mission, actor.email, [ev.MissionApproved(mission=snapshot)]
        )

    def send_back(self, actor: Actor, mission_id: str, reason: str) -> Mission:
        require_role(actor, "career_service", "admin")
        mission = self.load(mission_id)
        self._expect_status(mission, "career_service_review")
        sent_back = ev.MissionSentBack(reason=_required_text(reason, "reason"))
        return self._append(mission, actor.email, [sent_back])

    # After approval

    def acknowledge_abroad_steps(self, actor: Actor, mission_id: str) -> Mission:
        mission = self._own(actor, mission_id)
        self._expect_status(mission, "approved")
        if mission.location != "abroad":
            raise ConflictError(
                "only an internship abroad has the abroad steps to acknowledge",
                code="not_abroad",
            )
        if mission.abroad_steps_acknowledged_at is not None:
            return mission
        return self._append(mission, actor.email, [ev.AbroadStepsAcknowledged()])

    def change_supervisor(
        self, actor: Actor, mission_id: str, fields: dict[str, Any]
    ) -> Mission:
        """Replace the supervisor's details; a new address gets fresh links."""
        require_role(actor, "career_service", "admin")
        mission = self.load(mission_id)
        self._expect_status(mission, *_NOT_CANCELLED)
        parsed = parse_section("supervisor", fields)
        current = mission.sections.get("supervisor", {})
        merged = {**current, **parsed}
        if merged == current:
            return mission
        for field in REQUIRED_ON_VALIDATION["supervisor"]:
            if current.get(field) and not merged.get(field):
                raise InvalidFieldError(
                    f"supervisor.{field} cannot be cleared; give the new value",
                    field=f"supervisor.{field}",
                )
        if not merged.get("email"):
            raise InvalidFieldError(
                "supervisor.email is required", field="supervisor.email"
            )
        # Only a new address gets new links; other details change in place.
        email_changed = merged["email"] != current.get("email")
        at_company = mission.status == "sent_to_company" and email_changed
        changed = ev.SupervisorChanged(
            fields=parsed,
            supervisor_email=merged["email"],
            company_round=mission.company_round + (1 if at_company else 0),
            supervisor_round=mission.supervisor_round + (1 if email_changed else 0),
            status=mission.status,
            email_changed=email_changed,
        )
        return self._append(mission, actor.email, [changed])

    def tutor_loads(self, program: Program) -> dict[str, int]:
        """Count the missions each tutor of the program follows, cancelled aside."""
        emails = [tutor.email for tutor in program.tutors]
        with self.store.database.transaction() as tx:
            return projections.tutor_loads(tx, program.id, emails)

    def reassign_tutor(
        self,
        actor: Actor,
        mission_id: str,
        email: str,
        reason: str | None,
        force: bool,
    ) -> Mission:
        """Give the mission to another tutor of its program, within capacity."""
        require_role(actor, "career_service", "admin")
        mission = self.load(mission_id)
        self._expect_status(mission, *_NOT_CANCELLED)
        program = self.program(mission.program_id)
        requested = email.strip().lower()
        tutor = next((t for t in program.tutors if t.email.lower() == requested), None)

        if tutor is None:
            known = ", ".join(t.email for t in program.tutors) or "none"
            raise InvalidFieldError(
                f"{email!r} is not a tutor of the program {program.id}; "
                f"its tutors are: {known}",
                field="email",
            )
        if tutor.email == mission.tutor_email:
            return mission

        load = self.tutor_loads(program)[tutor.email]
        if load >= tutor.capacity and not force:
            raise ConflictError(
                f"{tutor.email} already follows {load} missions of this program, "
                f"the capacity is {tutor.capacity}: choose another tutor, or send "
                "force true to go over the capacity",
                code="tutor_at_capacity",
                field="email",
            )
        assigned = ev.TutorAssigned(
            tutor_email=tutor.email,
            tutor_name=tutor.name,
            previous_tutor_email=mission.tutor_email,
            status=mission.status,
            reason=(reason or "").strip() or None,
        )
        return self._append(mission, actor.email, [assigned])

    def record_originals(self, actor: Actor, mission_id: str) -> Mission:
        require_role(actor, "career_service", "admin")
        mission = self.load(mission_id)
        self._expect_status(mission, "approved")
        if mission.originals_received_at is not None:
            return mission
        return self._append(mission, actor.email, [ev.OriginalsReceived()])

    # Student: review of the company's data

    def confirm(self, actor: Actor, mission_id: str, message: str | None) -> Mission:
        mission = self._own(actor, mission_id)
        self._expect_status(mission, "company_completed")
        if mission.tutor_refusal:
            raise WrongStatusError(
                "the tutor refused this mission sheet: send it back to the company "
                "or cancel it",
                field="status",
            )
        events: list[DomainEvent] = []
        if mission.tutor_email is None:
            events.append(self._assign_tutor(mission))
        events.append(ev.StudentConfirmed(message=(message or "").strip() or None))
        return self._append(mission, actor.email, events)

    def _assign_tutor(self, mission: Mission) -> ev.TutorAssigned:
        program = self.program(mission.program_id)
        loads = self.tutor_loads(program)
        available = [t for t in program.tutors if loads[t.email] < t.capacity]
        if not available:
            raise ConflictError(
                "every tutor of this program is at capacity: the career service "
                "must add a tutor or raise a capacity",
                code="no_tutor_available",
            )
        # NOTE: two confirmations at the same instant may both see the last free
        # place; the capacity is then exceeded by one until a reassignment.
        tutor = min(
            available, key=lambda t: (loads[t.email] / max(t.capacity, 1), t.email)
        )
        return ev.TutorAssigned(tutor_email=tutor.email, tutor_name=tutor.name)

    def return_to_company(self, actor: Actor, mission_id: str, message: str) -> Mission:
        mission = self._own(actor, mission_id)
        self._expect_status(mission, "company_completed")
        sent = ev.MissionSentToCompany(
            company_round=mission.company_round + 1,
            supervisor_email=mission.sections["supervisor"]["email"],
            language=mission.language,
            message=_required_text(message, "message"),
        )
        return self._append(mission, actor.email, [sent])

    # Tutor

    def tutor_decide(
        self, actor: Actor, mission_id: str, approve: bool, reason: str | None
    ) -> Mission:
        require_role(actor, "tutor")
        mission = self.load_visible(actor, mission_id)
        self._expect_status(mission, "tutor_review")
        decision: DomainEvent = (
            ev.TutorApproved()
            if approve
            else ev.TutorRefused(reason=_required_text(reason, "reason"))
        )
        return self._append(mission, actor.email, [decision])

    # Company, through a signed link

    def company_save_section(
        self, mission: Mission, name: str, fields: dict[str, Any]
    ) -> Mission:
        self._expect_status(mission, "sent_to_company")
        if name not in COMPANY_SECTIONS:
            raise ForbiddenError(
                f"the company cannot change the {name} section; "
                f"it can change {', '.join(COMPANY_SECTIONS)}",
                field="section",
            )
        parsed = parse_section(name, fields)
        self._check_section(mission, name, parsed)
        saved = ev.SectionSaved(section=name, fields=parsed, by="company")
        supervisor = mission.sections.get("supervisor", {}).get("email")
        return self._append(mission, supervisor, [saved])

    def company_validate(self, mission: Mission) -> Mission:
        self._expect_status(mission, "sent_to_company")
        _require_fields(mission, REQUIRED_ON_VALIDATION)
        self.figures.check(mission, allowance_needed=True)
        completed = ev.CompanyCompleted(company_round=mission.company_round)
        return self._append(
            mission, mission.sections["supervisor"]["email"], [completed]
        )


# The student's own section is the student's word; the company completes the rest.
COMPANY_SECTIONS = ("organisation", "supervisor", "mission", "terms")

_NOT_CANCELLED = tuple(s for s in get_args(Status) if s != "cancelled")


def can_see(actor: Actor, mission: Mission) -> bool:
    if actor.role in ("career_service", "admin"):
        return True
    if actor.role == "tutor":
        return mission.tutor_email == actor.email
    return mission.student_email == actor.email


def check_merged(mission: Mission, name: str, fields: dict[str, Any]) -> None:
    """Validate a section as it will be once these fields are merged into it.

    A section is saved a few fields at a time, so rules across fields (hours
    a day, overlapping periods) are checked on the merged whole.
    """
    merged = {**mission.sections.get(name, {}), **fields}
    merged = {key: value for key, value in merged.items() if value is not None}
    parse_section(name, merged)


def parse_section(name: str, fields: dict[str, Any]) -> dict[str, Any]:
    model = SECTION_MODELS.get(name)
    if model is None:
        known = ", ".join(SECTION_MODELS)
        raise NotFoundError(
            f"no section {name!r}; sections are {known}", field="section"
        )
    try:
        return dump_section(model.model_validate(fields))
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in (name, *first["loc"]))
        if first["type"] == "extra_forbidden":
            message = f"{field} is not a field of the {name} section"
        else:
            message = f"{field}: {first['msg']}"
        raise InvalidFieldError(message, field=field) from error


def _require_fields(mission: Mission, required: dict[str, tuple[str, ...]]) -> None:
    missing = missing_fields(mission.sections, required)
    if missing:
        raise InvalidFieldError(
            f"{missing[0]} is required before this step"
            + (
                f" ({len(missing) - 1} more fields are missing)"
                if len(missing) > 1
                else ""
            ),
            field=missing[0],
        )


def _check_place(location: str, country: str | None) -> str:
    code = (country or "").strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise InvalidFieldError(
            "give the country as an ISO 3166-1 alpha-2 code, for example FR or DE",
            field="country",
        )
    if location == "france" and code != "FR":
        raise InvalidFieldError(
            "an internship in France has country FR; choose abroad for another country",
            field="country",
        )
    if location == "abroad" and code == "FR":
        raise InvalidFieldError(
            "an internship abroad cannot be in FR; choose france instead",
            field="location",
        )
    return code


def _sentence(breaks: Sequence[RuleBreak]) -> str:
    text = "; ".join(rule_break.message for rule_break in breaks)
    return text[0].upper() + text[1:] + "."


def _required_text(value: str | None, field: str) -> str:
    if value is None or not value.strip():
        raise InvalidFieldError(f"{field} is required and cannot be empty", field=field)
    return value.strip()


__all__ = ["CampusError", "MissionCommands", "can_see"]
