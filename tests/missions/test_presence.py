"""Presence hours, duration, allowance and cap of a mission under French rules."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.missions.presence import (
    DateRange,
    Period,
    Presence,
    Schedule,
    _RateTable,
    _sum_by_day,
    _sum_regular,
    compute_presence,
    weekly_hours_on,
)

RATES = {dt.date(2025, 1, 1): Decimal("4.35"), dt.date(2026, 1, 1): Decimal("4.50")}
FULL_TIME = Schedule(weekly_hours=Decimal(35))
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Case:
    start: dt.date
    end: dt.date
    schedule: Schedule
    expected: dict[str, object]
    country: str = "FR"
    earlier_hours: Decimal = Decimal(0)
    subdivision: str | None = None

    def compute(self) -> Presence:
        return compute_presence(
            self.start,
            self.end,
            self.country,
            self.schedule,
            RATES,
            self.earlier_hours,
            subdivision=self.subdivision,
        )


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# Every case below is paid 4.50 €/h unless its comment gives another rate. With a
# single rate the monthly minimum is 4.50 * 154 = 693.00 whatever the hours.
CASES: dict[str, Case] = {
    # Mon 2027-05-03 to Fri 05-28: 20 weekdays. French holidays inside:
    # Thu 05-06 (Ascension) and Mon 05-17 (Whit Monday), while 05-08 is a
    # Saturday. 18 days * 35/5 = 7 h = 126 h. 126 / 7 = 18.00 days,
    # 126 / 154 = 0.818 months, 126 * 4.50 = 567.00 €.
    "full time in France": Case(
        _d("2027-05-03"),
        _d("2027-05-28"),
        FULL_TIME,
        {
            "presence_hours": Decimal("126.00"),
            "presence_days": Decimal("18.00"),
            "presence_months": Decimal("0.82"),
            "minimum_allowance_total": Decimal("567.00"),
            "minimum_monthly_allowance": Decimal("693.00"),
            "allowance_required": False,
        },
    ),
    # 21 h on Mon, Tue and Wed: 7 h a day. Mon 2027-06-07 to Fri 07-02 is
    # 4 weeks with no holiday, so 12 days * 7 = 84 h. 84 / 7 = 12.00 days,
    # 84 / 154 = 0.545 months, 84 * 4.50 = 378.00 €.
    "part time three days": Case(
        _d("2027-06-07"),
        _d("2027-07-02"),
        Schedule(weekly_hours=Decimal(21), working_days=(0, 1, 2)),
        {
            "presence_hours": Decimal("84.00"),
            "presence_days": Decimal("12.00"),
            "presence_months": Decimal("0.55"),
            "minimum_allowance_total": Decimal("378.00"),
            "minimum_monthly_allowance": Decimal("693.00"),
        },
    ),
    # 20 h on Mon, Wed and Fri: 20/3 h a day, kept exact until the end.
    # Mon 2027-06-07 to Fri 06-25: 9 days * 20/3 = 60 h. 60 / 7 = 8.571
    # days, 60 / 154 = 0.390 months, 60 * 4.50 = 270.00 €.
    "part time in thirds": Case(
        _d("2027-06-07"),
        _d("2027-06-25"),
        Schedule(weekly_hours=Decimal(20), working_days=(0, 2, 4)),
        {
            "presence_hours": Decimal("60.00"),
            "presence_days": Decimal("8.57"),
            "presence_months": Decimal("0.39"),
            "minimum_allowance_total": Decimal("270.00"),
            "minimum_monthly_allowance": Decimal("693.00"),
        },
    ),
    # Internship Mon 2027-06-07 to Fri 07-09. Period 1, 06-07 to 06-18, is
    # 35 h Mon-Fri: 10 days * 7 = 70 h. Period 2, 06-21 to 07-02, is 24 h
    # Mon-Thu: 8 days * 6 = 48 h. The week 07-05 to 07-09 is in no period
    # and counts 0. 70 + 48 = 118 h. 118 / 7 = 16.857 days, 118 / 154 =
    # 0.766 months, 118 * 4.50 = 531.00 €.
    "irregular weeks": Case(
        _d("2027-06-07"),
        _d("2027-07-09"),
        Schedule(
            weekly_hours=None,
            periods=[
                Period(
                    start=_d("2027-06-07"),
                    end=_d("2027-06-18"),
                    weekly_hours=Decimal(35),
                ),
                Period(
                    start=_d("2027-06-21"),
                    end=_d("2027-07-02"),
                    weekly_hours=Decimal(24),
                    working_days=(0, 1, 2, 3),
                ),
            ],
        ),
        {
            "presence_hours": Decimal("118.00"),
            "presence_days": Decimal("16.86"),
            "presence_months": Decimal("0.77"),
            "minimum_allowance_total": Decimal("531.00"),
            "minimum_monthly_allowance": Decimal("693.00"),
        },
    ),
    # Mon 2027-07-12 to Fri 07-16 with Wed 07-14 (Bastille Day) not
    # worked: 4 days * 7 = 28 h. 28 / 154 = 0.182 months, 28 * 4.50 =
    # 126.00 €.
    "holiday not worked": Case(
        _d("2027-07-12"),
        _d("2027-07-16"),
        FULL_TIME,
        {
            "presence_hours": Decimal("28.00"),
            "presence_days": Decimal("4.00"),
            "presence_months": Decimal("0.18"),
            "minimum_allowance_total": Decimal("126.00"),
        },
    ),
    # The same week with holidays_worked: 5 days * 7 = 35 h. 35 / 154 =
    # 0.227 months, 35 * 4.50 = 157.50 €.
    "holiday worked": Case(
        _d("2027-07-12"),
        _d("2027-07-16"),
        Schedule(weekly_hours=Decimal(35), holidays_worked=True),
        {
            "presence_hours": Decimal("35.00"),
            "presence_days": Decimal("5.00"),
            "presence_months": Decimal("0.23"),
            "minimum_allowance_total": Decimal("157.50"),
        },
    ),
    # Mon 2026-05-04 to Fri 05-15 in Germany: 10 weekdays less Thu 05-14
    # (Ascension). Fri 05-08 is a French holiday only, so it counts. 9 days
    # * 7 = 63 h. 63 / 154 = 0.409 months, 63 * 4.50 = 283.50 €.
    "Germany keeps 8 May": Case(
        _d("2026-05-04"),
        _d("2026-05-15"),
        FULL_TIME,
        {
            "presence_hours": Decimal("63.00"),
            "presence_days": Decimal("9.00"),
            "presence_months": Decimal("0.41"),
            "minimum_allowance_total": Decimal("283.50"),
        },
        country="DE",
    ),
    # The same fortnight in France loses Fri 05-08 (Victory Day) and Thu
    # 05-14 (Ascension): 8 days * 7 = 56 h, 56 * 4.50 = 252.00 €.
    "France loses 8 May": Case(
        _d("2026-05-04"),
        _d("2026-05-15"),
        FULL_TIME,
        {
            "presence_hours": Decimal("56.00"),
            "minimum_allowance_total": Decimal("252.00"),
        },
    ),
    # Mon 2027-07-12 to Fri 07-16 in Germany: 14 July is no German holiday,
    # so 5 days * 7 = 35 h.
    "Germany keeps 14 July": Case(
        _d("2027-07-12"),
        _d("2027-07-16"),
        FULL_TIME,
        {"presence_hours": Decimal("35.00")},
        country="DE",
    ),
    # Mon 2027-03-22 to Fri 04-02 in Moselle: Good Friday 03-26 is a
    # holiday there, as is Easter Monday 03-29. 10 - 2 = 8 days * 7 = 56 h.
    "Moselle loses Good Friday": Case(
        _d("2027-03-22"),
        _d("2027-04-02"),
        FULL_TIME,
        {"presence_hours": Decimal("56.00")},
        subdivision="57",
    ),
    # Mon 2027-06-07 to Fri 07-02 is 20 weekdays, and the interruption Mon
    # 06-14 to Fri 06-18 removes 5. 15 days * 7 = 105 h. 105 / 154 = 0.682
    # months, 105 * 4.50 = 472.50 €.
    "interruption removes a week": Case(
        _d("2027-06-07"),
        _d("2027-07-02"),
        Schedule(
            weekly_hours=Decimal(35),
            interruptions=[DateRange(start=_d("2027-06-14"), end=_d("2027-06-18"))],
        ),
        {
            "presence_hours": Decimal("105.00"),
            "presence_days": Decimal("15.00"),
            "presence_months": Decimal("0.68"),
            "minimum_allowance_total": Decimal("472.50"),
        },
    ),
    # Wed 2027-06-09 alone: 7 h, 1.00 day, 7 / 154 = 0.04545 months, which
    # rounds half-up to 0.05. 7 * 4.50 = 31.50 €.
    "one day": Case(
        _d("2027-06-09"),
        _d("2027-06-09"),
        FULL_TIME,
        {
            "presence_hours": Decimal("7.00"),
            "presence_days": Decimal("1.00"),
            "presence_months": Decimal("0.05"),
            "minimum_allowance_total": Decimal("31.50"),
            "minimum_monthly_allowance": Decimal("693.00"),
        },
    ),
    # December 2025 from Mon 12-01: 23 weekdays less Thu 12-25 (Christmas)
    # = 22 days * 7 = 154 h at 4.35 = 669.90 €. January 2026 to Fri 01-30:
    # 22 weekdays less Thu 01-01 = 21 days * 7 = 147 h at 4.50 = 661.50 €.
    # 154 + 147 = 301 h = 43.00 days = 1.954 months. 669.90 + 661.50 =
    # 1331.40 €, and 1331.40 / (301 / 154) = 681.181 € a month.
    "across the rate change": Case(
        _d("2025-12-01"),
        _d("2026-01-30"),
        FULL_TIME,
        {
            "presence_hours": Decimal("301.00"),
            "presence_days": Decimal("43.00"),
            "presence_months": Decimal("1.95"),
            "minimum_allowance_total": Decimal("1331.40"),
            "minimum_monthly_allowance": Decimal("681.18"),
        },
    ),
    # 24 h Mon-Thu is 6 h a day. Mon 2027-06-07 to Fri 07-09 is 5 weeks
    # with no holiday: 20 days * 6 = 120 h. With 200 earlier hours at the
    # same host, 200 + 120 = 320 > 308, so the allowance is owed.
    # 120 / 7 = 17.143 days, 120 / 154 = 0.779 months, 120 * 4.50 = 540.00 €.
    "second internship crosses two months": Case(
        _d("2027-06-07"),
        _d("2027-07-09"),
        Schedule(weekly_hours=Decimal(24), working_days=(0, 1, 2, 3)),
        {
            "presence_hours": Decimal("120.00"),
            "presence_days": Decimal("17.14"),
            "presence_months": Decimal("0.78"),
            "hours_with_host": Decimal("320.00"),
            "allowance_required": True,
            "over_cap": False,
            "minimum_allowance_total": Decimal("540.00"),
        },
        earlier_hours=Decimal(200),
    ),
    # Tue 2027-06-01 to Mon 08-02, 35 h Mon-Fri: June has 22 weekdays, July
    # has 22 less Wed 07-14 = 21, and Mon 08-02 adds 1. 44 days * 7 =
    # 308 h = 2.00 months exactly, and 308 is not more than 308.
    "exactly 308 hours": Case(
        _d("2027-06-01"),
        _d("2027-08-02"),
        FULL_TIME,
        {
            "presence_hours": Decimal("308.00"),
            "presence_days": Decimal("44.00"),
            "presence_months": Decimal("2.00"),
            "hours_with_host": Decimal("308.00"),
            "allowance_required": False,
            "minimum_allowance_total": Decimal("1386.00"),
        },
    ),
    # The same 308 h plus 1 earlier hour at the same host: 309 > 308.
    "309 hours with host": Case(
        _d("2027-06-01"),
        _d("2027-08-02"),
        FULL_TIME,
        {
            "hours_with_host": Decimal("309.00"),
            "allowance_required": True,
        },
        earlier_hours=Decimal(1),
    ),
    # The same 308 h plus 616 earlier hours: 924 is the cap, not over it.
    "924 hours with host": Case(
        _d("2027-06-01"),
        _d("2027-08-02"),
        FULL_TIME,
        {
            "hours_with_host": Decimal("924.00"),
            "allowance_required": True,
            "over_cap": False,
        },
        earlier_hours=Decimal(616),
    ),
    # The same 308 h plus 617 earlier hours: 925 > 924.
    "925 hours with host": Case(
        _d("2027-06-01"),
        _d("2027-08-02"),
        FULL_TIME,
        {
            "hours_with_host": Decimal("925.00"),
            "over_cap": True,
        },
        earlier_hours=Decimal(617),
    ),
}

FIGURES = [
    pytest.param(case, name, expected, id=f"{case_id}: {name}")
    for case_id, case in CASES.items()
    for name, expected in case.expected.items()
]


@pytest.mark.parametrize(("case", "name", "expected"), FIGURES)
def test_figure_matches_worked_case(case: Case, name: str, expected: object) -> None:
    assert getattr(case.compute(), name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "presence_hours",
        "presence_days",
        "presence_months",
        "hours_with_host",
        "minimum_allowance_total",
        "minimum_monthly_allowance",
    ],
)
def test_figures_have_two_places(name: str) -> None:
    presence = CASES["part time in thirds"].compute()

    assert getattr(presence, name).as_tuple().exponent == -2


def test_zero_presence_has_zero_monthly() -> None:
    # Wed 2027-07-14 is Bastille Day, so the only day counts 0 hours.
    day = _d("2027-07-14")
    presence = compute_presence(day, day, "FR", FULL_TIME, RATES)

    assert presence.presence_hours == 0
    assert presence.minimum_monthly_allowance == 0


def test_weekly_hours_regular_schedule() -> None:
    assert weekly_hours_on(FULL_TIME, _d("2027-06-09")) == Decimal(35)


def test_weekly_hours_inside_period() -> None:
    schedule = CASES["irregular weeks"].schedule

    assert weekly_hours_on(schedule, _d("2027-06-22")) == Decimal(24)


def test_weekly_hours_outside_periods() -> None:
    schedule = CASES["irregular weeks"].schedule

    assert weekly_hours_on(schedule, _d("2027-07-05")) == Decimal(0)


# Property-based tests. Dates stay within 2025-2028, where RATES apply.

FIRST_START = dt.date(2025, 1, 1)
LAST_START = dt.date(2027, 12, 31)
COUNTRIES = st.sampled_from(["FR", "DE", "ES"])
WORKING_DAYS = st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True).map(
    lambda days: tuple(sorted(days))
)


@st.composite
def regular_schedules(draw: st.DrawFn) -> Schedule:
    """Draw a regular schedule whose daily hours are whole quarter hours."""
    working_days = draw(WORKING_DAYS)
    max_quarters = math.floor(48 * 4 / len(working_days))
    quarters = draw(st.integers(1, max_quarters))
    weekly_hours = Decimal(quarters * len(working_days)) / 4
    return Schedule(
        weekly_hours=weekly_hours,
        working_days=working_days,
        holidays_worked=draw(st.booleans()),
    )


@st.composite
def irregular_internships(draw: st.DrawFn) -> tuple[dt.date, dt.date, list[Period]]:
    """Draw an internship and back-to-back periods, with gaps, inside it."""
    start = draw(st.dates(FIRST_START, LAST_START))
    periods = []
    cursor = start
    for _ in range(draw(st.integers(1, 5))):
        cursor += dt.timedelta(days=draw(st.integers(0, 10)))
        end = cursor + dt.timedelta(days=draw(st.integers(0, 40)))
        hours = draw(st.integers(1, 48))
        days = draw(WORKING_DAYS)
        periods.append(
            Period(
                start=cursor, end=end, weekly_hours=Decimal(hours), working_days=days
            )
        )
        cursor = end + dt.timedelta(days=1)
    return start, cursor, periods


@settings(max_examples=100, deadline=None)
@given(
    start=st.dates(FIRST_START, LAST_START),
    length=st.integers(0, 200),
    extra=st.integers(1, 160),
    schedule=regular_schedules(),
    country=COUNTRIES,
)
def test_longer_internship_never_fewer_hours(
    start: dt.date, length: int, extra: int, schedule: Schedule, country: str
) -> None:
    end = start + dt.timedelta(days=length)
    later_end = end + dt.timedelta(days=extra)

    shorter = compute_presence(start, end, country, schedule, RATES)
    longer = compute_presence(start, later_end, country, schedule, RATES)

    assert longer.presence_hours >= shorter.presence_hours


@settings(max_examples=100, deadline=None)
@given(
    start=st.dates(FIRST_START, LAST_START),
    length=st.integers(0, 365),
    schedule=regular_schedules(),
    country=COUNTRIES,
)
def test_hours_within_weekly_hours_per_week(
    start: dt.date, length: int, schedule: Schedule, country: str
) -> None:
    end = start + dt.timedelta(days=length)
    weeks = math.ceil((length + 1) / 7)
    assert schedule.weekly_hours is not None

    presence = compute_presence(start, end, country, schedule, RATES)

    assert presence.presence_hours <= schedule.weekly_hours * weeks


@settings(max_examples=100, deadline=None)
@given(internship=irregular_internships(), data=st.data())
def test_period_order_changes_nothing(
    internship: tuple[dt.date, dt.date, list[Period]], data: st.DataObject
) -> None:
    start, end, periods = internship
    shuffled = data.draw(st.permutations(periods))

    entered = compute_presence(start, end, "FR", Schedule(periods=periods), RATES)
    reordered = compute_presence(start, end, "FR", Schedule(periods=shuffled), RATES)

    assert reordered == entered


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@settings(max_examples=100, deadline=None)
@given(
    start=st.dates(FIRST_START, LAST_START),
    length=st.integers(0, 365),
    schedule=regular_schedules(),
)
def test_total_between_the_two_rates(
    start: dt.date, length: int, schedule: Schedule
) -> None:
    # Whole quarter hours a day keep the hours exact at two places, so only
    # the total is rounded, and rounding half-up keeps the order of bounds.
    end = start + dt.timedelta(days=length)

    presence = compute_presence(start, end, "FR", schedule, RATES)
    hours = presence.presence_hours

    assert presence.minimum_allowance_total >= _cents(Decimal("4.35") * hours)
    assert presence.minimum_allowance_total <= _cents(Decimal("4.50") * hours)


# Errors name the field or the value at fault.


def test_end_before_start_rejected() -> None:
    with pytest.raises(ValueError, match="end date 2027-06-01 is before start"):
        compute_presence(_d("2027-06-02"), _d("2027-06-01"), "FR", FULL_TIME, RATES)


def test_unknown_country_rejected() -> None:
    with pytest.raises(ValueError, match="unknown host country code 'XX'"):
        compute_presence(_d("2027-06-01"), _d("2027-06-30"), "XX", FULL_TIME, RATES)


def test_unknown_subdivision_rejected() -> None:
    with pytest.raises(ValueError, match="subdivision 'ZZ'"):
        compute_presence(
            _d("2027-06-01"),
            _d("2027-06-30"),
            "FR",
            FULL_TIME,
            RATES,
            subdivision="ZZ",
        )


def test_overlapping_periods_rejected() -> None:
    with pytest.raises(ValueError, match="periods overlap") as raised:
        Schedule(
            periods=[
                Period(
                    start=_d("2027-06-01"),
                    end=_d("2027-06-15"),
                    weekly_hours=Decimal(35),
                ),
                Period(
                    start=_d("2027-06-15"),
                    end=_d("2027-06-30"),
                    weekly_hours=Decimal(20),
                ),
            ]
        )

    assert "2027-06-15..2027-06-30" in str(raised.value)


def test_period_outside_internship_rejected() -> None:
    schedule = Schedule(
        periods=[
            Period(
                start=_d("2027-05-31"),
                end=_d("2027-06-11"),
                weekly_hours=Decimal(35),
            )
        ]
    )

    with pytest.raises(ValueError, match=r"periods\[0\] \(2027-05-31\.\.2027-06-11\)"):
        compute_presence(_d("2027-06-01"), _d("2027-06-30"), "FR", schedule, RATES)


def test_interruption_outside_internship_rejected() -> None:
    schedule = Schedule(
        weekly_hours=Decimal(35),
        interruptions=[DateRange(start=_d("2027-06-28"), end=_d("2027-07-02"))],
    )

    with pytest.raises(ValueError, match=r"interruptions\[0\]"):
        compute_presence(_d("2027-06-01"), _d("2027-06-30"), "FR", schedule, RATES)


def test_date_before_first_rate_rejected() -> None:
    with pytest.raises(ValueError, match="no hourly rate in force on 2024-12-30"):
        compute_presence(_d("2024-12-30"), _d("2025-01-10"), "FR", FULL_TIME, RATES)


def test_empty_rates_rejected() -> None:
    with pytest.raises(ValueError, match="rates is empty"):
        compute_presence(_d("2027-06-01"), _d("2027-06-30"), "FR", FULL_TIME, {})


def test_negative_earlier_hours_rejected() -> None:
    with pytest.raises(ValueError, match="earlier_hours_same_host is negative"):
        compute_presence(
            _d("2027-06-01"),
            _d("2027-06-30"),
            "FR",
            FULL_TIME,
            RATES,
            Decimal(-1),
        )


def test_schedule_without_hours_rejected() -> None:
    with pytest.raises(ValueError, match="set weekly_hours"):
        Schedule(weekly_hours=None)


def test_schedule_with_both_kinds_rejected() -> None:
    period = Period(
        start=_d("2027-06-01"), end=_d("2027-06-30"), weekly_hours=Decimal(35)
    )

    with pytest.raises(ValueError, match="not both"):
        Schedule(weekly_hours=Decimal(35), periods=[period])


def test_invalid_weekday_rejected() -> None:
    with pytest.raises(ValueError, match=r"working_days contains invalid weekdays"):
        Schedule(weekly_hours=Decimal(35), working_days=(0, 7))


def test_repeated_weekday_rejected() -> None:
    with pytest.raises(ValueError, match="contains a weekday twice"):
        Schedule(weekly_hours=Decimal(35), working_days=(0, 0))


def test_weekly_hours_above_48_rejected() -> None:
    with pytest.raises(ValueError, match="weekly_hours"):
        Schedule(weekly_hours=Decimal(49))


def test_period_ending_before_start_rejected() -> None:
    with pytest.raises(ValueError, match="end 2027-06-01 is before start"):
        Period(start=_d("2027-06-02"), end=_d("2027-06-01"), weekly_hours=Decimal(35))


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(FIRST_START, LAST_START),
    length=st.integers(0, 400),
    schedule=regular_schedules(),
    country=COUNTRIES,
    rates=st.lists(
        st.tuples(
            st.dates(dt.date(2024, 1, 1), dt.date(2028, 12, 31)), st.integers(1, 900)
        ),
        min_size=1,
        max_size=4,
        unique_by=lambda rate: rate[0],
    ),
)
def test_regular_schedule_counted_as_day_by_day(
    start: dt.date,
    length: int,
    schedule: Schedule,
    country: str,
    rates: list[tuple[dt.date, int]],
) -> None:
    """The calendar arithmetic for regular schedules gives the day-by-day sums."""
    end = start + dt.timedelta(days=length)
    table = _RateTable(
        {dt.date(2024, 1, 1): Decimal("4.35")}
        | {day: Decimal(cents) / 100 for day, cents in rates}
    )
    calendar = frozenset(
        holidays.country_holidays(country, years=range(start.year, end.year + 1))
    )
    assert schedule.weekly_hours is not None

    by_day = _sum_by_day(start, end, schedule, calendar, table)
    regular = _sum_regular(start, end, schedule, schedule.weekly_hours, calendar, table)

    assert regular == by_day
