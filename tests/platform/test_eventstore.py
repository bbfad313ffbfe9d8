"""One suite for the event store, run against SQLite and against PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from shared.events.base import EventEnvelope, wrap
from shared.events.missions import MissionCancelled, StudentConfirmed
from shared.platform.db import Database
from shared.platform.errors import ConcurrencyError
from shared.platform.eventstore import EventStore, mark_processed


def _event(aggregate_id: str, version: int, reason: str = "x") -> EventEnvelope:
    return wrap(
        MissionCancelled(reason=reason, by_role="student", previous_status="draft"),
        aggregate_id=aggregate_id,
        aggregate_version=version,
        actor="elodie.dupre@etu.ecole-campus.fr",
        occurred_at=dt.datetime(2027, 1, 5, 9, 30, tzinfo=dt.UTC),
    )


def test_appended_events_load_in_order(database: Database) -> None:
    store = EventStore(database)
    store.append("m-1", 0, [_event("m-1", 1, "a"), _event("m-1", 2, "b")])
    store.append("m-1", 2, [_event("m-1", 3, "c")])

    loaded = store.load("m-1")

    assert [e.aggregate_version for e in loaded] == [1, 2, 3]
    assert [e.data["reason"] for e in loaded] == ["a", "b", "c"]
    assert loaded[0].occurred_at == dt.datetime(2027, 1, 5, 9, 30, tzinfo=dt.UTC)


def test_stale_expected_version_raises(database: Database) -> None:
    store = EventStore(database)
    store.append("m-1", 0, [_event("m-1", 1)])

    with pytest.raises(ConcurrencyError):
        store.append("m-1", 0, [_event("m-1", 1)])

    assert len(store.load("m-1")) == 1


def test_concurrent_appends_one_wins(database: Database) -> None:
    store = EventStore(database)
    store.append("m-1", 0, [_event("m-1", 1)])
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def append(index: int) -> None:
        barrier.wait()
        try:
            store.append("m-1", 1, [_event("m-1", 2, f"writer {index}")])
            outcomes.append("ok")
        except ConcurrencyError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=append, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict"] * 7 + ["ok"]
    assert len(store.load("m-1")) == 2


def test_failed_inline_projection_appends_nothing(database: Database) -> None:
    store = EventStore(database)

    def broken_projection(tx: object, envelopes: object) -> None:
        raise RuntimeError("projection failed")

    with pytest.raises(RuntimeError):
        store.append("m-1", 0, [_event("m-1", 1)], inline=broken_projection)

    assert store.load("m-1") == []
    assert store.read_after(0) == []


def test_outbox_reads_after_position(database: Database) -> None:
    store = EventStore(database)
    store.append("m-1", 0, [_event("m-1", 1)])
    store.append("m-2", 0, [_event("m-2", 1)])
    first_position = store.read_after(0)[0][0]

    later = store.read_after(first_position)
    store.move_cursor("relay", first_position)

    assert [envelope.aggregate_id for _, envelope in later] == ["m-2"]
    assert store.cursor("relay") == first_position


def test_processed_event_recorded_once(database: Database) -> None:
    EventStore(database)
    confirmed = wrap(
        StudentConfirmed(),
        aggregate_id="m-1",
        aggregate_version=1,
        actor=None,
        occurred_at=dt.datetime.now(dt.UTC),
    )

    with database.transaction() as tx:
        first = mark_processed(tx, "notifications", confirmed.event_id)
    with database.transaction() as tx:
        second = mark_processed(tx, "notifications", confirmed.event_id)

    assert first is True
    assert second is False
