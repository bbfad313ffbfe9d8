"""Keep the pages' message catalogs in step with the messages in the code.

    python -m services.gateway.catalogs update   add new messages, drop old ones
    python -m services.gateway.catalogs check    list what is missing or untranslated

Each message goes to the catalog of the part of the site where it first
appears (`AREAS`). English is the source language, so its catalog repeats
each message; French needs a translator, and `check` fails until every
message has one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from services.gateway.i18n import LANGUAGES, LOCALE_DIR

GATEWAY_DIR = Path(__file__).resolve().parent
METHOD_MAP = [
    ("**/templates/**.html", "jinja2"),
    ("**.py", "python"),
]
OPTIONS_MAP = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "translate": (2,),
}
# The first prefix that matches a source file names its catalog.
AREAS = (
    ("templates/gateway/student/", "student"),
    ("web/student.py", "student"),
    ("web/steps.py", "student"),
    ("web/mission.py", "student"),
    ("templates/gateway/mission", "student"),
    ("templates/gateway/actions/student", "student"),
    ("templates/gateway/actions/", "staff"),
    ("templates/gateway/evaluations/", "evaluations"),
    ("web/evaluations.py", "evaluations"),
    ("templates/gateway/company", "company"),
    ("web/company.py", "company"),
    ("templates/gateway/staff/", "staff"),
    ("web/staff.py", "staff"),
    ("templates/gateway/admin/", "admin"),
    ("web/admin.py", "admin"),
    ("web/oidc.py", "oidc"),
    ("templates/gateway/oidc", "oidc"),
)
DEFAULT_AREA = "common"

MessageId = str | tuple[str, ...]


@dataclass
class Found:
    id: MessageId
    area: str
    location: tuple[str, int]


def area_of(path: str) -> str:
    for prefix, area in AREAS:
        if path.startswith(prefix):
            return area
    return DEFAULT_AREA


def extract() -> dict[MessageId, Found]:
    """Find every translatable message of the gateway, by its first location."""
    found: dict[MessageId, Found] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
        str(GATEWAY_DIR),
        method_map=METHOD_MAP,
        options_map=OPTIONS_MAP,
        keywords=KEYWORDS,
    ):
        if not message or (isinstance(message, tuple) and not all(message)):
            continue
        key: MessageId = message if isinstance(message, str) else tuple(message)
        if key not in found:
            found[key] = Found(key, area_of(filename), (filename, line))
    return found


def catalog_path(language: str, area: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{area}.po"


def load(language: str, area: str) -> Catalog:
    path = catalog_path(language, area)
    if not path.exists():
        return Catalog(locale=language, domain=area, project="Campus")
    with path.open("rb") as file:
        return read_po(file, locale=language, domain=area)


def save(language: str, area: str, catalog: Catalog) -> None:
    path = catalog_path(language, area)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        write_po(file, catalog, width=88, omit_header=False, sort_output=True)


def _key(message: Message) -> MessageId:
    return message.id if isinstance(message.id, str) else tuple(message.id)


def areas() -> list[str]:
    names = {area for _, area in AREAS} | {DEFAULT_AREA}
    return sorted(names)


def update() -> None:
    """Add new messages to their area's catalogs; drop messages gone from the code."""
    found = extract()
    for language in LANGUAGES:
        catalogs = {area: load(language, area) for area in areas()}
        known = {
            _key(message): area
            for area, catalog in catalogs.items()
            for message in catalog
            if message.id
        }
        for key, place in found.items():
            if key in known:
                continue
            string: str | tuple[str, ...] = "" if isinstance(key, str) else ("", "")
            if language == "en":
                string = key
            catalogs[place.area].add(key, string, locations=[place.location])
        for area, catalog in catalogs.items():
            for message in list(catalog):
                if message.id and _key(message) not in found:
                    catalog.delete(message.id)
            save(language, area, catalog)


def problems() -> Iterator[str]:
    """Name each message missing from a catalog, untranslated, or no longer used."""
    found = extract()
    for language in LANGUAGES:
        present: dict[MessageId, Message] = {}
        for area in areas():
            for message in load(language, area):
                if message.id:
                    present[_key(message)] = message
        for key in found:
            entry = present.get(key)
            if entry is None:
                yield f"{language}: missing {key!r}"
                continue
            strings = (
                [entry.string]
                if isinstance(entry.string, str)
                else list(entry.string or ())
            )
            if not all(strings):
                yield f"{language}: untranslated {key!r}"
            if entry.fuzzy:
                yield f"{language}: fuzzy {key!r}"
        for key in present:
            if key not in found:
                yield f"{language}: no longer used {key!r}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("update", "check"))
    arguments = parser.parse_args()
    if arguments.command == "update":
        update()
    issues = list(problems())
    for issue in issues:
        print(issue)
    if arguments.command == "check" and issues:
        sys.exit(1)


if __name__ == "__main__":
    main()
