"""The benchmark suite's helpers: copied histories, percentiles, profiles, the page."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bench import report
from bench.common import Figure, Result, Table, percentile, summarise_stacks
from bench.history import UUID, Journey, Template, batches

MISSION = "0b7f3a52-2d0e-4a5e-9a44-8c1f0e6d2b11"
FIRST_EVENT = "5f1d2c3b-7a8e-4b9c-8d0e-1f2a3b4c5d6e"
SECOND_EVENT = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
STUDENT = "etudiant001@etu.ecole-campus.fr"
STUDENT_PERSON = "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a"
TUTOR_PERSON = "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d"
KEYS = {STUDENT_PERSON: bytes(range(32)), TUTOR_PERSON: bytes(range(32, 64))}


def _seal(person_id: str, value: object) -> str:
    nonce = b"\x01" * 12
    sealed = AESGCM(KEYS[person_id]).encrypt(
        nonce, json.dumps(value).encode(), person_id.encode()
    )
    return f"pd1:{person_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def _open(token: str) -> object:
    _, person_id, blob = token.split(":")
    raw = base64.urlsafe_b64decode(blob)
    key = KEYS.get(person_id)
    return (
        None
        if key is None
        else json.loads(AESGCM(key).decrypt(raw[:12], raw[12:], person_id.encode()))
    )


TUTOR_TOKEN = _seal(TUTOR_PERSON, "tutor@ecole-campus.fr")


def journey() -> Journey:
    created = json.dumps(
        {
            "mission": MISSION,
            "student_email": _seal(STUDENT_PERSON, STUDENT),
            "actor": STUDENT,
        }
    )
    approved = json.dumps(
        {"mission": MISSION, "causation_id": FIRST_EVENT, "tutor": TUTOR_TOKEN}
    )
    return Journey(
        events={
            "missions": [
                (FIRST_EVENT, "mission", MISSION, 1, "MissionCreated", created),
                (SECOND_EVENT, "mission", MISSION, 2, "MissionApproved", approved),
            ]
        },
        keys=KEYS,
        key_rows=[
            (person, base64.b64encode(key).decode(), "2026-12-04", None)
            for person, key in KEYS.items()
        ],
        students={STUDENT_PERSON},
        emails=[(STUDENT, STUDENT_PERSON)],
        people=[
            (MISSION, "student", STUDENT_PERSON, 1),
            (MISSION, "tutor", TUTOR_PERSON, 1),
        ],
    )


def test_copy_replaces_every_uuid() -> None:
    copy = Template(journey(), STUDENT).copy()
    text = json.dumps(copy)
    assert MISSION not in text
    assert FIRST_EVENT not in text
    assert SECOND_EVENT not in text
    assert STUDENT_PERSON not in text


def test_copy_keeps_ids_consistent() -> None:
    copy = Template(journey(), STUDENT).copy()
    first, second = copy["events:missions"]
    assert first[2] == second[2]
    assert json.loads(str(first[5]))["mission"] == first[2]
    assert json.loads(str(second[5]))["causation_id"] == first[0]
    assert UUID.fullmatch(str(first[0]))
    assert [row[0] for row in copy["mission_people"]] == [first[2], first[2]]


def test_copy_seals_student_under_own_key() -> None:
    copy = Template(journey(), STUDENT).copy()
    ((person_id, key, _, erased_at),) = copy["person_keys"]
    KEYS[person_id] = base64.b64decode(key)
    try:
        created = json.loads(str(copy["events:missions"][0][5]))
        email = _open(created["student_email"])
    finally:
        del KEYS[person_id]
    assert erased_at is None
    assert created["student_email"].startswith(f"pd1:{person_id}:")
    assert isinstance(email, str)
    assert re.fullmatch(r"[0-9a-f]{8}\." + re.escape(STUDENT), email)
    assert created["actor"] == email
    assert copy["person_emails"] == [(email, person_id)]
    assert ("student", person_id) in [row[1:3] for row in copy["mission_people"]]


def test_copy_keeps_other_people() -> None:
    template = Template(journey(), STUDENT)
    copy = template.copy()
    approved = json.loads(str(copy["events:missions"][1][5]))
    assert approved["tutor"] == TUTOR_TOKEN
    assert ("tutor", TUTOR_PERSON) in [row[1:3] for row in copy["mission_people"]]
    assert [row[0] for row in template.shared["person_keys"]] == [TUTOR_PERSON]


def test_copies_differ_from_each_other() -> None:
    template = Template(journey(), STUDENT)
    one, other = template.copy(), template.copy()
    assert one["events:missions"][0][2] != other["events:missions"][0][2]
    assert one["person_keys"][0][0] != other["person_keys"][0][0]
    assert one["person_keys"][0][1] != other["person_keys"][0][1]
    assert one["person_emails"][0][0] != other["person_emails"][0][0]


def test_copy_keeps_other_cells() -> None:
    rows = Template(journey(), STUDENT).copy()["events:missions"]
    assert [row[1] for row in rows] == ["mission", "mission"]
    assert [row[3] for row in rows] == [1, 2]
    assert [row[4] for row in rows] == ["MissionCreated", "MissionApproved"]


def test_batches_hold_every_copy() -> None:
    template = Template(journey(), STUDENT)
    sizes = [len(batch["person_keys"]) for batch in batches(template, 5, per_batch=2)]
    assert sizes == [2, 2, 1]


def test_percentile_of_a_range() -> None:
    values = [float(number) for number in range(1, 101)]
    assert percentile(values, 50) == 50.5
    assert 98.9 < percentile(values, 99) < 99.1


def test_ratio_of_a_duration_inverts() -> None:
    duration = Figure("render", 200.0, "ms", ceiling=100.0, better="lower")
    rate = Figure("appends", 200.0, "events/s", ceiling=400.0)
    assert duration.ratio == 0.5
    assert rate.ratio == 0.5


def test_stacks_charge_libraries_to_callers() -> None:
    raw = "\n".join(
        [
            "main (services/runner.py:10);append (shared/platform/eventstore.py:80);"
            "execute (psycopg/cursor.py:700) 30",
            "main (services/runner.py:10);select (selectors.py:468) 10",
        ]
    )
    summary = summarise_stacks(raw)
    assert "40 samples" in summary
    assert "75.0 %  append (shared/platform/eventstore.py)" in summary
    assert "25.0 %  event loop and libraries" in summary
    assert "75.0 %  psycopg" in summary


def test_page_marks_missed_target(tmp_path: Path) -> None:
    result = Result(
        workload="pdf",
        size="tiny",
        date="2026-12-04 18:00 UTC",
        machine={
            "cores": 2,
            "memory_gib": 23.4,
            "cpu": "a CPU",
            "python": "3.11.7",
            "load_average": [0.5, 0.4, 0.3],
        },
    )
    result.figures.append(
        Figure("agreement", 400.0, "ms", 120.0, "lower", "under 300 ms", False)
    )
    result.tables.append(Table("Milliseconds", ["renderer", "median"], [["x", 4.5]]))
    result.profiles["pdf"] = "12 samples"
    page = tmp_path / "benchmarks.md"
    report.write(page, {"pdf": Result.from_json(result.to_json())})
    text = page.read_text(encoding="utf-8")
    assert "| agreement | 400 ms | 120 ms | 30% | under 300 ms | **missed** |" in text
    assert "2 cores (a CPU), 23.4 GiB of memory, Python 3.11.7" in text
    assert "12 samples" in text
    assert "Not measured yet" in text
