"""Hours of presence, duration and minimum allowance (gratification) of a mission.

The French rules applied here come from the Code de l'éducation:

- D124-6: presence is counted in hours, day by day. 7 hours make one day and
  22 days make one month, so 154 hours make one month.
- L124-6 and D124-8: an allowance is owed when presence with the same host in
  the same academic year exceeds two months (more than 308 hours). Its minimum
  is the legal hourly rate times the hours of presence.
- L124-5: presence with the same host is capped at six months (924 hours) per
  academic year.

Every input comes in as an argument, so this module does no I/O. Hours and
money are exact fractions while computing and are rounded half-up to two
places only in the returned figures.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import math
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import pairwise

import holidays
from pydantic import BaseModel, Field, field_validator, model_validator

HOURS_PER_DAY = Decimal(7)
DAYS_PER_MONTH = Decimal(22)
HOURS_PER_MONTH = HOURS_PER_DAY * DAYS_PER_MONTH
ALLOWANCE_THRESHOLD_HOURS = 2 * HOURS_PER_MONTH
CAP_HOURS = 6 * HOURS_PER_MONTH
MAX_WEEKLY_HOURS = Decimal(48)
MONDAY_TO_FRIDAY = (0, 1, 2, 3, 4)

_CENT = Fraction(1, 100)


def _check_working_days(days: tuple[int, ...]) -> tuple[int, ...]:
    if not days:
        raise ValueError("working_days is empty: list at least one weekday")
    invalid = [day for day in days if not 0 <= day <= 6]
    if invalid:
        raise ValueError(
            f"working_days contains invalid weekdays {invalid}: "
            "use 0 for Monday to 6 for Sunday"
        )
    if len(set(days)) != len(days):
        raise ValueError(f"working_days {list(days)} contains a weekday twice")
    return days


class DateRange(BaseModel):
    """An inclusive range of days."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _check_order(self) -> DateRange:
        if self.end < self.start:
            raise ValueError(
                f"end {self.end} is before start {self.start}: "
                "a date range must end on or after its start"
            )
        return self

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


class Period(DateRange):
    """A part of an irregular schedule, with its own weekly hours and weekdays."""

    weekly_hours: Decimal = Field(gt=0, le=MAX_WEEKLY_HOURS)
    working_days: tuple[int, ...] = MONDAY_TO_FRIDAY

    @field_validator("working_days")
    @classmethod
    def _check_days(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        return _check_working_days(days)


class Schedule(BaseModel):
    """The working time of a mission.

    A regular schedule sets `weekly_hours` and `working_days` for the whole
    internship. An irregular schedule sets `periods` instead, and the days of
    the internship outside every period count zero hours. Weekdays run from
    0 (Monday) to 6 (Sunday). `interruptions` are suspensions of the
    internship, and their days count zero hours. Public holidays count zero
    hours unless `holidays_worked` is true.
    """

    weekly_hours: Decimal | None = Field(None, gt=0, le=MAX_WEEKLY_HOURS)
    working_days: tuple[int, ...] = MONDAY_TO_FRIDAY
    periods: list[Period] = []
    interruptions: list[DateRange] = []
    holidays_worked: bool = False

    @field_validator("working_days")
    @classmethod
    def _check_days(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        return _check_working_days(days)

    @model_validator(mode="after")
    def _check_kind(self) -> Schedule:
        if self.weekly_hours is not None and self.periods:
            raise ValueError(
                "set either weekly_hours (regular schedule) or periods "
                "(irregular schedule), not both"
            )
        if self.weekly_hours is None and not self.periods:
            raise ValueError(
                "missing working time: set weekly_hours (regular schedule) "
                "or periods (irregular schedule)"
            )
        return self

    @model_validator(mode="after")
    def _check_periods_disjoint(self) -> Schedule:
        ordered = sorted(self.periods, key=lambda period: period.start)
        for previous, following in pairwise(ordered):
            if following.start <= previous.end:
                raise ValueError(
                    f"periods overlap: {previous.start}..{previous.end} and "
                    f"{following.start}..{following.end} share days"
                )
        return self


@dataclass(frozen=True)
class Presence:
    """The presence figures of a mission, rounded half-up to two places.

    The minimum allowance figures are computed even when `allowance_required`
    is false, so the caller decides whether to show or enforce them.
    """

    presence_hours: Decimal
    presence_days: Decimal
    presence_months: Decimal
    hours_with_host: Decimal
    allowance_required: bool
    over_cap: bool
    minimum_allowance_total: Decimal
    minimum_monthly_allowance: Decimal


def _period_in_force(schedule: Schedule, day: dt.date) -> Period | None:
    return next((period for period in schedule.periods if day in period), None)


def weekly_hours_on(schedule: Schedule, day: dt.date) -> Decimal:
    """Return the weekly hours that the schedule sets on `day`.

    A regular schedule has no dates, so it returns its weekly hours for any
    day. An irregular schedule returns 0 for a day outside every period.
    Interruptions and public holidays are ignored here, because the figure is
    the agreed working time, for checking overlapping internships against the
    48-hour weekly limit.
    """
    if schedule.weekly_hours is not None:
        return schedule.weekly_hours
    period = _period_in_force(schedule, day)
    return period.weekly_hours if period is not None else Decimal(0)


def _day_shape(schedule: Schedule, day: dt.date) -> tuple[Decimal, int] | None:
    """Return the weekly hours and working days that schedule `day`, if it is worked.

    The day's hours are the weekly hours shared equally between the working
    days; None when the schedule has no work on that day.
    """
    period = _period_in_force(schedule, day)
    if period is not None:
        weekly_hours, working_days = period.weekly_hours, period.working_days
    elif schedule.weekly_hours is not None:
        weekly_hours, working_days = schedule.weekly_hours, schedule.working_days
    else:
        return None
    if day.weekday() not in working_days:
        return None
    return weekly_hours, len(working_days)


def _days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    for offset in range((end - start).days + 1):
        yield start + dt.timedelta(days=offset)


def _public_holidays(
    country: str, subdivision: str | None, start: dt.date, end: dt.date
) -> frozenset[dt.date]:
    return _holidays_of_years(country, subdivision, start.year, end.year)


# Every mission shown computes its figures, so the holidays of a country's
# years are built once per process: holidays 0.108 took about 2.7 ms for two
# years of France on the benchmark machine. A frozenset, rather than the
# package's object, because that object adds years to itself when asked about
# a date outside them, which threads sharing it should not do.
@functools.lru_cache(maxsize=256)
def _holidays_of_years(
    country: str, subdivision: str | None, first_year: int, last_year: int
) -> frozenset[dt.date]:
    years = range(first_year, last_year + 1)
    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=years)
    except NotImplementedError as error:
        target = f"host country code {country!r}"
        if subdivision is not None:
            target += f" with subdivision {subdivision!r}"
        raise ValueError(
            f"unknown {target}: use an upper-case ISO 3166-1 code and a "
            f"subdivision that the holidays package supports, such as 'FR' or "
            f"'DE' ({error})"
        ) from error
    return frozenset(found)


def _check_inside(
    ranges: Sequence[DateRange], field: str, start: dt.date, end: dt.date
) -> None:
    for index, date_range in enumerate(ranges):
        if date_range.start < start or date_range.end > end:
            raise ValueError(
                f"{field}[{index}] ({date_range.start}..{date_range.end}) lies "
                f"outside the internship ({start}..{end})"
            )


def _check_inputs(
    start: dt.date, end: dt.date, schedule: Schedule, earlier_hours: Decimal
) -> None:
    if end < start:
        raise ValueError(
            f"end date {end} is before start date {start}: "
            "an internship must end on or after its start"
        )
    if earlier_hours < 0:
        raise ValueError(
            f"earlier_hours_same_host is negative ({earlier_hours}): "
            "pass 0 when there is no earlier internship with this host"
        )
    _check_inside(schedule.periods, "periods", start, end)
    _check_inside(schedule.interruptions, "interruptions", start, end)


class _RateTable:
    """The legal hourly rates, each in force from its date until the next one."""

    def __init__(self, rates: Mapping[dt.date, Decimal]) -> None:
        if not rates:
            raise ValueError("rates is empty: pass at least one dated hourly rate")
        for effective_from, rate in rates.items():
            if rate <= 0:
                raise ValueError(
                    f"rates[{effective_from}] is {rate}: an hourly rate must be "
                    "positive"
                )
        self._dates = sorted(rates)
        self.rates = [Fraction(rates[effective_from]) for effective_from in self._dates]

    def index_on(self, day: dt.date) -> int:
        """Return the position in `rates` of the rate in force on `day`."""
        index = bisect.bisect_right(self._dates, day) - 1
        if index < 0:
            raise ValueError(
                f"no hourly rate in force on {day}: the first rate is effective "
                f"from {self._dates[0]}, so add a rate dated on or before {day}"
            )
        return index

    def rate_on(self, day: dt.date) -> Fraction:
        return self.rates[self.index_on(day)]

    def stretches(
        self, start: dt.date, end: dt.date
    ) -> Iterator[tuple[int, tuple[dt.date, dt.date]]]:
        """Yield each rate's position and the days of `start..end` it is in force."""
        first = self.index_on(start)
        for index in range(first, len(self._dates)):
            since = max(start, self._dates[index])
            if since > end:
                return
            until = end
            if index + 1 < len(self._dates):
                until = min(end, self._dates[index + 1] - dt.timedelta(days=1))
            yield index, (since, until)


def _round_half_up(value: Fraction) -> Decimal:
    """Round a non-negative fraction half-up to two decimal places."""
    cents = math.floor(value / _CENT + Fraction(1, 2))
    return Decimal(cents).scaleb(-2)


def _sum_by_day(
    start: dt.date,
    end: dt.date,
    schedule: Schedule,
    public_holidays: frozenset[dt.date],
    rates: _RateTable,
) -> tuple[Fraction, Fraction]:
    """Return the exact hours and minimum allowance, adding the days one by one."""
    # Days are counted by their hours and the rate in force, and each count
    # multiplied once: the same exact sums as day by day, with far fewer
    # fractions built.
    days: Counter[tuple[Decimal, int, int]] = Counter()
    for day in _days(start, end):
        if any(day in interruption for interruption in schedule.interruptions):
            continue
        if day in public_holidays and not schedule.holidays_worked:
            continue
        shape = _day_shape(schedule, day)
        if shape is not None:
            days[(*shape, rates.index_on(day))] += 1
    total_hours = Fraction(0)
    total_allowance = Fraction(0)
    for (weekly_hours, working_days, rate), count in days.items():
        hours = Fraction(weekly_hours) / working_days * count
        total_hours += hours
        total_allowance += hours * rates.rates[rate]
    return total_hours, total_allowance


def _working_days_between(first: dt.date, last: dt.date, working: set[int]) -> int:
    """Count the days from `first` to `last`, inclusive, whose weekday is worked."""
    full_weeks, rest = divmod((last - first).days + 1, 7)
    start = first.weekday()
    return full_weeks * len(working) + sum(
        1 for offset in range(rest) if (start + offset) % 7 in working
    )


def _sum_regular(
    start: dt.date,
    end: dt.date,
    schedule: Schedule,
    weekly_hours: Decimal,
    public_holidays: frozenset[dt.date],
    rates: _RateTable,
) -> tuple[Fraction, Fraction]:
    """Sum like `_sum_by_day`, for a regular schedule without interruptions.

    Its days all have the same hours, so each stretch of one rate counts its
    working days by calendar arithmetic, less the public holidays on them.
    """
    working = set(schedule.working_days)
    off: Counter[int] = Counter()
    if not schedule.holidays_worked:
        for day in public_holidays:
            if start <= day <= end and day.weekday() in working:
                off[rates.index_on(day)] += 1
    day_hours = Fraction(weekly_hours) / len(working)
    total_hours = Fraction(0)
    total_allowance = Fraction(0)
    for index, (first, last) in rates.stretches(start, end):
        hours = day_hours * (_working_days_between(first, last, working) - off[index])
        total_hours += hours
        total_allowance += hours * rates.rates[index]
    return total_hours, total_allowance


def _sum_presence(
    start: dt.date,
    end: dt.date,
    schedule: Schedule,
    public_holidays: frozenset[dt.date],
    rates: _RateTable,
) -> tuple[Fraction, Fraction]:
    """Return the exact hours of presence and the exact minimum allowance."""
    if (
        schedule.weekly_hours is not None
        and not schedule.periods
        and not schedule.interruptions
    ):
        return _sum_regular(
            start, end, schedule, schedule.weekly_hours, public_holidays, rates
        )
    return _sum_by_day(start, end, schedule, public_holidays, rates)


def compute_presence(
    start: dt.date,
    end: dt.date,
    country: str,
    schedule: Schedule,
    rates: Mapping[dt.date, Decimal],
    earlier_hours_same_host: Decimal = Decimal(0),
    *,
    subdivision: str | None = None,
) -> Presence:
    """Compute the presence of one internship, its allowance and its cap check.

    `start` and `end` are inclusive. `country` is the host country's code for
    the holidays package ('FR', 'DE', ...), and `subdivision` selects its
    regional holidays (for example '57' for Moselle), which count only when
    given. `rates` maps the date from which each legal hourly rate applies to
    the rate (15 % of the hourly social security ceiling, 4.50 € in 2026).
    Each day's hours are paid at the rate in force that day.
    `earlier_hours_same_host` is the presence of the student's earlier
    internships with the same host in the same academic year. The allowance
    threshold and the cap compare the rounded hours plus these earlier hours.

    Raises ValueError when `end` is before `start`, when the country or
    subdivision is unknown, when a period or interruption lies outside the
    internship, when `earlier_hours_same_host` is negative, when `rates` is
    empty or has a rate that is not positive, or when `start` is before the
    first rate's date.
    """
    _check_inputs(start, end, schedule, earlier_hours_same_host)
    public_holidays = _public_holidays(country, subdivision, start, end)
    rate_table = _RateTable(rates)
    # A start before the first rate is rejected even on a day with no hours.
    rate_table.rate_on(start)
    hours, allowance = _sum_presence(start, end, schedule, public_holidays, rate_table)

    presence_hours = _round_half_up(hours)
    hours_with_host = (earlier_hours_same_host + presence_hours).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    months = hours / Fraction(HOURS_PER_MONTH)
    monthly = allowance / months if hours else Fraction(0)
    return Presence(
        presence_hours=presence_hours,
        presence_days=_round_half_up(hours / Fraction(HOURS_PER_DAY)),
        presence_months=_round_half_up(months),
        hours_with_host=hours_with_host,
        allowance_required=hours_with_host > ALLOWANCE_THRESHOLD_HOURS,
        over_cap=hours_with_host > CAP_HOURS,
        minimum_allowance_total=_round_half_up(allowance),
        minimum_monthly_allowance=_round_half_up(monthly),
    )
