"""Concurrent commands and rebuilt read models, against a running Campus."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import httpx

from tests.e2e.journey import (
    CAREER_SERVICE,
    FRANCE,
    reach_company_completed,
    reach_tutor_review,
    send_to_company,
    start_mission,
)
from tests.harness.campus import RunningCampus, User, wait_for


def _at_once(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Run the calls in threads released together; return their responses in order."""
    barrier = threading.Barrier(len(calls))
    responses: list[httpx.Response | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        responses[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [response for response in responses if response is not None]


def test_double_confirm_records_one_event(campus: RunningCampus) -> None:
    journey = reach_company_completed(campus)
    first, second = (
        User(campus, journey.student.email),
        User(campus, journey.student.email),
    )
    path = f"/missions/{journey.mission_id}/confirm"

    responses = _at_once(lambda: first.post(path, {}), lambda: second.post(path, {}))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 409], [r.text for r in responses]
    history = [entry["type"] for entry in journey.mission()["history"]]
    assert history.count("StudentConfirmed") == 1
    assert history.count("TutorAssigned") == 1


def test_submit_and_cancel_race_one_wins(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    other = User(campus, journey.student.email)
    base = f"/missions/{journey.mission_id}"

    responses = _at_once(
        lambda: journey.student.post(f"{base}/submit"),
        lambda: other.post(f"{base}/cancel", {"reason": "Deux onglets ouverts."}),
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 409], [r.text for r in responses]
    history = [entry["type"] for entry in journey.mission()["history"]]
    decisive = [t for t in history if t in ("MissionSentToCompany", "MissionCancelled")]
    assert len(decisive) == 1


def _settled_snapshot(campus: RunningCampus) -> dict[str, object]:
    """Snapshot the read models once two readings in a row agree."""
    previous = None
    for _ in range(40):
        current = json.loads(campus.run_command("snapshot", "all"))
        if current == previous:
            return dict(current)
        previous = current
        time.sleep(0.5)
    raise AssertionError("the read models kept changing for 20 s")


def test_projections_rebuilt_equal_live(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    send_to_company(journey)
    approved, tutor = reach_tutor_review(campus)
    tutor.post(f"/missions/{approved.mission_id}/tutor/approve")
    User(campus, CAREER_SERVICE).post(f"/missions/{approved.mission_id}/approve")
    wait_for(
        lambda: (
            approved.student.get(
                f"/missions/{approved.mission_id}/convention.pdf"
            ).status_code
            == 200
        ),
        "the agreement",
    )
    live = _settled_snapshot(campus)
    for table in ("mission_view", "mission_contacts", "agreements", "evaluation_view"):
        assert live[table], f"the read model {table} is empty"

    counts = json.loads(campus.run_command("rebuild", "all"))
    rebuilt = json.loads(campus.run_command("snapshot", "all"))

    assert counts["mission_view"] > 0
    for table, rows in live.items():
        assert rebuilt[table] == rows, f"{table} differs after a rebuild"


def test_request_id_follows_events(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    request_id = "journey-test-0001"

    submitted = journey.student.post(
        f"/missions/{journey.mission_id}/submit",
        headers={"X-Request-ID": request_id},
    )

    assert submitted.status_code == 200, submitted.text
    assert submitted.headers["x-request-id"] == request_id
    assert submitted.json()["history"][-1]["request_id"] == request_id
