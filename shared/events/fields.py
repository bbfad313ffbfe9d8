"""Field types shared by the API and the sections: text, ISO dates, countries.

Text refuses control characters (a line break or tab is allowed only in long
text), so that a value can never split an email header or a log line.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

import pycountry
from pydantic import AfterValidator, BeforeValidator, Field

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Dates outside these years are typing mistakes, and computing lead times
# from them could leave the range of `datetime.date`.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)


def _single_line(value: str) -> str:
    if _CONTROL_OR_BREAK.search(value):
        raise ValueError("line breaks and control characters are not allowed here")
    return value


def _multi_line(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("control characters are not allowed; use plain text")
    return value.replace("\r\n", "\n")


def _iso_date(value: object) -> object:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("give the date as YYYY-MM-DD, for example 2027-04-01")
    return value


def _plausible_date(value: dt.date) -> dt.date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(
            f"{value} is out of range: give a date between {EARLIEST_DATE} and "
            f"{LATEST_DATE}"
        )
    return value


def _country_code(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(
            f"{value!r} is not an ISO 3166-1 alpha-2 country code; "
            "use for example FR, DE or US"
        )
    return code


ShortText = Annotated[
    str, Field(min_length=1, max_length=200), AfterValidator(_single_line)
]
LongText = Annotated[
    str, Field(min_length=1, max_length=5000), AfterValidator(_multi_line)
]
Message = Annotated[str, Field(max_length=5000), AfterValidator(_multi_line)]
IsoDate = Annotated[
    dt.date, BeforeValidator(_iso_date), AfterValidator(_plausible_date)
]
CountryCode = Annotated[str, AfterValidator(_country_code)]
