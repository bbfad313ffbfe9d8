"""Rebuild the missions read model from a large log, beside a plain read of it."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.common import Figure, Result, Size, Table, sampled
from bench.history import Template, batches, sqlite_journey, whole_journey, write_sqlite
from services.missions import projections
from shared.platform.db import SqliteDatabase
from shared.platform.eventstore import EventStore
from shared.platform.personal import KeyStore, Sealer
from tests.harness.campus import EmbeddedCampus

TARGET_SHARE = 0.25
TARGET_SECONDS_PER_MILLION = 120.0
PROFILE_SECONDS = 10


def capture_template(work: Path) -> Template:
    """Run one whole journey in the embedded mode; return its missions events."""
    (work / "template").mkdir()
    campus = EmbeddedCampus(work / "template")
    try:
        mission_id, student = whole_journey(campus)
    finally:
        campus.stop()
    journey = sqlite_journey(work / "template", ["missions"], mission_id, student)
    return Template(journey, student)


def plain_read(path: Path) -> int:
    """Read every event in position order and decode its JSON; return the count."""
    connection = sqlite3.connect(path)
    count = 0
    try:
        for (envelope,) in connection.execute(
            "SELECT envelope FROM events ORDER BY position"
        ):
            json.loads(envelope)
            count += 1
    finally:
        connection.close()
    return count


def run(size: Size, result: Result) -> None:
    with tempfile.TemporaryDirectory(prefix="campus-bench-") as folder:
        work = Path(folder)
        template = capture_template(work)
        per_copy = template.sizes["missions"]
        missions = -(-size.rebuild_events // per_copy)
        path = work / "missions.db"
        database = SqliteDatabase(path)
        keys = KeyStore(SqliteDatabase(work / "keys.db"))
        # The store opens sealed values as `services.runner rebuild` does.
        store = EventStore(database, sealer=Sealer(keys))
        projections.create_schema(database)
        started = time.perf_counter()
        files = {"events:missions": path, "keys": work / "keys.db"}
        write_sqlite(files, template.shared)
        events = sum(
            write_sqlite(files, batch) for batch in batches(template, missions)
        )
        written = time.perf_counter() - started
        print(f"  wrote {events:,} events in {written:.0f} s", flush=True)
        result.facts.append(
            f"{events:,} events: {missions:,} copies of one journey's "
            f"{per_copy} missions events, each copy with a student of its own"
            f" whose values are sealed with their own key, written in"
            f" {written:.0f} s; the SQLite file is"
            f" {path.stat().st_size / 2**20:,.0f} MiB"
        )

        started = time.perf_counter()
        read = plain_read(path)
        read_seconds = time.perf_counter() - started
        print(f"  plain read: {read / read_seconds:,.0f} events/s", flush=True)

        started = time.perf_counter()
        rebuilt = projections.PROJECTION.rebuild_from_store(store)
        rebuild_seconds = time.perf_counter() - started
        print(f"  rebuild: {rebuilt / rebuild_seconds:,.0f} events/s", flush=True)

        rate = Figure(
            "rebuild, events per second",
            rebuilt / rebuild_seconds,
            "events/s",
            ceiling=read / read_seconds,
            target=f"at least {TARGET_SHARE:.0%} of the plain read",
        )
        rate.met = (rate.ratio or 0) >= TARGET_SHARE
        per_million = rebuild_seconds * 1_000_000 / rebuilt
        duration = Figure(
            "rebuild time per million events",
            per_million,
            "s",
            ceiling=read_seconds * 1_000_000 / read,
            better="lower",
            target=f"under {TARGET_SECONDS_PER_MILLION:.0f} s",
            met=per_million < TARGET_SECONDS_PER_MILLION,
        )
        result.figures += [rate, duration]
        result.tables.append(
            Table(
                "Whole log",
                ["step", "events", "seconds", "events/s"],
                [
                    [
                        "plain read",
                        read,
                        round(read_seconds, 1),
                        round(read / read_seconds),
                    ],
                    [
                        "rebuild of mission_view",
                        rebuilt,
                        round(rebuild_seconds, 1),
                        round(rebuilt / rebuild_seconds),
                    ],
                ],
            )
        )
        if result.missed:
            projections.PROJECTION.clear(database)
            with sampled(os.getpid(), PROFILE_SECONDS, result.profiles, "rebuild"):
                position = 0
                deadline = time.monotonic() + PROFILE_SECONDS
                while time.monotonic() < deadline:
                    batch = store.read_after_unsealed(position, limit=2_000)
                    if not batch:  # a small log: start it again
                        projections.PROJECTION.clear(database)
                        position = 0
                        continue
                    with database.transaction() as tx:
                        projections.apply(tx, [envelope for _, envelope in batch])
                    position = batch[-1][0]
        database.close()
        keys.database.close()
