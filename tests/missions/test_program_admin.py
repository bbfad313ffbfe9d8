"""An admin's changes to programs are events, applied again after a restart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.missions.program_admin import ProgramCommands
from services.missions.programs import Program
from shared.platform.actors import Actor
from shared.platform.db import open_database
from shared.platform.errors import ForbiddenError, InvalidFieldError, NotFoundError
from shared.platform.eventstore import EventStore

ROOT = Path(__file__).resolve().parents[2]
ADMIN = Actor(email="admin@ecole-campus.fr", name="Paul Admin", role="admin")
CAREER = Actor(
    email="sophie.bernard@ecole-campus.fr", name="Sophie Bernard", role="career_service"
)


def seed_programs() -> dict[str, Program]:
    seed = json.loads((ROOT / "seed" / "demo.json").read_text(encoding="utf-8"))
    return {p["id"]: Program.model_validate(p) for p in seed["programs"]}


def commands_on(folder: Path) -> ProgramCommands:
    """What the missions service builds when it starts on that data folder."""
    store = EventStore(open_database("missions", data_dir=folder, database_url=None))
    commands = ProgramCommands(store, seed_programs())
    commands.refresh()
    return commands


def test_changes_survive_a_restart(tmp_path: Path) -> None:
    before = commands_on(tmp_path)
    before.change_rules(
        ADMIN, "bach-2-2026", {"max_weeks": 16, "lead_time_abroad_days": 21}
    )
    before.change_capacity(ADMIN, "bach-2-2026", "marc.leroy@ecole-campus.fr", 5)

    after = commands_on(tmp_path)

    program = after.programs["bach-2-2026"]
    assert program.max_weeks == 16
    assert program.lead_time_abroad_days == 21
    assert program.min_weeks == 4
    assert [tutor.capacity for tutor in program.tutors] == [5]
    assert after.programs["mge-1-2026"] == seed_programs()["mge-1-2026"]


def test_one_replica_sees_another_replicas_change(tmp_path: Path) -> None:
    first, second = commands_on(tmp_path), commands_on(tmp_path)

    first.change_rules(ADMIN, "mge-1-2026", {"allows_one_day": True})
    second.refresh()

    assert second.programs["mge-1-2026"].allows_one_day is True


def test_only_an_admin_changes_programs(tmp_path: Path) -> None:
    commands = commands_on(tmp_path)

    with pytest.raises(ForbiddenError):
        commands.change_rules(CAREER, "mge-1-2026", {"max_weeks": 30})
    with pytest.raises(ForbiddenError):
        commands.change_capacity(CAREER, "mge-1-2026", "marc.leroy@ecole-campus.fr", 1)

    assert commands.store.load("program-mge-1-2026") == []


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"min_weeks": 30}, "min_weeks"),
        ({"latest_end": "2026-12-31"}, "earliest_start"),
        ({"internship_type": "medium"}, "internship_type"),
        ({"name": "Autre"}, "name"),
    ],
)
def test_incoherent_rules_refused(
    tmp_path: Path, rules: dict[str, object], field: str
) -> None:
    commands = commands_on(tmp_path)

    with pytest.raises(InvalidFieldError) as refused:
        commands.change_rules(ADMIN, "mge-1-2026", rules)

    assert refused.value.field == field
    assert commands.store.load("program-mge-1-2026") == []


def test_capacity_of_unknown_tutor_refused(tmp_path: Path) -> None:
    commands = commands_on(tmp_path)

    with pytest.raises(NotFoundError) as refused:
        commands.change_capacity(ADMIN, "bach-2-2026", "helene.cote@ecole-campus.fr", 3)

    assert refused.value.field == "tutor_email"
    assert "marc.leroy@ecole-campus.fr" in refused.value.message


def test_unchanged_rules_record_nothing(tmp_path: Path) -> None:
    commands = commands_on(tmp_path)

    commands.change_rules(ADMIN, "mge-1-2026", {"max_weeks": 26})

    assert commands.store.load("program-mge-1-2026") == []
