"""The five data sections of a mission sheet, shared by every service.

Each field is optional while the sheet is being filled in: the student leaves
some empty for the company to complete. `REQUIRED_ON_SUBMIT` lists what the
student must give before the sheet goes to the company, and
`REQUIRED_ON_VALIDATION` what must be there when the company validates.
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from shared.events.fields import CountryCode, IsoDate, LongText, ShortText

# Decimals are stored in plain notation ("1000.00", never "1E+3").
PlainDecimal = Annotated[Decimal, AfterValidator(lambda d: Decimal(format(d, "f")))]


def _euros(amount: Decimal) -> Decimal:
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError("give an amount in euros with at most 2 decimals")
    return amount.quantize(Decimal("0.01"))


Euros = Annotated[Decimal, AfterValidator(_euros)]
Phone = Annotated[str, Field(min_length=4, max_length=30, pattern=r"^[0-9+ ().-]+$")]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StudentSection(Section):
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    email: EmailStr | None = None
    student_number: (
        Annotated[str, Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9-]+$")]
        | None
    ) = None
    phone: Phone | None = None
    address: LongText | None = None


class OrganisationSection(Section):
    name: ShortText | None = None
    siret: str | None = Field(
        default=None, description="SIRET number of a French host: 14 digits."
    )
    identifier: ShortText | None = Field(
        default=None, description="Legal identifier of a host outside France."
    )
    address: LongText | None = None
    country: CountryCode | None = Field(
        default=None, description="ISO 3166-1 alpha-2 code, for example FR."
    )
    sector: ShortText | None = None
    size: ShortText | None = None
    representative_name: ShortText | None = Field(
        default=None, description="Person who signs the agreement for the host."
    )
    representative_position: ShortText | None = None

    @field_validator("siret")
    @classmethod
    def _siret_has_14_digits(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = value.replace(" ", "")
        if not re.fullmatch(r"[0-9]{14}", digits):
            raise ValueError(
                "a SIRET number has 14 digits, for example 732 829 320 00074"
            )
        return digits


class SupervisorSection(Section):
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    position: ShortText | None = None
    email: EmailStr | None = None
    phone: Phone | None = None


class MissionSection(Section):
    title: ShortText | None = None
    description: LongText | None = None
    department: ShortText | None = None
    objectives: LongText | None = None
    skills: LongText | None = None


Weekday = Literal[
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)


MAX_DAILY_HOURS = Decimal(10)


def _check_days(days: list[Weekday] | None) -> list[Weekday] | None:
    if days is not None and len(set(days)) != len(days):
        raise ValueError("each working day may appear once")
    return days


def _check_daily_hours(
    weekly_hours: Decimal | None, days: list[Weekday] | None
) -> None:
    """Refuse a schedule above 10 hours a day, the legal maximum for an intern."""
    if weekly_hours is None:
        return
    daily = weekly_hours / len(days or WEEKDAYS[:5])
    if daily > MAX_DAILY_HOURS:
        raise ValueError(
            f"{weekly_hours} hours over {len(days or WEEKDAYS[:5])} days make "
            f"{daily:.2f} hours a day, above the maximum of 10; add working days "
            "or lower the weekly hours"
        )


def _check_ranges(ranges: list[Any], what: str) -> None:
    ordered = sorted(ranges, key=lambda item: item.start)
    for item in ordered:
        if item.end < item.start:
            raise ValueError(f"{what} {item.start} to {item.end} ends before it starts")
    for earlier, later in itertools.pairwise(ordered):
        if later.start <= earlier.end:
            raise ValueError(
                f"{what}s overlap: {earlier.start} to {earlier.end} and "
                f"{later.start} to {later.end}"
            )


class Interruption(Section):
    start: IsoDate
    end: IsoDate
    reason: ShortText | None = None


class SchedulePeriod(Section):
    start: IsoDate
    end: IsoDate
    weekly_hours: PlainDecimal = Field(gt=0, le=48, decimal_places=2)
    working_days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS[:5]), min_length=1, max_length=7
    )

    _unique_days = field_validator("working_days")(_check_days)

    @model_validator(mode="after")
    def _within_daily_maximum(self) -> SchedulePeriod:
        _check_daily_hours(self.weekly_hours, self.working_days)
        return self


class TermsSection(Section):
    weekly_hours: PlainDecimal | None = Field(
        default=None,
        gt=0,
        le=48,
        decimal_places=2,
        description="Hours of presence per week, at most 48.",
    )
    working_days: list[Weekday] | None = Field(
        default=None,
        min_length=1,
        max_length=7,
        description="Days of presence in a week; Monday to Friday when not given.",
    )
    periods: list[SchedulePeriod] | None = Field(
        default=None,
        max_length=60,
        description="An irregular schedule: periods with their own weekly hours. "
        "When given, presence is counted from the periods only.",
    )
    interruptions: list[Interruption] | None = Field(
        default=None,
        max_length=60,
        description="Suspensions of the internship, which are not presence.",
    )
    holidays_worked: StrictBool | None = Field(
        default=None,
        description="True when the host country's public holidays are worked.",
    )

    _unique_days = field_validator("working_days")(_check_days)

    @model_validator(mode="after")
    def _consistent_schedule(self) -> TermsSection:
        _check_daily_hours(self.weekly_hours, self.working_days)
        _check_ranges(self.periods or [], "period")
        _check_ranges(self.interruptions or [], "interruption")
        return self

    monthly_allowance: Euros | None = Field(
        default=None,
        ge=0,
        le=100000,
        decimal_places=2,
        description="Allowance per month, in euros, with at most 2 decimals.",
    )
    allowance_payment: ShortText | None = Field(
        default=None,
        description="How the allowance is paid, for example bank transfer.",
    )
    benefits: LongText | None = Field(
        default=None,
        description="Meal vouchers, transport, housing and other benefits.",
    )
    leave: LongText | None = Field(
        default=None, description="Days of leave and authorised absences."
    )
    remote_work: LongText | None = Field(
        default=None, description="Days of remote work per week and their conditions."
    )


SECTION_MODELS: dict[str, type[Section]] = {
    "student": StudentSection,
    "organisation": OrganisationSection,
    "supervisor": SupervisorSection,
    "mission": MissionSection,
    "terms": TermsSection,
}

REQUIRED_ON_SUBMIT: dict[str, tuple[str, ...]] = {
    "student": ("first_name", "last_name", "email", "student_number"),
    "organisation": ("name", "country"),
    "supervisor": ("first_name", "last_name", "email"),
    "mission": ("title",),
    "terms": (),
}

REQUIRED_ON_VALIDATION: dict[str, tuple[str, ...]] = {
    "student": ("first_name", "last_name", "email", "student_number"),
    "organisation": ("name", "country", "address", "representative_name"),
    "supervisor": ("first_name", "last_name", "email", "position"),
    "mission": ("title", "description"),
    "terms": ("weekly_hours", "monthly_allowance"),
}


def dump_section(section: Section) -> dict[str, Any]:
    """Return the fields that were given, as JSON-ready values; null clears a field."""
    return section.model_dump(mode="json", exclude_unset=True)


def missing_fields(
    sections: dict[str, dict[str, Any]], required: dict[str, tuple[str, ...]]
) -> list[str]:
    """List the required fields still empty, as `section.field`, in form order."""
    missing: list[str] = []
    for name, fields in required.items():
        given = sections.get(name, {})
        missing.extend(
            f"{name}.{field}" for field in fields if given.get(field) in (None, "")
        )
    return missing
