"""Events of the programs' rules, published on `campus.programs.v1`.

The seed file sets each program's rules and tutors; an admin's later changes
are these events, folded over the seed when the missions service starts.
"""

from __future__ import annotations

from typing import Any

from shared.events.base import DomainEvent, register


class ProgramEvent(DomainEvent):
    aggregate_type = "program"


@register
class ProgramRulesChanged(ProgramEvent):
    """The admin changed some rules of a program; `rules` contains the new values."""

    program_id: str
    rules: dict[str, Any]


@register
class TutorCapacityChanged(ProgramEvent):
    """The admin changed how many missions a tutor can follow in a program."""

    program_id: str
    tutor_email: str
    capacity: int
