"""Large event logs: copies of one real journey's rows, written in big transactions.

A template is the rows that one whole journey left in each service's `events`
table and in the key store. A copy replaces every UUID in them (mission,
event, agreement and file ids) with a fresh one, consistently across the
rows and the tables, so each copy is a distinct mission with the same
history. The student's email gets a per-copy prefix and the student a person
of their own in the key store, with a fresh key: the student's values sealed
in the events are opened with the journey's key and sealed again with the
copy's, as Campus would have sealed them. The tutor and the company's people
stay the same people across copies. Rows go in with the store's own row
format, bypassing HTTP, the commands and the outbox.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.platform.personal import PREFIX
from tests.e2e.journey import CAREER_SERVICE, reach_tutor_review
from tests.harness.campus import RunningCampus, User, wait_for

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SEALED = re.compile(r"pd1:([0-9a-f-]{36}):([A-Za-z0-9_-]+={0,2})")
NONCE_BYTES = 12
COLUMNS = (
    "event_id",
    "aggregate_type",
    "aggregate_id",
    "aggregate_version",
    "event_type",
    "envelope",
)
KEY_COLUMNS = {
    "person_keys": ("person_id", "key_material", "created_at", "erased_at"),
    "person_emails": ("email", "person_id"),
    "mission_people": ("mission_id", "role", "person_id", "is_current"),
}
Row = tuple[Any, ...]


def whole_journey(campus: RunningCampus) -> tuple[str, str]:
    """Run one journey to the downloaded agreement; return mission and student."""
    journey, tutor = reach_tutor_review(campus)
    path = f"/missions/{journey.mission_id}"
    journey.student.get(f"{path}/sheet.pdf")
    tutor.post(f"{path}/tutor/approve")
    User(campus, CAREER_SERVICE).post(f"{path}/approve")
    wait_for(
        lambda: journey.student.get(f"{path}/convention.pdf").status_code == 200,
        "the agreement",
        interval=0.05,
    )
    return journey.mission_id, journey.student.email


@dataclass
class Journey:
    """One journey's rows: each service's events, and the key store's rows."""

    events: dict[str, list[Row]]
    keys: dict[str, bytes]  # the key of each person in the key store
    key_rows: list[Row]  # person_keys rows of everyone but the student
    students: set[str]  # the person ids of the journey's student
    emails: list[Row]  # person_emails rows of the student
    people: list[Row]  # mission_people rows of the mission


@dataclass
class _Sealed:
    person_slot: int
    plaintext: str


class Template:
    """A journey's rows, ready to be copied with fresh identities."""

    def __init__(self, journey: Journey, student: str) -> None:
        self._student = student
        self._keys = journey.keys
        self._slots: dict[str, int] = {}
        # A copy's value for each slot: None for a fresh UUID, "student" for
        # the prefixed email, or a value to seal again.
        self._kinds: list[str | _Sealed | None] = []
        for person_id in sorted(journey.students):
            self._slot(person_id, None)
        self._students = {self._slots[person_id] for person_id in journey.students}
        # Other people's ids are kept as they are, sealed values included.
        self._shared_people = set(journey.keys) - journey.students
        self._pattern = re.compile(
            f"{SEALED.pattern}|{UUID.pattern}|{re.escape(student)}"
        )
        self._tables = {
            table: [self._split(row) for row in rows]
            for table, rows in (
                *((f"events:{name}", rows) for name, rows in journey.events.items()),
                ("person_emails", journey.emails),
                ("mission_people", journey.people),
            )
        }
        self.sizes = {name: len(rows) for name, rows in journey.events.items()}
        # The people every copy shares, for a key store that lacks them.
        self.shared: dict[str, list[Row]] = {
            "person_keys": [
                row for row in journey.key_rows if row[0] in self._shared_people
            ]
        }

    def _slot(self, text: str, kind: str | _Sealed | None) -> int:
        if text not in self._slots:
            self._slots[text] = len(self._kinds)
            self._kinds.append(kind)
        return self._slots[text]

    def _split(self, row: Row) -> list[Any]:
        """Keep each text cell as its parts around the slots, others as they are."""
        cells: list[Any] = []
        for value in row:
            if not isinstance(value, str):
                cells.append(value)
                continue
            parts, slots, last = [], [], 0
            for match in self._pattern.finditer(value):
                text = match.group(0)
                if match.group(1) is not None:  # a sealed value
                    person_id = match.group(1)
                    if person_id in self._shared_people:
                        continue
                    slot = self._slot(
                        text, _Sealed(self._slots[person_id], self._open(match))
                    )
                elif text in self._shared_people:
                    continue
                else:
                    slot = self._slot(text, None if UUID.fullmatch(text) else "student")
                parts.append(value[last : match.start()])
                slots.append(slot)
                last = match.end()
            parts.append(value[last:])
            cells.append((parts, slots))
        return cells

    def _open(self, match: re.Match[str]) -> str:
        blob = base64.urlsafe_b64decode(match.group(2))
        person_id = match.group(1)
        return (
            AESGCM(self._keys[person_id])
            .decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], person_id.encode())
            .decode()
        )

    def copy(self) -> dict[str, list[Row]]:
        """Return one copy's rows by table: `events:SERVICE` and the key store's."""
        prefix = uuid.uuid4().hex[:8]
        email = f"{prefix}.{self._student}"
        fresh: list[str] = []
        keys: dict[int, AESGCM] = {}
        now = dt.datetime.now(dt.UTC).isoformat()
        rows: dict[str, list[Row]] = {"person_keys": []}
        for index, kind in enumerate(self._kinds):
            if kind is None:
                fresh.append(str(uuid.uuid4()))
            elif isinstance(kind, str):
                fresh.append(email)
            else:
                person_id = fresh[kind.person_slot]
                plaintext = json.dumps(
                    json.loads(kind.plaintext.replace(self._student, email)),
                    ensure_ascii=False,
                )
                nonce = os.urandom(NONCE_BYTES)
                sealed = keys[kind.person_slot].encrypt(
                    nonce, plaintext.encode(), person_id.encode()
                )
                blob = base64.urlsafe_b64encode(nonce + sealed).decode()
                fresh.append(f"{PREFIX}{person_id}:{blob}")
            if index in self._students:
                key = AESGCM.generate_key(bit_length=256)
                keys[index] = AESGCM(key)
                rows["person_keys"].append(
                    (fresh[index], base64.b64encode(key).decode(), now, None)
                )
        for table, cells_of_rows in self._tables.items():
            rows[table] = [_join(cells, fresh) for cells in cells_of_rows]
        return rows


def _join(cells: list[Any], fresh: list[str]) -> Row:
    row = []
    for cell in cells:
        if isinstance(cell, tuple):
            parts, slots = cell
            text = parts[0]
            for slot, part in zip(slots, parts[1:], strict=True):
                text += fresh[slot] + part
            row.append(text)
        else:
            row.append(cell)
    return tuple(row)


def batches(
    template: Template, count: int, per_batch: int = 2_000
) -> Iterator[dict[str, list[Row]]]:
    """Yield the rows of `count` copies by table, `per_batch` copies at a time."""
    while count > 0:
        batch: dict[str, list[Row]] = {}
        for _ in range(min(count, per_batch)):
            for table, rows in template.copy().items():
                batch.setdefault(table, []).extend(rows)
        count -= per_batch
        yield batch


# Reading a journey


def _events_query(marker: str) -> str:
    return (
        f"SELECT {', '.join(COLUMNS)} FROM events WHERE envelope LIKE {marker} "
        "ORDER BY position"
    )


def _read_keys(
    connection: Any, marker: str, mission_id: str, student: str
) -> tuple[dict[str, bytes], list[Row], set[str], list[Row], list[Row]]:
    people = [
        tuple(row)
        for row in connection.execute(
            f"SELECT {', '.join(KEY_COLUMNS['mission_people'])} FROM mission_people "
            f"WHERE mission_id = {marker}",
            (mission_id,),
        ).fetchall()
    ]
    emails = [
        tuple(row)
        for row in connection.execute(
            f"SELECT email, person_id FROM person_emails WHERE email = {marker}",
            (student,),
        ).fetchall()
    ]
    key_rows = [
        tuple(row)
        for row in connection.execute(
            f"SELECT {', '.join(KEY_COLUMNS['person_keys'])} FROM person_keys "
            "WHERE key_material IS NOT NULL"
        ).fetchall()
    ]
    keys = {str(row[0]): base64.b64decode(row[1]) for row in key_rows}
    return keys, key_rows, {str(row[1]) for row in emails}, emails, people


def sqlite_journey(
    folder: Path, services: Sequence[str], mission_id: str, student: str
) -> Journey:
    """Read a journey's rows from an embedded Campus's SQLite files in `folder`."""
    events = {}
    for service in services:
        with sqlite3.connect(folder / f"{service}.db") as connection:
            events[service] = connection.execute(
                _events_query("?"), (f"%{mission_id}%",)
            ).fetchall()
    with sqlite3.connect(folder / "keys.db") as connection:
        found = _read_keys(connection, "?", mission_id, student)
    return Journey(events, *found)


def postgres_journey(
    urls: Mapping[str, str], keys_url: str, mission_id: str, student: str
) -> Journey:
    """Read a journey's rows from the distributed mode's databases."""
    import psycopg

    events = {}
    for service, url in urls.items():
        with psycopg.connect(url) as connection:
            rows = connection.execute(
                _events_query("%s"), (f"%{mission_id}%",)
            ).fetchall()
        if rows:
            events[service] = rows
    with psycopg.connect(keys_url) as connection:
        found = _read_keys(connection, "%s", mission_id, student)
    return Journey(events, *found)


# Writing copies


def _columns(table: str) -> tuple[str, ...]:
    return COLUMNS if table.startswith("events:") else KEY_COLUMNS[table]


def _table(table: str) -> str:
    return "events" if table.startswith("events:") else table


def write_sqlite(files: Mapping[str, Path], batch: Mapping[str, list[Row]]) -> int:
    """Insert a batch into the SQLite file of each table; return the events written.

    `files` maps `events:SERVICE` to the service's file and `keys` to the key
    store's.
    """
    events = 0
    for table, rows in batch.items():
        path = files.get(table if table.startswith("events:") else "keys")
        if path is None or not rows:
            continue
        columns = _columns(table)
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            connection.execute("BEGIN")
            connection.executemany(
                f"INSERT INTO {_table(table)} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                rows,
            )
            connection.execute("COMMIT")
        finally:
            connection.close()
        if table.startswith("events:"):
            events += len(rows)
    return events


def write_postgres(urls: Mapping[str, str], batch: Mapping[str, list[Row]]) -> int:
    """Copy a batch into each table's database with COPY; return the events written.

    `urls` maps `events:SERVICE` to the service's database and `keys` to the
    key store's. The relay's cursor of each service moves to its last
    position, so the copies are not published to the event log as if they had
    just happened.
    """
    import psycopg

    events = 0
    for table, rows in batch.items():
        url = urls.get(table if table.startswith("events:") else "keys")
        if url is None or not rows:
            continue
        with psycopg.connect(url) as connection:
            with connection.cursor() as cursor:
                columns = ", ".join(_columns(table))
                command = f"COPY {_table(table)} ({columns}) FROM STDIN"
                with cursor.copy(command) as copy:
                    for row in rows:
                        copy.write_row(row)
            if table.startswith("events:"):
                connection.execute(
                    "INSERT INTO outbox_cursor (name, position) "
                    "SELECT 'relay', COALESCE(MAX(position), 0) FROM events "
                    "ON CONFLICT (name) DO UPDATE SET position = excluded.position"
                )
                events += len(rows)
    return events
