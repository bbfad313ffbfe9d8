"""Commands through the gateway in the embedded mode, beside a bare FastAPI route.

Each client runs whole mission journeys, one after another, each with a
student of its own: create, dates, five sections, submit, the company's three
sections and validation, confirmation, the tutor's and the career service's
approvals (15 commands). The company link is read from the emails the
notifications service queued, as a person reads their mailbox. Logins and
that wait are not commands and are not timed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import sqlite3
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    Figure,
    Result,
    Size,
    Table,
    http_client,
    percentile,
    sampled,
)
from bench.plots import line_plot
from tests.e2e.journey import (
    CAREER_SERVICE,
    COMPANY_COMPLETION,
    FRANCE,
    PROGRAM,
    student_sections,
    unique_supervisor_email,
)
from tests.harness.processes import (
    ROOT,
    free_port,
    start_process,
    stop_process,
    wait_until_up,
)
from tests.harness.seed import write_test_seed

TARGET_CLIENTS = 50
TARGET_SHARE = 0.35
TARGET_P99_MS = 50.0
WARMUP_SECONDS = 3.0
PROFILE_WARMUP_SECONDS = 8.0
PROFILE_SECONDS = 12.0
COMPANY_LINK = re.compile(r"/company/([A-Za-z0-9._-]+)")


class Recorder:
    """Completion times and latencies of commands, in seconds."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self.errors: list[str] = []

    def add(self, started: float) -> None:
        finished = time.perf_counter()
        self.samples.append((finished, finished - started))

    def window(self, start: float, end: float) -> list[float]:
        return [latency for done, latency in self.samples if start <= done < end]


def write_bench_seed(folder: Path, students: int) -> Path:
    """Write the test seed with `students` more students and unbounded tutors."""
    folder.mkdir(parents=True, exist_ok=True)
    path = write_test_seed(folder)
    seed = json.loads(path.read_text(encoding="utf-8"))
    seed["users"] += [
        {
            "email": bench_student(number),
            "name": f"Étudiant de charge n° {number}",
            "role": "student",
            "language": "fr",
        }
        for number in range(students)
    ]
    for program in seed["programs"]:
        for tutor in program["tutors"]:
            tutor["capacity"] = 1_000_000
    path.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
    return path


def bench_student(number: int) -> str:
    return f"charge{number:06d}@etu.ecole-campus.fr"


class CompanyMailbox:
    """Read the company links from the notifications store, as they are queued.

    One poller reads new rows of the `emails` table by rowid, so hundreds of
    waiting clients cost one small query every 20 ms.
    """

    def __init__(self, database: Path) -> None:
        self._database = database
        self._links: dict[str, str] = {}
        self._last_rowid = 0

    def _read_new(self) -> list[tuple[int, str, str]]:
        connection = sqlite3.connect(f"file:{self._database}?mode=ro", uri=True)
        try:
            return connection.execute(
                "SELECT rowid, recipient, text_body FROM emails WHERE rowid > ? "
                "ORDER BY rowid",
                (self._last_rowid,),
            ).fetchall()
        finally:
            connection.close()

    async def poll(self) -> None:
        while True:
            rows = await asyncio.to_thread(self._read_new)
            for rowid, recipient, text in rows:
                self._last_rowid = rowid
                match = COMPANY_LINK.search(text)
                if match and recipient not in self._links:
                    self._links[recipient] = match.group(1)
            await asyncio.sleep(0.02)

    async def link_for(self, recipient: str, seconds: float = 60) -> str:
        deadline = time.monotonic() + seconds
        while recipient not in self._links:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no company link emailed to {recipient}")
            await asyncio.sleep(0.02)
        return self._links.pop(recipient)


class EmbeddedServer:
    """The run command (`services.runner embedded`) on a fresh data folder."""

    def __init__(self, data_dir: Path, students: int) -> None:
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        self.data_dir = data_dir
        env = {
            "CAMPUS_DATA_DIR": str(data_dir),
            "CAMPUS_PUBLIC_URL": self.base_url,
            "CAMPUS_SEED_FILE": str(write_bench_seed(data_dir, students)),
        }
        log_path = data_dir / "campus.log"
        self.process = start_process(["embedded", "--port", str(port)], env, log_path)
        wait_until_up(f"{self.base_url}/health/live", self.process, log_path)

    def stop(self) -> None:
        stop_process(self.process)


class CeilingServer:
    def __init__(self, log_path: Path) -> None:
        import os
        import subprocess
        import sys

        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        log_file = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.ceiling_app", "--port", str(port)],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        wait_until_up(f"{self.base_url}/health/live", self.process, log_path)

    def stop(self) -> None:
        stop_process(self.process)


async def command(
    recorder: Recorder,
    http: httpx.AsyncClient,
    method: str,
    path: str,
    body: Any = None,
    expected: int = 200,
) -> dict[str, Any]:
    started = time.perf_counter()
    response = await http.request(method, f"/api/v1{path}", json=body)
    recorder.add(started)
    if response.status_code != expected:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
    data: dict[str, Any] = response.json() if response.content else {}
    return data


async def signed_in(base_url: str, email: str) -> httpx.AsyncClient:
    http = http_client(base_url)
    response = await http.post("/api/v1/dev/login", json={"email": email})
    if response.status_code != 200:
        raise RuntimeError(f"login of {email} failed: {response.text}")
    return http


async def journeys(
    base_url: str,
    students: Iterator[str],
    mailbox: CompanyMailbox,
    recorder: Recorder,
) -> None:
    """Run whole mission journeys, one after another, until cancelled."""
    career = await signed_in(base_url, CAREER_SERVICE)
    tutors: dict[str, httpx.AsyncClient] = {}
    company = http_client(base_url)
    try:
        while True:
            student_email = next(students)
            student = await signed_in(base_url, student_email)
            try:
                await _journey(
                    base_url,
                    student,
                    student_email,
                    (career, company, tutors),
                    mailbox,
                    recorder,
                )
            except (httpx.TransportError, RuntimeError, TimeoutError) as error:
                # Counted and shown with the level's figures; the client goes
                # on with the next student, as a person would try again.
                recorder.errors.append(f"{type(error).__name__}: {error}")
            finally:
                await student.aclose()
    finally:
        for http in (career, company, *tutors.values()):
            await http.aclose()


async def _journey(
    base_url: str,
    student: httpx.AsyncClient,
    student_email: str,
    others: tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, httpx.AsyncClient]],
    mailbox: CompanyMailbox,
    recorder: Recorder,
) -> None:
    """Run one journey, from creation to the career service's approval."""
    career, company, tutors = others
    created = await command(
        recorder,
        student,
        "POST",
        "/missions",
        {"program_id": PROGRAM, "commitment_accepted": True},
        expected=201,
    )
    path = f"/missions/{created['id']}"
    await command(recorder, student, "PUT", f"{path}/dates", FRANCE)
    supervisor = unique_supervisor_email()
    sections = student_sections(supervisor, student_email)
    for name, fields in sections.items():
        await command(recorder, student, "PUT", f"{path}/sections/{name}", fields)
    await command(recorder, student, "POST", f"{path}/submit")
    token = await mailbox.link_for(supervisor)
    for part, values in COMPANY_COMPLETION.items():
        await command(
            recorder,
            company,
            "PUT",
            f"/company/{token}/sections/{part}",
            values,
        )
    await command(recorder, company, "POST", f"/company/{token}/validate")
    confirmed = await command(recorder, student, "POST", f"{path}/confirm", {})
    tutor_email = confirmed["tutor"]["email"]
    if tutor_email not in tutors:
        tutors[tutor_email] = await signed_in(base_url, tutor_email)
    await command(recorder, tutors[tutor_email], "POST", f"{path}/tutor/approve")
    await command(recorder, career, "POST", f"{path}/approve")


async def constant_requests(base_url: str, recorder: Recorder) -> None:
    """Post a section-sized body to the constant route, one request after another."""
    body = student_sections(unique_supervisor_email())["student"]
    async with http_client(base_url) as http:
        while True:
            started = time.perf_counter()
            try:
                response = await http.post("/constant", json=body)
            except httpx.TransportError as error:
                recorder.errors.append(f"{type(error).__name__}: {error}")
                continue
            recorder.add(started)
            response.raise_for_status()


async def run_level(
    clients: int,
    seconds: float,
    make_client: Callable[[Recorder], Awaitable[None]],
    background: list[Callable[[], Awaitable[None]]] | None = None,
) -> dict[str, Any]:
    """Run `clients` concurrent clients for `seconds`; return the window's figures."""
    recorder = Recorder()
    warmup = min(WARMUP_SECONDS, seconds / 5)

    async def client(delay: float) -> None:
        # Clients arrive spread over the warm-up, as people do, rather than
        # opening every connection and session in the same millisecond.
        await asyncio.sleep(delay)
        await make_client(recorder)

    tasks = [asyncio.ensure_future(work()) for work in background or []]
    start = time.perf_counter()
    tasks += [
        asyncio.ensure_future(client(index * warmup / clients))
        for index in range(clients)
    ]
    await asyncio.wait(tasks, timeout=seconds, return_when="FIRST_EXCEPTION")
    end = time.perf_counter()
    for task in tasks:
        task.cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [
        outcome
        for outcome in outcomes
        if isinstance(outcome, BaseException)
        and not isinstance(outcome, asyncio.CancelledError)
    ]
    if failures:
        raise RuntimeError(f"a client failed with {clients} clients") from failures[0]
    latencies = sorted(recorder.window(start + warmup, end))
    span = end - start - warmup
    return {
        "clients": clients,
        "commands": len(latencies),
        "rate": len(latencies) / span,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "errors": len(recorder.errors),
        "first_error": recorder.errors[0] if recorder.errors else "",
    }


def run(size: Size, result: Result) -> None:
    levels: dict[str, list[dict[str, Any]]] = {"campus": [], "ceiling": []}
    journeys_per_level = int(300 * size.gateway_seconds / 15) + 100
    students = len(size.gateway_clients) * journeys_per_level + journeys_per_level
    with tempfile.TemporaryDirectory(prefix="campus-bench-") as folder:
        work = Path(folder)
        ceiling = CeilingServer(work / "ceiling.log")
        try:
            for clients in size.gateway_clients:

                async def ceiling_client(recorder: Recorder) -> None:
                    await constant_requests(ceiling.base_url, recorder)

                figures = asyncio.run(
                    run_level(clients, size.gateway_seconds, ceiling_client)
                )
                levels["ceiling"].append(figures)
                print(f"  ceiling, {clients} clients: {_line(figures)}", flush=True)
        finally:
            ceiling.stop()

        server = EmbeddedServer(work / "campus", students)
        accounts = (bench_student(number) for number in itertools.count())
        try:
            for clients in size.gateway_clients:
                figures = asyncio.run(
                    _campus_level(server, accounts, clients, size.gateway_seconds)
                )
                levels["campus"].append(figures)
                print(f"  campus, {clients} clients: {_line(figures)}", flush=True)
            _judge(result, levels)
            if result.missed:
                _profile(server, accounts, result)
        finally:
            server.stop()
    _report(result, levels)


def _profile(server: EmbeddedServer, accounts: Iterator[str], result: Result) -> None:
    """Sample the server during 12 s of the target level, after 8 s of warm-up."""

    def capture() -> None:
        time.sleep(PROFILE_WARMUP_SECONDS)
        with sampled(server.process.pid, PROFILE_SECONDS, result.profiles, "gateway"):
            time.sleep(PROFILE_SECONDS)

    thread = threading.Thread(target=capture)
    thread.start()
    seconds = PROFILE_WARMUP_SECONDS + PROFILE_SECONDS
    asyncio.run(_campus_level(server, accounts, TARGET_CLIENTS, seconds))
    thread.join()


async def _campus_level(
    server: EmbeddedServer, accounts: Iterator[str], clients: int, seconds: float
) -> dict[str, Any]:
    mailbox = CompanyMailbox(server.data_dir / "notifications.db")

    async def client(recorder: Recorder) -> None:
        await journeys(server.base_url, accounts, mailbox, recorder)

    return await run_level(clients, seconds, client, background=[mailbox.poll])


def _clients(count: int) -> str:
    return "1 client" if count == 1 else f"{count} clients"


def _line(figures: dict[str, Any]) -> str:
    return (
        f"{figures['rate']:.0f} commands/s, p50 {figures['p50_ms']:.1f} ms, "
        f"p99 {figures['p99_ms']:.1f} ms"
    )


def _judge(result: Result, levels: dict[str, list[dict[str, Any]]]) -> None:
    pairs = list(zip(levels["campus"], levels["ceiling"], strict=True))
    for campus, ceiling in pairs:
        clients = int(campus["clients"])
        at_target = clients == TARGET_CLIENTS
        rate = Figure(
            f"commands per second, {_clients(clients)}",
            campus["rate"],
            "commands/s",
            ceiling=ceiling["rate"],
        )
        if at_target:
            rate.target = f"at least {TARGET_SHARE:.0%} of the ceiling"
            rate.met = (rate.ratio or 0) >= TARGET_SHARE
        p99 = Figure(
            f"p99 latency, {_clients(clients)}",
            campus["p99_ms"],
            "ms",
            ceiling=ceiling["p99_ms"],
            better="lower",
        )
        if at_target:
            p99.target = f"under {TARGET_P99_MS:.0f} ms"
            p99.met = campus["p99_ms"] < TARGET_P99_MS
        result.figures += [rate, p99]


def _report(result: Result, levels: dict[str, list[dict[str, Any]]]) -> None:
    columns = ["clients", "commands", "commands/s", "p50 ms", "p95 ms", "p99 ms"]
    columns.append("failed journeys")
    for level in levels["campus"]:
        if level["errors"]:
            result.facts.append(
                f"{level['errors']} journeys failed with {level['clients']} clients,"
                f" the first with {level['first_error'][:300]}"
            )
    for name, title in (("campus", "Campus journeys"), ("ceiling", "Constant route")):
        rows = [
            [
                int(level["clients"]),
                int(level["commands"]),
                round(level["rate"], 1),
                round(level["p50_ms"], 1),
                round(level["p95_ms"], 1),
                round(level["p99_ms"], 1),
                level.get("errors", 0),
            ]
            for level in levels[name]
        ]
        result.tables.append(Table(title, columns, rows))
    clients = [level["clients"] for level in levels["campus"]]
    result.plots.append(
        line_plot(
            "gateway",
            clients,
            {
                "throughput": {
                    "Campus": [level["rate"] for level in levels["campus"]],
                    "constant route": [level["rate"] for level in levels["ceiling"]],
                },
                "p99 latency": {
                    "Campus": [level["p99_ms"] for level in levels["campus"]],
                    "constant route": [level["p99_ms"] for level in levels["ceiling"]],
                },
            },
            x_label="concurrent clients",
            y_labels={"throughput": "commands per second", "p99 latency": "ms"},
            log_x=True,
        )
    )
