"""The benchmark suite's helpers: copied histories, percentiles, profiles, the page."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bench import report
from bench.common import Figure, Result, Table, percentile, summarise_stacks
from bench.history import UUID, Template

MISSION = "0b7f3a52-2d0e-4a5e-9a44-8c1f0e6d2b11"
FIRST_EVENT = "5f1d2c3b-7a8e-4b9c-8d0e-1f2a3b4c5d6e"
SECOND_EVENT = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
STUDENT = "etudiant001@etu.ecole-campus.fr"


def template_rows() -> list[tuple[object, ...]]:
    created = json.dumps({"mission": MISSION, "student_email": STUDENT})
    approved = json.dumps({"mission": MISSION, "causation_id": FIRST_EVENT})
    return [
        (FIRST_EVENT, "mission", MISSION, 1, "MissionCreated", created),
        (SECOND_EVENT, "mission", MISSION, 2, "MissionApproved", approved),
    ]


def test_copy_replaces_every_uuid() -> None:
    copy = Template(template_rows(), distinct=[STUDENT]).copy()
    text = json.dumps(copy)
    assert MISSION not in text
    assert FIRST_EVENT not in text
    assert SECOND_EVENT not in text


def test_copy_keeps_ids_consistent() -> None:
    first, second = Template(template_rows()).copy()
    assert first[2] == second[2]
    assert json.loads(str(first[5]))["mission"] == first[2]
    assert json.loads(str(second[5]))["causation_id"] == first[0]
    assert UUID.fullmatch(str(first[0]))


def test_copies_differ_from_each_other() -> None:
    template = Template(template_rows(), distinct=[STUDENT])
    one, other = template.copy(), template.copy()
    assert one[0][2] != other[0][2]
    student_one = json.loads(str(one[0][5]))["student_email"]
    student_other = json.loads(str(other[0][5]))["student_email"]
    assert student_one != student_other
    assert re.fullmatch(r"[0-9a-f]{8}\." + re.escape(STUDENT), student_one)


def test_copy_keeps_other_cells() -> None:
    copy = Template(template_rows()).copy()
    assert [row[1] for row in copy] == ["mission", "mission"]
    assert [row[3] for row in copy] == [1, 2]
    assert [row[4] for row in copy] == ["MissionCreated", "MissionApproved"]


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
