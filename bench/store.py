"""Event store appends on SQLite and PostgreSQL, beside a plain batched insert."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import Figure, Result, Size, Table, sampled
from shared.events import missions as ev
from shared.events.base import EventEnvelope, wrap
from shared.platform.db import Database, PostgresDatabase, SqliteDatabase
from shared.platform.eventstore import EventStore, stored_row
from tests.e2e.journey import student_sections, unique_supervisor_email
from tests.harness.distributed import run_postgres_script

EVENTS_PER_MISSION = 10
WRITERS = 8
TARGET_SHARE = 0.5
INSERT = (
    "INSERT INTO events (event_id, aggregate_type, aggregate_id, aggregate_version,"
    " event_type, envelope) VALUES ({0}, {0}, {0}, {0}, {0}, {0})"
)

Mission = list[EventEnvelope]


def make_missions(events: int) -> list[Mission]:
    """Build missions of 10 events each: a creation, then saved sections."""
    now = dt.datetime.now(dt.UTC)
    sections = list(student_sections(unique_supervisor_email()).items())
    missions = []
    for _ in range(max(events // EVENTS_PER_MISSION, WRITERS)):
        mission_id = str(uuid.uuid4())
        created = ev.MissionCreated(
            student_email="charge000001@etu.ecole-campus.fr",
            student_name="Étudiant de charge",
            student_language="fr",
            program_id="mge-1-2026",
            program_name="Master Grande École, première année",
        )
        events_of_mission: list[ev.MissionEvent] = [created]
        for number in range(EVENTS_PER_MISSION - 1):
            name, fields = sections[number % len(sections)]
            events_of_mission.append(
                ev.SectionSaved(section=name, fields=fields, by="student")
            )
        missions.append(
            [
                wrap(
                    event,
                    aggregate_id=mission_id,
                    aggregate_version=version,
                    actor="charge000001@etu.ecole-campus.fr",
                    occurred_at=now,
                    correlation_id=str(uuid.uuid4()),
                )
                for version, event in enumerate(events_of_mission, start=1)
            ]
        )
    return missions


def append_all(store: EventStore, missions: list[Mission]) -> None:
    """Append each event in its own command, as a command appends it."""
    for mission in missions:
        for envelope in mission:
            store.append(
                envelope.aggregate_id, envelope.aggregate_version - 1, [envelope]
            )


def append_concurrently(store: EventStore, missions: list[Mission]) -> None:
    shares = [missions[index::WRITERS] for index in range(WRITERS)]
    failures: list[BaseException] = []

    def writer(share: list[Mission]) -> None:
        try:
            append_all(store, share)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def plain_insert_sqlite(path: Path, rows: list[tuple[Any, ...]]) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN")
        connection.executemany(INSERT.format("?"), rows)
        connection.execute("COMMIT")
    finally:
        connection.close()


def plain_insert_postgres(url: str, rows: list[tuple[Any, ...]]) -> None:
    import psycopg

    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        cursor.executemany(INSERT.format("%s"), rows)


def clear(database: Database) -> None:
    with database.transaction() as tx:
        tx.execute("DELETE FROM events")


def measure(
    name: str,
    database: Database,
    plain: Callable[[list[tuple[Any, ...]]], None],
    missions: list[Mission],
    result: Result,
) -> list[list[Any]]:
    store = EventStore(database)
    count = sum(len(mission) for mission in missions)
    rows = [stored_row(envelope) for mission in missions for envelope in mission]
    rates = {}
    steps: list[tuple[str, Callable[[], None]]] = [
        ("one writer", lambda: append_all(store, missions)),
        (f"{WRITERS} writers", lambda: append_concurrently(store, missions)),
        ("plain batched insert", lambda: plain(rows)),
    ]
    for label, work in steps:
        clear(database)
        started = time.perf_counter()
        work()
        rates[label] = count / (time.perf_counter() - started)
        print(f"  {name}, {label}: {rates[label]:,.0f} events/s", flush=True)
    ceiling = rates["plain batched insert"]
    for label in ("one writer", f"{WRITERS} writers"):
        figure = Figure(
            f"{name}, {label}",
            rates[label],
            "events/s",
            ceiling=ceiling,
            target=f"at least {TARGET_SHARE:.0%} of the plain insert",
        )
        figure.met = (figure.ratio or 0) >= TARGET_SHARE
        result.figures.append(figure)
    if result.missed and f"{name}" not in result.profiles:
        clear(database)
        with sampled(os.getpid(), 5, result.profiles, name, idle=True):
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                clear(database)
                for mission in missions:
                    append_all(store, [mission])
                    if time.monotonic() > deadline:
                        break
    clear(database)
    return [[name, label, round(rate)] for label, rate in rates.items()]


def run(size: Size, result: Result) -> None:
    missions = make_missions(size.store_appends)
    count = sum(len(mission) for mission in missions)
    result.facts.append(
        f"{count:,} events on {len(missions):,} missions of {EVENTS_PER_MISSION} "
        "events (one creation, then saved sections); one append per event"
    )
    rows: list[list[Any]] = []
    with tempfile.TemporaryDirectory(prefix="campus-bench-") as folder:
        path = Path(folder) / "store.db"
        sqlite = SqliteDatabase(path)
        try:
            rows += measure(
                "SQLite",
                sqlite,
                lambda batch: plain_insert_sqlite(path, batch),
                missions,
                result,
            )
        finally:
            sqlite.close()
    name = f"bench_store_{uuid.uuid4().hex[:8]}"
    run_postgres_script("createdb", name)
    url = run_postgres_script("url", name).strip()
    postgres = PostgresDatabase(url)
    try:
        rows += measure(
            "PostgreSQL",
            postgres,
            lambda batch: plain_insert_postgres(url, batch),
            missions,
            result,
        )
    finally:
        postgres.close()
    result.tables.append(
        Table("Events per second", ["database", "how", "events/s"], rows)
    )
