"""The admin's changes to the programs: rules and tutors' capacities, as events.

The seed file gives each program's starting rules. Each change is an event of
the program's own aggregate, `program-<id>`. The missions service applies
these events over the seed when it starts and before each request, so every
command reads the rules in force.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, MutableMapping
from typing import Any

from pydantic import ValidationError

from services.missions.programs import Program
from shared.events import programs as ev
from shared.events.base import DomainEvent, EventEnvelope, decode, wrap
from shared.platform.actors import Actor, require_role
from shared.platform.errors import InvalidFieldError, NotFoundError
from shared.platform.eventstore import EventStore
from shared.platform.observability import current_request_id

# The rules an admin may change; the id, name, year and tutors' list stay.
RULE_FIELDS = (
    "earliest_start",
    "latest_end",
    "min_weeks",
    "max_weeks",
    "internship_type",
    "lead_time_france_days",
    "lead_time_abroad_days",
    "allows_one_day",
    "allows_overlap",
)


def aggregate_id(program_id: str) -> str:
    return f"program-{program_id}"


def evolve(program: Program, event: DomainEvent) -> Program:
    """Return the program after one of its events."""
    match event:
        case ev.ProgramRulesChanged():
            return Program.model_validate({**program.model_dump(), **event.rules})
        case ev.TutorCapacityChanged():
            tutors = [
                tutor.model_copy(update={"capacity": event.capacity})
                if tutor.email == event.tutor_email
                else tutor
                for tutor in program.tutors
            ]
            return program.model_copy(update={"tutors": tutors})
    return program


class ProgramCommands:
    def __init__(
        self,
        store: EventStore,
        programs: MutableMapping[str, Program],
        on_append: Callable[[], None] = lambda: None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.store = store
        self.programs = programs
        self._on_append = on_append
        self._clock = clock
        self._seen = 0
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Apply the changes recorded since the last look, by any replica."""
        with self._lock, self.store.database.read() as tx:
            # Only the programs' events are read, and only those after the
            # last look: the missions' events, by far the most, stay in the
            # database.
            last = tx.fetchone("SELECT MAX(position) AS last FROM events")
            upto = int(last["last"]) if last and last["last"] is not None else 0
            if upto <= self._seen:
                return
            rows = tx.fetchall(
                "SELECT envelope FROM events WHERE position > ? AND position <= ? "
                "AND aggregate_type = ? ORDER BY position",
                (self._seen, upto, ev.ProgramEvent.aggregate_type),
            )
            self._seen = upto
            envelopes = [
                EventEnvelope.model_validate_json(row["envelope"]) for row in rows
            ]
            # A capacity change names its tutor, whose email is stored sealed.
            for envelope in self.store.unseal(envelopes):
                event = decode(envelope)
                program_id = getattr(event, "program_id", "")
                if program_id in self.programs:
                    self.programs[program_id] = evolve(self.programs[program_id], event)

    def _program(self, program_id: str) -> Program:
        self.refresh()
        program = self.programs.get(program_id)
        if program is None:
            known = ", ".join(sorted(self.programs))
            raise NotFoundError(
                f"no program {program_id!r}; programs are {known}", field="program_id"
            )
        return program

    def _append(self, program_id: str, actor: Actor, event: DomainEvent) -> Program:
        stream = aggregate_id(program_id)
        version = len(self.store.load(stream))
        envelope = wrap(
            event,
            aggregate_id=stream,
            aggregate_version=version + 1,
            actor=actor.email,
            occurred_at=self._clock(),
            correlation_id=current_request_id() or str(uuid.uuid4()),
        )
        self.store.append(stream, version, [envelope])
        self._on_append()
        self.refresh()
        return self._program(program_id)

    def change_rules(
        self, actor: Actor, program_id: str, rules: dict[str, Any]
    ) -> Program:
        """Change some rules of a program; the merged rules must hold together."""
        require_role(actor, "admin")
        program = self._program(program_id)
        for name in rules:
            if name not in RULE_FIELDS:
                raise InvalidFieldError(
                    f"{name} is not a rule an admin can change; "
                    f"change {', '.join(RULE_FIELDS)}",
                    field=name,
                )
        try:
            merged = Program.model_validate({**program.model_dump(), **rules})
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"])
            raise InvalidFieldError(f"{field}: {first['msg']}", field=field) from error
        if merged.min_weeks > merged.max_weeks:
            raise InvalidFieldError(
                f"min_weeks ({merged.min_weeks}) is more than max_weeks "
                f"({merged.max_weeks}); make the minimum at most the maximum",
                field="min_weeks",
            )
        if merged.earliest_start > merged.latest_end:
            raise InvalidFieldError(
                f"earliest_start ({merged.earliest_start}) is after latest_end "
                f"({merged.latest_end}); the window must open before it closes",
                field="earliest_start",
            )
        changed = {
            name: value
            for name, value in merged.model_dump(
                mode="json", include=set(rules)
            ).items()
            if getattr(program, name) != getattr(merged, name)
        }
        if not changed:
            return program
        return self._append(
            program_id,
            actor,
            ev.ProgramRulesChanged(program_id=program_id, rules=changed),
        )

    def change_capacity(
        self, actor: Actor, program_id: str, tutor_email: str, capacity: int
    ) -> Program:
        """Change how many missions of the program a tutor can follow at once."""
        require_role(actor, "admin")
        program = self._program(program_id)
        tutor = next(
            (t for t in program.tutors if t.email.lower() == tutor_email.lower()), None
        )
        if tutor is None:
            known = ", ".join(t.email for t in program.tutors) or "none"
            raise NotFoundError(
                f"{tutor_email!r} is not a tutor of the program {program_id}; "
                f"its tutors are: {known}",
                field="tutor_email",
            )
        if capacity < 0:
            raise InvalidFieldError(
                "capacity cannot be negative; give 0 to stop new assignments",
                field="capacity",
            )
        if capacity == tutor.capacity:
            return program
        changed = ev.TutorCapacityChanged(
            program_id=program_id, tutor_email=tutor.email, capacity=capacity
        )
        return self._append(program_id, actor, changed)
