"""The time every scheduled job reads, injectable so that tests can move it."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class AdjustableClock:
    """The system time plus an offset that a development or test run can set.

    Only the embedded mode and test runs use it (the development login's
    setting turns it on); production runs on `SystemClock`.
    """

    def __init__(self) -> None:
        self._offset = dt.timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return dt.datetime.now(dt.UTC) + self._offset

    def move_to(self, moment: dt.datetime) -> None:
        """Make now() return `moment` from here on, time then running as usual."""
        with self._lock:
            self._offset = moment - dt.datetime.now(dt.UTC)
