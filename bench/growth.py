"""Growth of the distributed mode with the number of missions and their histories.

At each size, copies of one real journey's events go straight into each
service's PostgreSQL store, then the benchmark measures the databases' size,
`services.runner rebuild` per service, the career service's mission list
through the gateway, and each process's memory.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import ROOT, Result, Size, Table, rss_mib, sampled
from bench.history import (
    Template,
    batches,
    postgres_journey,
    whole_journey,
    write_postgres,
)
from bench.plots import line_plot
from tests.e2e.journey import CAREER_SERVICE
from tests.harness.distributed import SERVICES, DistributedCampus

LIST_ROUNDS = 3
LIST_TIMEOUT_SECONDS = 600.0
# A list slower than this is timed once: its noise is small beside it.
SLOW_LIST_SECONDS = 5.0
# Missions on one page, as the career service's queues page shows them.
PAGE = 50
LISTS = {
    "page": f"first page of the list, {PAGE} missions (s)",
    "career": "career service's queues page, HTML (s)",
    "whole": "list of every mission, unpaged (s)",
}


def database_url(campus: DistributedCampus, service: str) -> str:
    return campus.env["CAMPUS_DATABASE_URL"].replace("{service}", service)


def database_mib(url: str) -> float:
    import psycopg

    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT pg_database_size(current_database())"
        ).fetchone()
    return float(row[0]) / 2**20 if row else 0.0


def rebuild_seconds(campus: DistributedCampus, service: str) -> float:
    """Time `python -m services.runner rebuild SERVICE` in its own process."""
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "services.runner", "rebuild", service],
        cwd=ROOT,
        env={**os.environ, **campus.env},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"rebuild {service} failed:\n{completed.stderr[-2000:]}")
    return time.perf_counter() - started


def _timed(
    http: httpx.Client, path: str, rounds: int = LIST_ROUNDS
) -> tuple[float, int, int]:
    """GET a path `rounds` times; return the median seconds, status and bytes."""
    times, status, size = [], 0, 0
    for _ in range(rounds):
        started = time.perf_counter()
        response = http.get(path)
        times.append(time.perf_counter() - started)
        status, size = response.status_code, len(response.content)
        if times[-1] > SLOW_LIST_SECONDS:
            break
    return statistics.median(times), status, size


def list_latency(base_url: str) -> dict[str, tuple[float, int, int]]:
    """Time the career service's lists: a page, the queues page, and every mission."""
    with httpx.Client(base_url=base_url, timeout=LIST_TIMEOUT_SECONDS) as http:
        http.post(
            "/api/v1/dev/login", json={"email": CAREER_SERVICE}
        ).raise_for_status()
        return {
            "page": _timed(http, f"/api/v1/missions?limit={PAGE}"),
            "career": _timed(http, "/career"),
            "whole": _timed(http, "/api/v1/missions"),
        }


def run(size: Size, result: Result) -> None:
    with tempfile.TemporaryDirectory(prefix="campus-bench-") as folder:
        campus = DistributedCampus(Path(folder))
        try:
            _measure(campus, size, result)
        finally:
            campus.stop()


def _measure(campus: DistributedCampus, size: Size, result: Result) -> None:
    mission_id, student = whole_journey(campus)
    time.sleep(2)  # the evaluations service reacts to the approval after it
    urls = {f"events:{service}": database_url(campus, service) for service in SERVICES}
    urls["keys"] = database_url(campus, "keys")
    journey = postgres_journey(
        {service: database_url(campus, service) for service in SERVICES},
        urls["keys"],
        mission_id,
        student,
    )
    template = Template(journey, student)
    result.facts.append(
        "events per mission copy: "
        + ", ".join(f"{name} {size}" for name, size in template.sizes.items())
        + "; each copy has a student of their own, whose values are sealed with"
        " their own key; notifications rebuilds its contacts from the Kafka"
        " topic, which holds the real journey's events only"
    )
    processes = {name: launched[2] for name, launched in campus._launched.items()}
    levels: list[dict[str, Any]] = []
    present = 1
    for missions in size.growth_missions:
        started = time.perf_counter()
        for batch in batches(template, missions - present):
            write_postgres(urls, batch)
        present = missions
        print(
            f"  {missions:,} missions written in {time.perf_counter() - started:.0f} s"
        )
        level: dict[str, Any] = {"missions": missions}
        level["disk_mib"] = {
            service: database_mib(database_url(campus, service)) for service in SERVICES
        }
        level["rebuild_s"] = {
            service: rebuild_seconds(campus, service) for service in SERVICES
        }
        if missions == size.growth_missions[-1]:
            with sampled(processes["missions"].pid, 10, result.profiles, "list"):
                level["lists"] = list_latency(campus.base_url)
        else:
            level["lists"] = list_latency(campus.base_url)
        level["rss_mib"] = {
            name: rss_mib(process.pid) for name, process in processes.items()
        }
        disk = sum(level["disk_mib"].values())
        lists = ", ".join(
            f"{name} {seconds:.2f} s (HTTP {status})"
            for name, (seconds, status, _) in level["lists"].items()
        )
        print(
            f"  {missions:,} missions: disk {disk:,.0f} MiB, "
            f"rebuild {sum(level['rebuild_s'].values()):.1f} s, {lists}",
            flush=True,
        )
        levels.append(level)
    _report(result, levels)


def _exponent(first: float, last: float, n_first: int, n_last: int) -> str:
    """Return k in `cost ~ missions^k` between two sizes: 1 is linear."""
    if first <= 0 or last <= 0 or n_first == n_last:
        return ""
    return f"{math.log(last / first) / math.log(n_last / n_first):.2f}"


def _report(result: Result, levels: list[dict[str, Any]]) -> None:
    sizes = [level["missions"] for level in levels]
    rows = []
    series: dict[str, list[float]] = {}
    for label, key, unit in (
        ("disk, all databases", "disk_mib", "MiB"),
        ("rebuild, all services", "rebuild_s", "s"),
    ):
        values = [sum(level[key].values()) for level in levels]
        series[label] = values
        rows.append([f"{label} ({unit})", *[round(v, 1) for v in values]])
        for service in SERVICES:
            per_service = [level[key][service] for level in levels]
            rows.append([f"  {service} ({unit})", *[round(v, 1) for v in per_service]])
    for name, label in LISTS.items():
        values = [level["lists"][name][0] for level in levels]
        series[label.removesuffix(" (s)")] = values
        rows.append([label, *[round(v, 3) for v in values]])
        rows.append(
            [
                "  its HTTP status, response size (KiB)",
                *[
                    f"{level['lists'][name][1]}, {level['lists'][name][2] / 1024:,.0f}"
                    for level in levels
                ],
            ]
        )
    for index, moment in enumerate(("after the list", "peak")):
        for name in levels[0]["rss_mib"]:
            rows.append(
                [f"memory of {name}, {moment} (MiB)"]
                + [round(level["rss_mib"][name][index]) for level in levels]
            )
    for row in rows:
        numbers = [cell for cell in row[1:] if isinstance(cell, int | float)]
        row.append(
            _exponent(numbers[0], numbers[-1], sizes[0], sizes[-1])
            if len(numbers) == len(sizes) and not row[0].startswith("list HTTP")
            else ""
        )
    result.tables.append(
        Table(
            "By number of missions (the last column is k in cost ~ missions^k; "
            "1 is linear)",
            ["figure", *[f"{n:,} missions" for n in sizes], "k"],
            rows,
        )
    )
    result.plots.append(
        line_plot(
            "growth",
            [float(n) for n in sizes],
            {
                "disk": {"all databases": series["disk, all databases"]},
                "time": {
                    "rebuild, all services": series["rebuild, all services"],
                    **{
                        label.removesuffix(" (s)"): series[label.removesuffix(" (s)")]
                        for label in LISTS.values()
                    },
                },
            },
            x_label="missions",
            y_labels={"disk": "MiB", "time": "seconds"},
            log_x=True,
            log_y=True,
        )
    )
