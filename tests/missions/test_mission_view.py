"""The missions read model's list order, pages and counts, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from services.missions import projections
from services.missions.domain import Mission
from services.missions.queries import MissionQueries, encode_cursor
from shared.platform.actors import Actor
from shared.platform.db import Database
from shared.platform.errors import InvalidFieldError

CAREER = Actor(
    email="stages@ecole-campus.fr", name="Service des stages", role="career_service"
)
START = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)


def _mission(number: int, minutes: int, status: str = "draft") -> Mission:
    return Mission(
        id=f"00000000-0000-4000-8000-{number:012d}",
        student_email=f"student{number}@etu.ecole-campus.fr",
        program_id="mge-1-2026",
        status=status,
        version=1,
        created_at=START,
        updated_at=START + dt.timedelta(minutes=minutes),
    )


def _save(database: Database, *missions: Mission) -> None:
    with database.transaction() as tx:
        for mission in missions:
            projections._save(tx, mission)


def test_pages_follow_last_change_then_id(database: Database) -> None:
    projections.create_schema(database)
    # Two missions changed at the same minute: the id breaks the tie.
    _save(
        database,
        _mission(1, 5),
        _mission(2, 30, "approved"),
        _mission(3, 10),
        _mission(4, 10),
        _mission(5, 1, "approved"),
    )
    queries = MissionQueries(database)
    seen, cursor, pages = [], None, 0
    while True:
        page = queries.visible_missions(CAREER, None, None, limit=2, cursor=cursor)
        seen += [mission.id[-1] for mission in page.missions]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == ["2", "4", "3", "1", "5"]
    assert pages == 3
    whole = queries.visible_missions(CAREER, None, None)
    assert [mission.id[-1] for mission in whole.missions] == seen
    assert whole.next_cursor is None
    approved = queries.visible_missions(CAREER, "approved", None, limit=1)
    assert [mission.id[-1] for mission in approved.missions] == ["2"]
    assert approved.next_cursor is not None
    assert queries.counts(CAREER, None) == {"approved": 2, "draft": 3}
    student = Actor(email="student3@etu.ecole-campus.fr", name="Third", role="student")
    assert queries.counts(student, None) == {"draft": 1}


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        encode_cursor("2026-09-01", ""),
        "",
        "e30=",
        encode_cursor("\x00", "\x00"),
        encode_cursor("yesterday", "00000000-0000-4000-8000-000000000001"),
        encode_cursor("2026-09-01T08:00:00+00:00", "x'; DROP TABLE mission_view"),
    ],
)
def test_forged_cursor_named(database: Database, cursor: str) -> None:
    projections.create_schema(database)
    with pytest.raises(InvalidFieldError) as raised:
        MissionQueries(database).visible_missions(CAREER, None, None, 2, cursor)
    assert raised.value.field == "cursor"
    assert "Link header" in raised.value.message


def test_older_read_model_gains_change_times(
    database: Database,
) -> None:
    """A table written before lists were paged gains its column, filled in."""
    older, newer = _mission(1, 5), _mission(2, 50)
    with database.transaction() as tx:
        tx.execute(
            """CREATE TABLE mission_view (
                id TEXT PRIMARY KEY, student_email TEXT NOT NULL,
                program_id TEXT NOT NULL, status TEXT NOT NULL, tutor_email TEXT,
                version INTEGER NOT NULL, document TEXT NOT NULL)"""
        )
        for mission in (older, newer):
            tx.execute(
                "INSERT INTO mission_view (id, student_email, program_id, status, "
                "version, document) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    mission.id,
                    mission.student_email,
                    mission.program_id,
                    mission.status,
                    mission.version,
                    mission.model_dump_json(),
                ),
            )
    projections.create_schema(database)
    projections.create_schema(database)  # a second start changes nothing
    page = MissionQueries(database).visible_missions(CAREER, None, None, limit=1)
    assert [mission.id for mission in page.missions] == [newer.id]
    with database.transaction() as tx:
        rows = tx.fetchall("SELECT id, changed_at FROM mission_view ORDER BY id")
    assert [row["changed_at"] for row in rows] == [
        projections.changed_at(older),
        projections.changed_at(newer),
    ]


def test_whole_list_read_by_ids_in_their_order(database: Database) -> None:
    projections.create_schema(database)
    _save(database, _mission(1, 5), _mission(2, 30), _mission(3, 10))
    queries = MissionQueries(database)
    ids = queries.visible_ids(CAREER, None, None)
    assert [mission_id[-1] for mission_id in ids] == ["2", "3", "1"]
    removed_id = "00000000-0000-4000-8000-000000000099"
    read = queries.missions_by_ids([ids[2], removed_id, ids[0]], CAREER, None, None)
    assert [mission.id for mission in read] == [ids[2], ids[0]]
    assert queries.missions_by_ids([], CAREER, None, None) == []


def test_whole_list_leaves_out_what_no_longer_matches(database: Database) -> None:
    """A mission given to another tutor, or in another status, since the ids."""
    projections.create_schema(database)
    tutor = Actor(email="helene.cote@ecole-campus.fr", name="Hélène", role="tutor")
    reassigned, cancelled = _mission(1, 5), _mission(2, 6)
    for mission in (reassigned, cancelled):
        mission.tutor_email = tutor.email
    _save(database, reassigned, cancelled)
    queries = MissionQueries(database)
    ids = queries.visible_ids(tutor, "draft", None)
    assert len(ids) == 2

    reassigned.tutor_email = "marc.leroy@ecole-campus.fr"
    cancelled.status = "cancelled"
    _save(database, reassigned, cancelled)

    assert queries.missions_by_ids(ids, tutor, "draft", None) == []
    assert [m.id for m in queries.missions_by_ids(ids, tutor, None, None)] == [
        cancelled.id
    ]
    assert [m.id for m in queries.missions_by_ids(ids, CAREER, None, None)] == [
        cancelled.id,
        reassigned.id,
    ]
