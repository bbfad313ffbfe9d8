"""The one Jinja2 environment for pages, emails and PDFs.

Every service folder may hold a `templates/` folder; templates are named by
their path under it, so each service prefixes its own (`documents/...`).
Autoescaping is on for every template, HTML or not, so that text typed by a
student or a company never becomes markup.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date, get_day_names
from babel.numbers import format_currency, format_decimal
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"


def _as_date(value: str | dt.date) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def date_filter(value: str | dt.date | None, locale: str = "fr") -> str:
    """Format an ISO date the way the reader's language writes it."""
    if value in (None, ""):
        return ""
    day = _as_date(value)
    text = format_date(day, format="long", locale=locale)
    if locale.startswith("fr") and day.day == 1:
        # French writes the first day of a month as an ordinal: 1er avril.
        text = text.replace("1 ", "1er ", 1)
    return text


def money_filter(value: str | Decimal | float | None, locale: str = "fr") -> str:
    if value in (None, ""):
        return ""
    return format_currency(Decimal(str(value)), "EUR", locale=locale)


def number_filter(value: str | Decimal | float | None, locale: str = "fr") -> str:
    if value in (None, ""):
        return ""
    return format_decimal(Decimal(str(value)), locale=locale)


WEEKDAY_NAMES = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


def weekdays_filter(value: list[str] | None, locale: str = "fr") -> str:
    """Name the weekdays in the reader's language; Monday to Friday when empty."""
    names = get_day_names("wide", locale=locale)
    chosen = value or list(WEEKDAY_NAMES[:5])
    days = sorted(WEEKDAY_NAMES.index(day) for day in chosen)
    return ", ".join(str(names[day]) for day in days)


def new_environment(extensions: tuple[str, ...] = ()) -> Environment:
    """Build an environment over every service's templates, with Campus' filters."""
    loaders = [
        FileSystemLoader(str(folder))
        for folder in sorted(SERVICES_DIR.glob("*/templates"))
    ]
    environment = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=list(extensions),
    )
    environment.filters["date"] = date_filter
    environment.filters["money"] = money_filter
    environment.filters["number"] = number_filter
    environment.filters["weekdays"] = weekdays_filter
    return environment


@lru_cache(maxsize=1)
def template_environment() -> Environment:
    return new_environment()
