"""The figures of a mission (presence, duration, allowance) and the checks on them.

Figures are computed when read, from the mission's dates, country and terms,
so a change of dates or schedule shows everywhere at once. The student's
earlier internships with the same host in the same academic year count
towards the two-month allowance line and the six-month cap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from services.missions.domain import Mission
from services.missions.presence import (
    ALLOWANCE_THRESHOLD_HOURS,
    CAP_HOURS,
    DateRange,
    Period,
    Presence,
    Schedule,
    compute_presence,
    weekly_hours_on,
)
from services.missions.programs import Program
from shared.events.sections import WEEKDAYS
from shared.platform.db import Database
from shared.platform.errors import ConflictError, InvalidFieldError

# Students per query when a list loads their counted missions.
_BATCH = 500

# Missions in these statuses are internships that count with the same host.
COUNTED_STATUSES = (
    "sent_to_company",
    "company_completed",
    "tutor_review",
    "career_service_review",
    "approved",
)
FIGURE_NAMES = (
    "presence_hours",
    "presence_days",
    "presence_months",
    "hours_with_host",
    "allowance_required",
    "over_cap",
    "minimum_allowance_total",
    "minimum_monthly_allowance",
)


class OverlappingInternshipError(ConflictError):
    code = "overlapping_internship"


def _weekdays(names: list[str] | None) -> tuple[int, ...]:
    if not names:
        return (0, 1, 2, 3, 4)
    return tuple(sorted({WEEKDAYS.index(name) for name in names}))


def schedule_of(terms: Mapping[str, Any]) -> Schedule | None:
    """Build the presence schedule from the terms section, or None if too empty."""
    periods = [
        Period(
            start=dt.date.fromisoformat(period["start"]),
            end=dt.date.fromisoformat(period["end"]),
            weekly_hours=Decimal(period["weekly_hours"]),
            working_days=_weekdays(period.get("working_days")),
        )
        for period in terms.get("periods") or []
    ]
    weekly_hours = terms.get("weekly_hours")
    if not periods and weekly_hours is None:
        return None
    interruptions = [
        DateRange(
            start=dt.date.fromisoformat(item["start"]),
            end=dt.date.fromisoformat(item["end"]),
        )
        for item in terms.get("interruptions") or []
    ]
    return Schedule(
        weekly_hours=None if periods or weekly_hours is None else Decimal(weekly_hours),
        working_days=_weekdays(terms.get("working_days")),
        periods=periods,
        interruptions=interruptions,
        holidays_worked=bool(terms.get("holidays_worked")),
    )


def host_key(mission: Mission) -> str | None:
    """Identify the host by its SIRET, else by its country and identifier or name."""
    organisation = mission.sections.get("organisation", {})
    if organisation.get("siret"):
        return f"siret:{organisation['siret']}"
    label = organisation.get("identifier") or organisation.get("name")
    if not label:
        return None
    return f"{organisation.get('country', '')}:{' '.join(str(label).lower().split())}"


class FigureCalculator:
    def __init__(
        self,
        database: Database,
        programs: Mapping[str, Program],
        rates: Mapping[dt.date, Decimal],
    ) -> None:
        self._database = database
        self._programs = programs
        self._rates = rates

    def _alone(self, mission: Mission, earlier_hours: Decimal) -> Presence | None:
        if (
            mission.start_date is None
            or mission.end_date is None
            or not mission.country
        ):
            return None
        try:
            schedule = schedule_of(mission.sections.get("terms", {}))
        except (ValidationError, ValueError) as error:
            raise _schedule_error(error) from error
        if schedule is None:
            return None
        try:
            return compute_presence(
                mission.start_date,
                mission.end_date,
                mission.country,
                schedule,
                self._rates,
                earlier_hours,
            )
        except ValueError as error:
            raise _schedule_error(error) from error

    def _others(self, mission: Mission) -> list[Mission]:
        """Load the same student's other missions that count as internships."""
        placeholders = ", ".join("?" for _ in COUNTED_STATUSES)
        with self._database.transaction() as tx:
            rows = tx.fetchall(
                "SELECT document FROM mission_view WHERE student_email = ? AND id <> ? "
                f"AND status IN ({placeholders})",
                (mission.student_email, mission.id, *COUNTED_STATUSES),
            )
        return [Mission.model_validate_json(row["document"]) for row in rows]

    def counted_by_student(
        self, missions: Sequence[Mission]
    ) -> dict[str, list[Mission]]:
        """Load, for a list, each student's missions that count as internships.

        One query per `_BATCH` students instead of one per mission; missions
        already in `missions` are reused rather than read again.
        """
        known = {mission.id: mission for mission in missions}
        students = sorted({mission.student_email for mission in missions})
        counted: dict[str, list[Mission]] = {student: [] for student in students}
        statuses = ", ".join("?" for _ in COUNTED_STATUSES)
        with self._database.transaction() as tx:
            for start in range(0, len(students), _BATCH):
                batch = students[start : start + _BATCH]
                rows = tx.fetchall(
                    "SELECT id, student_email, document FROM mission_view WHERE "
                    f"student_email IN ({', '.join('?' for _ in batch)}) "
                    f"AND status IN ({statuses})",
                    (*batch, *COUNTED_STATUSES),
                )
                for row in rows:
                    mission = known.get(row["id"]) or Mission.model_validate_json(
                        row["document"]
                    )
                    counted[str(row["student_email"])].append(mission)
        return counted

    def earlier_hours_with_host(
        self, mission: Mission, counted: Sequence[Mission] | None = None
    ) -> Decimal:
        """Sum the student's earlier presence with this host in this academic year.

        `counted`, when given, contains the student's missions that count (from
        `counted_by_student`). Without it they are read from the read model.
        """
        key, program = host_key(mission), self._programs.get(mission.program_id)
        if key is None or program is None or mission.start_date is None:
            return Decimal(0)
        others = (
            self._others(mission)
            if counted is None
            else [other for other in counted if other.id != mission.id]
        )
        total = Decimal(0)
        for other in others:
            other_program = self._programs.get(other.program_id)
            same_year = (
                other_program is not None
                and other_program.academic_year == program.academic_year
            )
            earlier = other.end_date is not None and other.end_date < mission.start_date
            if same_year and earlier and host_key(other) == key:
                presence = self._quietly(other, Decimal(0))
                total += presence.presence_hours if presence else Decimal(0)
        return total

    def _quietly(self, mission: Mission, earlier_hours: Decimal) -> Presence | None:
        try:
            return self._alone(mission, earlier_hours)
        except InvalidFieldError:
            return None

    def figures(
        self, mission: Mission, counted: Sequence[Mission] | None = None
    ) -> Presence | None:
        """Compute the mission's figures; raise InvalidFieldError on a bad schedule."""
        return self._alone(mission, self.earlier_hours_with_host(mission, counted))

    def public_figures(
        self, mission: Mission, counted: Sequence[Mission] | None = None
    ) -> dict[str, Any]:
        """Return the figures as the API shows them, null until they can be computed."""
        try:
            presence = self.figures(mission, counted)
        except InvalidFieldError as error:
            return {**dict.fromkeys(FIGURE_NAMES), "figures_error": error.message}
        if presence is None:
            return dict.fromkeys(FIGURE_NAMES)
        return {name: _json(getattr(presence, name)) for name in FIGURE_NAMES}

    def check(self, mission: Mission, allowance_needed: bool) -> None:
        """Refuse a sheet above the cap or with an allowance under the minimum.

        These are French rules, so they bind internships in France only; an
        internship abroad still shows its figures.
        """
        presence = self.figures(mission)
        if presence is None or mission.location != "france":
            return
        if presence.over_cap:
            raise InvalidFieldError(
                _over_cap_message(presence), field="terms.weekly_hours"
            )
        if not presence.allowance_required:
            return
        given = mission.sections.get("terms", {}).get("monthly_allowance")
        if given is None and not allowance_needed:
            return
        if given is None or Decimal(given) < presence.minimum_monthly_allowance:
            raise InvalidFieldError(
                _allowance_message(presence, given), field="terms.monthly_allowance"
            )

    def check_overlaps(self, mission: Mission, program: Program) -> None:
        """Refuse dates that overlap another internship of the student's."""
        if mission.start_date is None or mission.end_date is None:
            return
        for other in self._others(mission):
            if other.start_date is None or other.end_date is None:
                continue
            first = max(mission.start_date, other.start_date)
            last = min(mission.end_date, other.end_date)
            if first > last:
                continue
            if program.allows_overlap and self._within_weekly_limit(mission, other):
                continue
            raise OverlappingInternshipError(
                f"these dates overlap another internship ({other.start_date} to "
                f"{other.end_date}); change the dates, or cancel the other sheet",
                field="start_date",
            )

    @staticmethod
    def _within_weekly_limit(mission: Mission, other: Mission) -> bool:
        try:
            mine = schedule_of(mission.sections.get("terms", {}))
            theirs = schedule_of(other.sections.get("terms", {}))
        except (ValidationError, ValueError):
            return False
        if mine is None or theirs is None:
            return False
        assert mission.start_date is not None and other.start_date is not None
        day = max(mission.start_date, other.start_date)
        combined = weekly_hours_on(mine, day) + weekly_hours_on(theirs, day)
        return combined <= Decimal(48)


def _json(value: object) -> object:
    return str(value) if isinstance(value, Decimal) else value


def _schedule_error(error: Exception) -> InvalidFieldError:
    message = str(error).splitlines()[0] if str(error) else "invalid schedule"
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        message = str(first.get("msg", message)).removeprefix("Value error, ")
    return InvalidFieldError(f"terms: {message}", field="terms.periods")


def _over_cap_message(presence: Presence) -> str:
    return (
        f"presence with this host would reach {presence.hours_with_host} hours this "
        f"academic year (this internship: {presence.presence_hours} hours), above "
        f"the cap of {CAP_HOURS} hours (six months); shorten the internship or its "
        "weekly hours"
    )


def _allowance_message(presence: Presence, given: object) -> str:
    stated = "none" if given is None else f"{given} EUR"
    return (
        f"an allowance is owed above {ALLOWANCE_THRESHOLD_HOURS} hours of presence "
        f"with the same host (here {presence.hours_with_host} hours); the minimum "
        f"is {presence.minimum_monthly_allowance} EUR per month "
        f"({presence.minimum_allowance_total} EUR in all), and the sheet gives "
        f"{stated}"
    )
