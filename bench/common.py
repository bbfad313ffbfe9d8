"""Sizes, results, machine facts, percentiles and profiles shared by the workloads."""

from __future__ import annotations

import collections
import datetime as dt
import os
import platform
import ssl
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FOLDERS = ("services/", "shared/", "bench/")
ENTRY_FRAMES = ("<module> (", "main (", "run (")


# One TLS context for every benchmark client. httpx builds a new one for each
# client otherwise, loading the CA bundle synchronously (tens of ms), which
# stalls the event loop for seconds when hundreds of clients start.
TLS_CONTEXT = ssl.create_default_context()


def http_client(base_url: str) -> httpx.AsyncClient:
    """Return an HTTP client for a server of this run, sharing the TLS context."""
    return httpx.AsyncClient(base_url=base_url, timeout=60, verify=TLS_CONTEXT)


@dataclass(frozen=True)
class Size:
    """How much work each workload does; `default` fits in 15 minutes on 2 cores."""

    name: str
    gateway_clients: tuple[int, ...]
    gateway_seconds: float
    store_appends: int
    rebuild_events: int
    kafka_seconds: float
    kafka_rate: int
    pdf_renders: int
    growth_missions: tuple[int, ...]


SIZES = {
    "tiny": Size("tiny", (1, 4), 3, 200, 5_000, 3, 50, 2, (20, 50)),
    "default": Size(
        "default", (1, 10, 50, 200), 15, 3_000, 1_000_000, 30, 200, 20, (2_000, 10_000)
    ),
    "large": Size(
        "large",
        (1, 10, 50, 200),
        40,
        20_000,
        1_000_000,
        120,
        200,
        50,
        (10_000, 30_000, 100_000),
    ),
}


@dataclass
class Figure:
    """One measured figure beside the ceiling it is compared with."""

    name: str
    value: float
    unit: str
    ceiling: float | None = None
    # "higher" when a larger value is better (a rate), "lower" for a duration.
    better: str = "higher"
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        """The figure as a share of its ceiling: 1.0 means as good as the ceiling."""
        if self.ceiling is None or self.value == 0 or self.ceiling == 0:
            return None
        if self.better == "higher":
            return self.value / self.ceiling
        return self.ceiling / self.value


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]


@dataclass
class Result:
    """Everything one workload measured, as the report shows it."""

    workload: str
    size: str
    date: str = ""
    seconds: float = 0.0
    machine: dict[str, Any] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    profiles: dict[str, str] = field(default_factory=dict)
    facts: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Result:
        result = cls(**{**data, "figures": [], "tables": []})
        result.figures = [Figure(**item) for item in data["figures"]]
        result.tables = [Table(**item) for item in data["tables"]]
        return result

    @property
    def missed(self) -> bool:
        return any(figure.met is False for figure in self.figures)


def machine() -> dict[str, Any]:
    """Describe this machine and how busy it was when the workload started."""
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_kib = 0
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def percentile(values: Sequence[float], share: float) -> float:
    """Return the `share` percentile (0 to 100) by linear interpolation."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=1000, method="inclusive")
    index = min(max(round(share * 10) - 1, 0), len(cuts) - 1)
    return cuts[index]


def timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def rss_mib(pid: int) -> tuple[float, float]:
    """Return a process's resident memory now and at its peak, in MiB."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


@contextmanager
def sampled(
    pid: int, seconds: float, into: dict[str, str], key: str, idle: bool = False
) -> Iterator[None]:
    """Sample `pid` with py-spy while the block runs; summarise into `into[key]`.

    py-spy samples every thread, so work in FastAPI's thread pool and in
    `asyncio.to_thread` counts too. Without ptrace (a container that forbids
    it) the summary reports that py-spy could not attach. `idle` counts threads
    that wait (on a lock, a commit or the network) too, for single-threaded
    work whose time goes to waiting.
    """
    output = ROOT / ".run" / "bench" / f"profile-{key}.txt"
    output.parent.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    command = [
        str(spy),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(int(seconds), 1)),
        "--rate",
        "50",
        "--format",
        "raw",
        "--output",
        str(output),
        "--nonblocking",
        *(["--idle"] if idle else []),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        yield
    finally:
        try:
            _, error = process.communicate(timeout=seconds + 30)
        except subprocess.TimeoutExpired:
            process.kill()
            _, error = process.communicate()
        if process.returncode == 0 and output.exists():
            raw = output.read_text(encoding="utf-8")
            into[key] = summarise_stacks(raw, project_stacks_only=idle)
        else:
            into[key] = f"py-spy failed: {error.decode(errors='replace')[-500:]}"


def summarise_stacks(raw: str, top: int = 12, project_stacks_only: bool = False) -> str:
    """Turn py-spy's collapsed stacks into two top lists of this project's code.

    "Own time" counts samples whose innermost project frame is the function,
    so library frames are charged to the project function that called them.
    "Including callees" counts samples where the function is anywhere on the
    stack. `project_stacks_only` drops stacks without a project frame (idle
    pool and library threads) and the benchmark's own wait for the profiler.
    """
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    library: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        project = [frame for frame in frames if _is_project(frame)]
        if project_stacks_only and (not project or project[-1].startswith("sampled (")):
            continue
        total += count
        for frame in set(project):
            inclusive[_short(frame)] += count
        # Stacks whose only project frame is the entry point are the event
        # loop and library code between requests.
        if project and not project[-1].startswith(ENTRY_FRAMES):
            own[_short(project[-1])] += count
        else:
            own["event loop and libraries, outside project functions"] += count
        library[_library_of(frames[-1])] += count
    if total == 0:
        return "no samples: the process was idle or py-spy saw no Python frames"
    lines = [f"{total} samples at 50 per second, all threads."]
    lines.append("Own time of project functions (library calls charged to them):")
    lines += [f"  {n * 100 / total:5.1f} %  {name}" for name, n in own.most_common(top)]
    lines.append("Time including callees:")
    lines += [
        f"  {n * 100 / total:5.1f} %  {name}" for name, n in inclusive.most_common(top)
    ]
    lines.append("Innermost frame, by package:")
    lines += [
        f"  {n * 100 / total:5.1f} %  {name}" for name, n in library.most_common(8)
    ]
    return "\n".join(lines)


def _is_project(frame: str) -> bool:
    location = frame.rpartition("(")[2]
    return "site-packages" not in location and any(
        folder in location for folder in PROJECT_FOLDERS
    )


def _short(frame: str) -> str:
    """Name a frame `function (folder/file.py)` without its line number."""
    function, _, location = frame.partition(" (")
    path = location.rstrip(")").rsplit(":", 1)[0]
    for folder in PROJECT_FOLDERS:
        if folder in path:
            path = folder + path.split(folder, 1)[1]
            break
    return f"{function} ({path})"


def _library_of(frame: str) -> str:
    """Name the package of a frame; py-spy shortens paths under sys.path."""
    path = frame.partition(" (")[2].rstrip(")").rsplit(":", 1)[0]
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    if any(folder in path for folder in PROJECT_FOLDERS):
        return "project code"
    if path.startswith(("/", "<")) or "/" not in path:
        return "standard library"
    return path.split("/", 1)[0]
