"""Log lines of chatty libraries during an outage."""

from __future__ import annotations

import logging

import pytest

from shared.platform.logs import RepeatFilter


def _record(name: str, message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, message, args, None)


def test_repeated_aiokafka_lines_shown_once() -> None:
    repeats = RepeatFilter(interval=10)
    template = "Unable connect to node with id %s: %s"

    shown = [
        repeats.filter(_record("aiokafka.conn", template, 1, "refused"))
        for _ in range(500)
    ]

    assert shown.count(True) == 1
    assert shown[0] is True


def test_repeat_count_in_next_line(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([100.0, 101.0, 102.0, 111.0])
    monkeypatch.setattr("shared.platform.logs.time.monotonic", lambda: next(clock))
    repeats = RepeatFilter(interval=10)
    records = [
        _record("aiokafka", "Unable to update metadata from %s", [1]) for _ in range(4)
    ]

    shown = [repeats.filter(record) for record in records]

    assert shown == [True, False, False, True]
    assert records[3].getMessage() == (
        "Unable to update metadata from [1] "
        "(2 similar lines in the last 10 s not shown)"
    )


def test_other_loggers_not_filtered() -> None:
    repeats = RepeatFilter(interval=10)

    shown = [
        repeats.filter(_record("campus", "outbox.publish_failed")) for _ in range(5)
    ]

    assert shown == [True] * 5
