"""Concurrent mission-sheet journeys through the gateway, as real users.

Each worker thread runs journeys one after another, each with a student of
its own, until the load stops. Every HTTP command and its response is
recorded with the `X-Request-ID` it was sent with, which becomes the
correlation id of the events the command appends, so the checker can find
each command's effect in the event store.

A user who gets a 5xx response or none waits a moment and tries again,
as people do. After such an unanswered attempt the first attempt may have
taken effect, so a later 409 for the same step is taken as done.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.e2e.journey import (
    CAREER_SERVICE,
    COMPANY_COMPLETION,
    FRANCE,
    company_token_in,
    student_sections,
    unique_supervisor_email,
)
from tests.harness.campus import RunningCampus
from tests.harness.seed import STUDENT_COUNT, student_email

# The test seed's program whose tutor takes 400 missions, so that the drills'
# journeys, which all share one Campus, never run out of tutors.
DRILL_PROGRAM = "quick-start"
# A client waits this long for a response; no response in time counts as a hang.
ANSWER_TIMEOUT_SECONDS = 40.0
RETRY_PAUSE_SECONDS = 1.0
# How long a user keeps retrying one step, or waits for an email, before
# giving up the journey.
STEP_PATIENCE_SECONDS = 150.0


@dataclass
class CommandRecord:
    """One HTTP request of the load and what came back."""

    journey: int
    step: str
    method: str
    path: str
    request_id: str
    started: float
    ended: float
    status: int | None
    content_type: str
    body: str
    transport_error: str | None = None
    # True for commands that change a mission, whose effect is an event.
    appends: bool = True
    # Set when a 409 followed an unanswered attempt of the same step.
    after_unanswered: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass
class LoadFigures:
    journeys_started: int = 0
    journeys_completed: int = 0
    journeys_abandoned: int = 0


class JourneyAbandoned(Exception):
    """A step kept failing for longer than a user would wait, or the load stopped."""


class StudentPool:
    """Hands out seeded students, each one once per campus."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def take(self) -> str:
        with self._lock:
            number = next(self._numbers)
        language = "fr" if number <= STUDENT_COUNT else "en"
        index = number if number <= STUDENT_COUNT else number - STUDENT_COUNT
        if index > STUDENT_COUNT:
            raise RuntimeError(f"the test seed has only {2 * STUDENT_COUNT} students")
        return student_email(index, language)


@dataclass
class Load:
    """Worker threads running journeys against `campus` until `stop()`."""

    campus: RunningCampus
    workers: int = 4
    students: StudentPool = field(default_factory=StudentPool)
    records: list[CommandRecord] = field(default_factory=list)
    figures: LoadFigures = field(default_factory=LoadFigures)
    failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._journey_numbers = itertools.count(1)
        # Steps of the requests sent and still without a response, by request id.
        self.in_flight: dict[str, str] = {}

    def start(self) -> None:
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=self._work, name=f"load-{n}", daemon=True)
            for n in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Let each worker finish its current step, then wait for all of them."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=STEP_PATIENCE_SECONDS + ANSWER_TIMEOUT_SECONDS)
        still_running = [t.name for t in self._threads if t.is_alive()]
        assert not still_running, f"load workers did not stop: {still_running}"

    def records_between(self, start: float, end: float) -> list[CommandRecord]:
        with self._lock:
            return [r for r in self.records if r.ended >= start and r.started <= end]

    def _work(self) -> None:
        while not self._stopping.is_set():
            number = next(self._journey_numbers)
            with self._lock:
                self.figures.journeys_started += 1
            try:
                _Journey(self, number).run()
            except JourneyAbandoned:
                with self._lock:
                    self.figures.journeys_abandoned += 1
                continue
            except Exception as error:  # recorded so the test reports it
                # A worker whose journey broke stops, so that one fault does
                # not use up the seeded students.
                with self._lock:
                    self.failures.append(f"journey {number}: {error!r}")
                    self.figures.journeys_abandoned += 1
                return
            with self._lock:
                self.figures.journeys_completed += 1

    def record(self, record: CommandRecord) -> None:
        with self._lock:
            self.records.append(record)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()


class _Journey:
    """One student's mission sheet from creation to the career service's approval."""

    def __init__(self, load: Load, number: int) -> None:
        self.load = load
        self.number = number
        self.campus = load.campus
        self.student = self._client()
        self.mission_id = ""

    def _client(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.campus.base_url}/api/v1", timeout=ANSWER_TIMEOUT_SECONDS
        )

    def run(self) -> None:
        student_email_address = self.load.students.take()
        self._login(self.student, student_email_address)
        created = self._step(
            self.student,
            "create",
            "POST",
            "/missions",
            {"program_id": DRILL_PROGRAM, "commitment_accepted": True},
            recover=self._created_mission,
        )
        self.mission_id = str(created["id"])
        base = f"/missions/{self.mission_id}"
        self._step(self.student, "dates", "PUT", f"{base}/dates", FRANCE)
        supervisor = unique_supervisor_email()
        for name, fields in student_sections(supervisor, student_email_address).items():
            self._step(
                self.student,
                f"section {name}",
                "PUT",
                f"{base}/sections/{name}",
                fields,
            )
        self._step(self.student, "submit", "POST", f"{base}/submit")

        token = company_token_in(self._wait_for_email(supervisor)["text"])
        company = self._client()
        for name, completion in COMPANY_COMPLETION.items():
            self._step(
                company,
                f"company {name}",
                "PUT",
                f"/company/{token}/sections/{name}",
                completion,
            )
        self._step(company, "company validate", "POST", f"/company/{token}/validate")

        confirmed = self._step(
            self.student,
            "confirm",
            "POST",
            f"{base}/confirm",
            {},
            recover=self._mission,
        )
        tutor = self._client()
        self._login(tutor, self._tutor_email(confirmed))
        self._step(tutor, "tutor approve", "POST", f"{base}/tutor/approve")
        career_service = self._client()
        self._login(career_service, CAREER_SERVICE)
        self._step(career_service, "approve", "POST", f"{base}/approve")

    @staticmethod
    def _tutor_email(mission: dict[str, Any]) -> str:
        tutor = mission.get("tutor") or {}
        email = tutor.get("email")
        assert isinstance(email, str), f"no tutor in the confirmed mission: {mission}"
        return email

    def _login(self, client: httpx.Client, email: str) -> None:
        self._step(
            client, "login", "POST", "/dev/login", {"email": email}, appends=False
        )

    def _created_mission(self) -> dict[str, Any] | None:
        """Return the mission an unanswered creation made, if it did."""
        response = self.student.get("/missions")
        if response.status_code != 200:
            return None
        body = response.json()
        items = body.get("items", body) if isinstance(body, dict) else body
        return items[0] if items else None

    def _mission(self) -> dict[str, Any] | None:
        response = self.student.get(f"/missions/{self.mission_id}")
        if response.status_code != 200:
            return None
        mission: dict[str, Any] = response.json()
        return mission

    def _step(
        self,
        client: httpx.Client,
        step: str,
        method: str,
        path: str,
        body: Any = None,
        *,
        appends: bool = True,
        recover: Callable[[], dict[str, Any] | None] | None = None,
    ) -> dict[str, Any]:
        """Send one command until it succeeds; return its JSON body.

        After an unanswered attempt (5xx or no response), a 409 means the
        earlier attempt took effect, and `recover` reads what it made.
        """
        deadline = time.monotonic() + STEP_PATIENCE_SECONDS
        unanswered = False
        while True:
            record = self._send(client, step, method, path, body, appends)
            if record.succeeded:
                return self._body_of(record)
            if record.status is not None and record.status < 500:
                if record.status == 409 and unanswered:
                    record.after_unanswered = True
                    return (recover() if recover else None) or {}
                if step == "create" and unanswered and recover:
                    made = recover()
                    if made is not None:
                        return made
                raise AssertionError(
                    f"{method} {path} ({step}) returned {record.status}: "
                    f"{record.body[:300]}"
                )
            unanswered = True
            if step == "create" and recover is not None:
                made = recover()
                if made is not None:
                    return made
            if self.load.stopping or time.monotonic() > deadline:
                raise JourneyAbandoned(step)
            time.sleep(RETRY_PAUSE_SECONDS)

    @staticmethod
    def _body_of(record: CommandRecord) -> dict[str, Any]:
        if "json" not in record.content_type:
            return {}
        body = record.json()
        return body if isinstance(body, dict) else {"items": body}

    def _send(
        self,
        client: httpx.Client,
        step: str,
        method: str,
        path: str,
        body: Any,
        appends: bool,
    ) -> CommandRecord:
        request_id = f"load-{uuid.uuid4().hex}"
        started = time.time()
        status: int | None = None
        content_type = ""
        text = ""
        error: str | None = None
        self.load.in_flight[request_id] = step
        try:
            response = client.request(
                method, path, json=body, headers={"X-Request-ID": request_id}
            )
            status = response.status_code
            content_type = response.headers.get("content-type", "")
            text = response.text
        except httpx.TransportError as failure:
            error = f"{type(failure).__name__}: {failure}"
        finally:
            self.load.in_flight.pop(request_id, None)
        record = CommandRecord(
            journey=self.number,
            step=step,
            method=method,
            path=path,
            request_id=request_id,
            started=started,
            ended=time.time(),
            status=status,
            content_type=content_type,
            body=text,
            transport_error=error,
            appends=appends,
        )
        self.load.record(record)
        return record

    def _wait_for_email(self, to: str) -> dict[str, Any]:
        deadline = time.monotonic() + STEP_PATIENCE_SECONDS
        while time.monotonic() < deadline and not self.load.stopping:
            for email in self.campus.mailbox():
                if email["to"] == to and re.search(r"/company/", email["text"]):
                    return email
            time.sleep(0.5)
        raise JourneyAbandoned(f"waiting for the company's email to {to}")
