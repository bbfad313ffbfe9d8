"""A seed file for tests: the demo accounts plus many students.

Each test takes students of its own, so that one test's internships never
overlap another's, as they would if every test used the same student.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from tests.harness.processes import ROOT

STUDENT_COUNT = 400
PREFIXES = {"fr": "etudiant", "en": "student"}
_numbers = {language: itertools.count(1) for language in PREFIXES}


def student_email(number: int, language: str = "fr") -> str:
    return f"{PREFIXES[language]}{number:03d}@etu.ecole-campus.fr"


def write_test_seed(folder: Path) -> Path:
    seed = json.loads((ROOT / "seed" / "demo.json").read_text(encoding="utf-8"))
    names = {"fr": "Étudiant n° {}", "en": "Student no. {}"}
    seed["users"] += [
        {
            "email": student_email(number, language),
            "name": names[language].format(number),
            "role": "student",
            "language": language,
        }
        for language in PREFIXES
        for number in range(1, STUDENT_COUNT + 1)
    ]
    # Its window contains today, so a test can approve a mission whose start
    # date is inside the lead time: a quick start.
    seed["programs"].append(
        {
            **seed["programs"][0],
            "id": "quick-start",
            "name": "Programme de test, départs rapides",
            "earliest_start": "2026-09-01",
            "latest_end": "2028-08-31",
            "min_weeks": 1,
            "max_weeks": 26,
            "tutors": [
                {
                    "email": "helene.cote@ecole-campus.fr",
                    "name": "Hélène Côté",
                    "capacity": 400,
                }
            ],
        }
    )
    path = folder / "seed.json"
    path.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
    return path


def fresh_student(language: str = "fr") -> str:
    """Return a student account no earlier call returned in this test run."""
    number = next(_numbers[language])
    if number > STUDENT_COUNT:
        raise RuntimeError(f"the test seed has only {STUDENT_COUNT} students")
    return student_email(number, language)
