"""Program rules (règlement de stage): window, duration, lead time and tutors."""

from __future__ import annotations

import datetime as dt
from typing import Literal, NamedTuple

from pydantic import BaseModel, Field


class ProgramTutor(BaseModel):
    email: str
    name: str
    capacity: int = Field(ge=0, description="Missions this tutor can follow at once.")


class Program(BaseModel):
    id: str
    name: str
    academic_year: str
    earliest_start: dt.date
    latest_end: dt.date
    min_weeks: int = Field(ge=0)
    max_weeks: int = Field(ge=1)
    internship_type: Literal["short", "long"]
    lead_time_france_days: int = Field(8, ge=0)
    lead_time_abroad_days: int = Field(15, ge=0)
    allows_one_day: bool = Field(
        False, description="Whether a one-day internship is valid in this program."
    )
    allows_overlap: bool = Field(
        False,
        description="Whether a student may hold two internships at once, within "
        "48 hours a week together.",
    )
    tutors: list[ProgramTutor] = []

    def lead_time_days(self, location: str) -> int:
        return (
            self.lead_time_france_days
            if location == "france"
            else self.lead_time_abroad_days
        )

    def deadline(self, start_date: dt.date, location: str) -> dt.date:
        """Return the last day on which the career service's approval is on time."""
        return start_date - dt.timedelta(days=self.lead_time_days(location))

    def rule_breaks(self, start_date: dt.date, end_date: dt.date) -> list[RuleBreak]:
        """List each program rule that these dates break, with the field at fault."""
        breaks = []
        if start_date < self.earliest_start:
            breaks.append(
                RuleBreak(
                    "start_date",
                    f"the start date is before the program's window, "
                    f"which opens on {self.earliest_start}",
                )
            )
        if end_date > self.latest_end:
            breaks.append(
                RuleBreak(
                    "end_date",
                    f"the end date is after the program's window, "
                    f"which closes on {self.latest_end}",
                )
            )
        days = (end_date - start_date).days + 1
        if days == 1:
            if not self.allows_one_day:
                breaks.append(
                    RuleBreak(
                        "end_date",
                        "one-day internships are not allowed in this program",
                    )
                )
            return breaks
        if days < self.min_weeks * 7:
            breaks.append(
                RuleBreak(
                    "end_date", f"the internship is shorter than {self.min_weeks} weeks"
                )
            )
        if days > self.max_weeks * 7:
            breaks.append(
                RuleBreak(
                    "end_date", f"the internship is longer than {self.max_weeks} weeks"
                )
            )
        return breaks


class RuleBreak(NamedTuple):
    field: str
    message: str
