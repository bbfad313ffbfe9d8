"""One suite for the event store, run against SQLite and against PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Literal

import pytest

from shared.events.base import EventEnvelope, wrap
from shared.events.missions import MissionCancelled, StudentConfirmed
from shared.platform.db import (
    Database,
    Transaction,
)
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


def _append_together(
    store: EventStore, appends: list[tuple[str, int, object]]
) -> list[str]:
    """Run the appends from threads started together; return each outcome."""
    barrier = threading.Barrier(len(appends))
    outcomes = [""] * len(appends)

    def append(index: int) -> None:
        aggregate_id, expected, inline = appends[index]
        envelope = _event(aggregate_id, expected + 1, f"writer {index}")
        barrier.wait()
        try:
            store.append(aggregate_id, expected, [envelope], inline=inline)  # type: ignore[arg-type]
            outcomes[index] = "ok"
        except ConcurrencyError:
            outcomes[index] = "conflict"
        except RuntimeError as error:
            outcomes[index] = str(error)

    threads = [threading.Thread(target=append, args=(i,)) for i in range(len(appends))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_concurrent_appends_all_committed(database: Database) -> None:
    store = EventStore(database)

    outcomes = _append_together(store, [(f"m-{i}", 0, None) for i in range(16)])

    assert outcomes == ["ok"] * 16
    positions = [position for position, _ in store.read_after(0)]
    assert len(positions) == 16
    assert positions == sorted(positions)
    assert all(len(store.load(f"m-{i}")) == 1 for i in range(16))


def test_failing_projection_fails_only_its_append(database: Database) -> None:
    store = EventStore(database)

    def broken_projection(tx: object, envelopes: object) -> None:
        raise RuntimeError("projection failed")

    appends: list[tuple[str, int, object]] = [(f"m-{i}", 0, None) for i in range(8)]
    appends[3] = ("m-3", 0, broken_projection)
    outcomes = _append_together(store, appends)

    assert outcomes[3] == "projection failed"
    assert outcomes[:3] + outcomes[4:] == ["ok"] * 7
    assert store.load("m-3") == []
    assert len(store.read_after(0)) == 7


def test_conflicts_within_a_group_commit(database: Database) -> None:
    store = EventStore(database)
    appends: list[tuple[str, int, object]] = [("m-1", 0, None)] * 4
    appends += [("m-2", 0, None), ("m-3", 5, None)]

    outcomes = _append_together(store, appends)

    assert sorted(outcomes[:4]) == ["conflict"] * 3 + ["ok"]
    assert outcomes[4] == "ok"
    assert outcomes[5] == "conflict"
    assert sorted(e.aggregate_id for _, e in store.read_after(0)) == ["m-1", "m-2"]


class CountingDatabase:
    """A real database that counts the writing transactions opened on it."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self.transactions = 0

    @property
    def dialect(self) -> Literal["sqlite", "postgresql"]:
        return self._database.dialect

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        self.transactions += 1
        with self._database.transaction() as tx:
            yield tx

    def read(self) -> contextlib.AbstractContextManager[Transaction]:
        return self._database.read()

    def reclaim(self, tables: Sequence[str]) -> None:
        self._database.reclaim(tables)

    def close(self) -> None:
        self._database.close()


def test_appends_queued_meanwhile_share_one_commit(database: Database) -> None:
    counting = CountingDatabase(database)
    store = EventStore(counting)
    others = 7

    def wait_for_the_others(tx: object, envelopes: object) -> None:
        # Holds the first commit open until the other appends are queued.
        deadline = time.monotonic() + 10
        while len(store._queue) < others and time.monotonic() < deadline:
            time.sleep(0.01)

    before = counting.transactions
    first = threading.Thread(
        target=store.append,
        args=("m-0", 0, [_event("m-0", 1)], wait_for_the_others),
    )
    first.start()
    while counting.transactions == before:
        time.sleep(0.001)
    outcomes = _append_together(store, [(f"m-{i}", 0, None) for i in range(1, 8)])
    first.join()

    assert outcomes == ["ok"] * others
    assert counting.transactions - before == 2
    assert len(store.read_after(0)) == 8


def test_reads_see_last_commit_beside_open_write(database: Database) -> None:
    store = EventStore(database)
    store.append("m-1", 0, [_event("m-1", 1)])

    with database.transaction() as tx:
        tx.execute("DELETE FROM events")
        during = store.load("m-1")
        tx.execute("SELECT 1")

    assert len(during) == 1
    assert store.load("m-1") == []
