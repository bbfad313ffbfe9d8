"""Large event logs: copies of one real journey's events, written in big transactions.

A template is the rows of a service's `events` table that one whole journey
appended. A copy replaces every UUID in them (mission, event, agreement and
file ids) with a fresh one, consistently across the rows, so each copy is a
distinct mission with the same history. Rows go in with the store's own row
format, bypassing HTTP, the commands and the outbox.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tests.e2e.journey import CAREER_SERVICE, reach_tutor_review
from tests.harness.campus import RunningCampus, User, wait_for

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
COLUMNS = (
    "event_id",
    "aggregate_type",
    "aggregate_id",
    "aggregate_version",
    "event_type",
    "envelope",
)
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


class Template:
    """Rows of one mission's history, ready to be copied with fresh identities.

    Every UUID gets a fresh one per copy, and each string of `distinct` (the
    student's email) gets a per-copy prefix, so that copies belong to
    different students as real missions do.
    """

    def __init__(self, rows: Sequence[Row], distinct: Sequence[str] = ()) -> None:
        pattern = re.compile(
            "|".join([UUID.pattern, *(re.escape(text) for text in distinct)])
        )
        slots_by_text: dict[str, int] = {}
        # A copy's value for each slot: None for a fresh UUID, else the text
        # that gets a prefix.
        self._kinds: list[str | None] = []
        # Each cell is kept as its text split around the slots, or as it is.
        self._cells: list[list[tuple[list[str], list[int]] | Any]] = []
        for row in rows:
            cells: list[tuple[list[str], list[int]] | Any] = []
            for value in row:
                if not isinstance(value, str):
                    cells.append(value)
                    continue
                parts, slots, last = [], [], 0
                for match in pattern.finditer(value):
                    text = match.group(0)
                    if text not in slots_by_text:
                        slots_by_text[text] = len(self._kinds)
                        self._kinds.append(None if UUID.fullmatch(text) else text)
                    parts.append(value[last : match.start()])
                    slots.append(slots_by_text[text])
                    last = match.end()
                parts.append(value[last:])
                cells.append((parts, slots))
            self._cells.append(cells)
        self.size = len(rows)

    def copy(self) -> list[Row]:
        prefix = uuid.uuid4().hex[:8]
        fresh = [
            str(uuid.uuid4()) if kind is None else f"{prefix}.{kind}"
            for kind in self._kinds
        ]
        rows = []
        for cells in self._cells:
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
            rows.append(tuple(row))
        return rows


def copies(template: Template, count: int) -> Iterator[Row]:
    for _ in range(count):
        yield from template.copy()


def sqlite_rows(path: Path, mission_id: str) -> list[Row]:
    """Return the rows of `path`'s events table that mention `mission_id`."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute(
            f"SELECT {', '.join(COLUMNS)} FROM events WHERE envelope LIKE ? "
            "ORDER BY position",
            (f"%{mission_id}%",),
        ).fetchall()
    finally:
        connection.close()


def write_sqlite(path: Path, rows: Iterator[Row], batch: int = 100_000) -> int:
    """Insert rows in transactions of `batch` rows; return how many went in."""
    connection = sqlite3.connect(path, isolation_level=None)
    insert = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)"
    total = 0
    try:
        while True:
            chunk = [row for _, row in zip(range(batch), rows, strict=False)]
            if not chunk:
                return total
            connection.execute("BEGIN")
            connection.executemany(insert, chunk)
            connection.execute("COMMIT")
            total += len(chunk)
    finally:
        connection.close()


def postgres_rows(url: str, mission_id: str) -> list[Row]:
    import psycopg

    with psycopg.connect(url) as connection:
        return connection.execute(
            f"SELECT {', '.join(COLUMNS)} FROM events WHERE envelope LIKE %s "
            "ORDER BY position",
            (f"%{mission_id}%",),
        ).fetchall()


def write_postgres(url: str, rows: Iterator[Row]) -> int:
    """Copy rows into the events table with COPY, then move the relay past them.

    The relay's cursor moves to the last position, so the copies are not
    published to the event log as if they had just happened.
    """
    import psycopg

    total = 0
    with psycopg.connect(url) as connection:
        with connection.cursor() as cursor:
            command = f"COPY events ({', '.join(COLUMNS)}) FROM STDIN"
            with cursor.copy(command) as copy:
                for row in rows:
                    copy.write_row(row)
                    total += 1
        connection.execute(
            "INSERT INTO outbox_cursor (name, position) "
            "SELECT 'relay', COALESCE(MAX(position), 0) FROM events "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position"
        )
    return total
