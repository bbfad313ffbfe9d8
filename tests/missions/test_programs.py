"""Program rules: the window, the duration and the lead time."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from services.missions.programs import Program
from shared.platform.settings import Settings

PROGRAM = Program(
    id="p",
    name="Programme",
    academic_year="2026-2027",
    earliest_start=dt.date(2027, 1, 4),
    latest_end=dt.date(2027, 9, 30),
    min_weeks=4,
    max_weeks=26,
    internship_type="long",
)


def test_dates_inside_rules_break_nothing() -> None:
    assert PROGRAM.rule_breaks(dt.date(2027, 4, 1), dt.date(2027, 7, 30)) == []


@pytest.mark.parametrize(
    ("start", "end", "field", "expected"),
    [
        (dt.date(2027, 1, 3), dt.date(2027, 3, 1), "start_date", "window, which opens"),
        (dt.date(2027, 8, 1), dt.date(2027, 10, 1), "end_date", "window, which closes"),
        (dt.date(2027, 4, 1), dt.date(2027, 4, 27), "end_date", "shorter than 4 weeks"),
        (dt.date(2027, 1, 4), dt.date(2027, 7, 5), "end_date", "longer than 26 weeks"),
    ],
)
def test_each_broken_rule_named(
    start: dt.date, end: dt.date, field: str, expected: str
) -> None:
    breaks = PROGRAM.rule_breaks(start, end)

    assert len(breaks) == 1
    assert breaks[0].field == field
    assert expected in breaks[0].message


def test_exactly_four_weeks_allowed() -> None:
    assert PROGRAM.rule_breaks(dt.date(2027, 4, 1), dt.date(2027, 4, 28)) == []


def test_deadline_is_8_days_in_france() -> None:
    assert PROGRAM.deadline(dt.date(2027, 4, 1), "france") == dt.date(2027, 3, 24)


def test_deadline_is_15_days_abroad() -> None:
    assert PROGRAM.deadline(dt.date(2027, 4, 1), "abroad") == dt.date(2027, 3, 17)


def test_production_refuses_default_secret() -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(environment="production")

    assert "CAMPUS_SECRET_KEY" in str(raised.value)


def test_production_refuses_development_login() -> None:
    with pytest.raises(ValidationError):
        Settings(environment="production", secret_key="x" * 32, dev_login=True)


def test_window_spanning_academic_years_accepted() -> None:
    # The program's window, not the calendar of one academic year, bounds it:
    # July to September 2027 runs into academic year 2027-2028.
    assert PROGRAM.rule_breaks(dt.date(2027, 7, 1), dt.date(2027, 9, 30)) == []


def test_production_has_no_default_development_login() -> None:
    settings = Settings(environment="production", secret_key="x" * 32)

    assert settings.dev_login_enabled is False
