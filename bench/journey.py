"""Time the mission sheet's whole journey through the gateway, in each mode.

    scripts/with-backends.sh .venv/bin/python -m bench.journey [--rounds N]

One round is the France journey of the end-to-end test: create, dates,
sections, submit, company completion and validation, the sheet PDF,
confirmation, the tutor's and the career service's approvals, and the
agreement downloaded once generated. Emails are awaited as a person would.
Prints the median and the spread per mode, and the start-up time.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.e2e.journey import CAREER_SERVICE, reach_tutor_review
from tests.harness.campus import EmbeddedCampus, RunningCampus, User, wait_for


def one_journey(campus: RunningCampus) -> float:
    started = time.perf_counter()
    journey, tutor = reach_tutor_review(campus)
    journey.student.get(f"/missions/{journey.mission_id}/sheet.pdf")
    tutor.post(f"/missions/{journey.mission_id}/tutor/approve")
    User(campus, CAREER_SERVICE).post(f"/missions/{journey.mission_id}/approve")
    path = f"/missions/{journey.mission_id}/convention.pdf"
    wait_for(
        lambda: journey.student.get(path).status_code == 200,
        "the agreement",
        interval=0.02,
    )
    return time.perf_counter() - started


def measure(name: str, start: Callable[[Path], RunningCampus], rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        campus = start(Path(folder))
        startup = time.perf_counter() - began
        try:
            one_journey(campus)  # warm-up: imports, first PDF, connections
            times = [one_journey(campus) for _ in range(rounds)]
        finally:
            campus.stop()
    print(
        f"{name}: start-up {startup:.2f} s; journey median "
        f"{statistics.median(times):.3f} s, min {min(times):.3f} s, "
        f"max {max(times):.3f} s over {rounds} rounds"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.journey")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--modes", default="embedded,distributed")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    modes = args.modes.split(",")
    if "embedded" in modes:
        measure("embedded", EmbeddedCampus, args.rounds)
    if "distributed" in modes:
        from tests.harness.distributed import DistributedCampus

        measure("distributed", DistributedCampus, args.rounds)


if __name__ == "__main__":
    main()
