"""Sealing personal values in events with a key per person, and erasing them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from shared.events.base import EventEnvelope, decode, wrap
from shared.events.missions import (
    MissionCreated,
    SectionSaved,
    SupervisorChanged,
    TutorAssigned,
)
from shared.platform.db import SqliteDatabase
from shared.platform.eventstore import EventStore
from shared.platform.personal import ERASED, KeyStore, Sealer

STUDENT = "zoe.marchand@etu.ecole-campus.fr"
SUPERVISOR = "paul.riviere@exemple.fr"
NEW_SUPERVISOR = "ines.moreau@exemple.fr"
AT = dt.datetime(2027, 1, 5, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    keys = KeyStore(SqliteDatabase(tmp_path / "keys.db"))
    return EventStore(SqliteDatabase(tmp_path / "missions.db"), Sealer(keys))


def _wrap(event: object, version: int, actor: str | None = STUDENT) -> EventEnvelope:
    return wrap(
        event,  # type: ignore[arg-type]
        aggregate_id="m-1",
        aggregate_version=version,
        actor=actor,
        occurred_at=AT,
    )


def _mission(store: EventStore) -> list[EventEnvelope]:
    events = [
        _wrap(
            MissionCreated(
                student_email=STUDENT,
                student_name="Zoé Marchand",
                student_language="fr",
                program_id="mge-1-2026",
                program_name="MGE 1",
            ),
            1,
        ),
        _wrap(
            SectionSaved(
                section="student",
                fields={"last_name": "Marchand", "phone": "+33 6 98 76 54 32"},
                by="student",
            ),
            2,
        ),
        _wrap(
            SectionSaved(
                section="supervisor",
                fields={"first_name": "Paul", "email": SUPERVISOR},
                by="student",
            ),
            3,
        ),
        _wrap(
            SectionSaved(section="mission", fields={"title": "Audit"}, by="student"),
            4,
        ),
        _wrap(TutorAssigned(tutor_email="t@ecole.fr", tutor_name="Tom Tuteur"), 5),
    ]
    store.append("m-1", 0, events)
    return events


def _stored_text(tmp_path: Path) -> bytes:
    return b"".join(path.read_bytes() for path in tmp_path.glob("missions.db*"))


def test_personal_values_are_stored_sealed_and_read_in_clear(
    store: EventStore, tmp_path: Path
) -> None:
    written = _mission(store)

    loaded = store.load("m-1")
    stored = [envelope for _, envelope in store.read_after(0)]

    assert loaded == written
    raw = _stored_text(tmp_path)
    for clear in (STUDENT, "Zoé Marchand", "+33 6 98 76 54 32", SUPERVISOR, "Tom"):
        assert clear.encode() not in raw, clear
        assert clear not in "".join(e.model_dump_json() for e in stored)
    # What is not personal stays readable for analytics consumers.
    assert stored[3].data["fields"] == {"title": "Audit"}
    assert stored[0].data["program_id"] == "mge-1-2026"


def test_erasing_a_person_leaves_the_history_readable(store: EventStore) -> None:
    written = _mission(store)
    assert store.sealer is not None

    erasure = store.sealer.keys.erase(STUDENT)

    assert erasure.missions == {"m-1": ["student"]}
    loaded = store.load("m-1")
    assert [e.event_type for e in loaded] == [e.event_type for e in written]
    assert [e.occurred_at for e in loaded] == [e.occurred_at for e in written]
    created = decode(loaded[0])
    assert isinstance(created, MissionCreated)
    assert (created.student_email, created.student_name) == (ERASED, ERASED)
    assert created.program_id == "mge-1-2026"
    assert loaded[1].data["fields"] == {"last_name": ERASED, "phone": ERASED}
    assert loaded[0].actor == ERASED
    # The supervisor and the tutor are other people, still readable.
    assert loaded[2].data["fields"] == {"first_name": "Paul", "email": SUPERVISOR}
    assert loaded[4].data["tutor_name"] == "Tom Tuteur"
    assert store.sealer.keys.people_for_email(STUDENT) == []


def test_supervisor_keeps_one_key_until_replaced(store: EventStore) -> None:
    _mission(store)
    assert store.sealer is not None
    keys = store.sealer.keys
    # The student corrects the address: the same person, now with two.
    corrected = _wrap(
        SectionSaved(
            section="supervisor", fields={"email": "p.riviere@exemple.fr"}, by="student"
        ),
        6,
    )
    replaced = _wrap(
        SupervisorChanged(
            fields={"first_name": "Inès", "email": NEW_SUPERVISOR},
            supervisor_email=NEW_SUPERVISOR,
            company_round=1,
            supervisor_round=2,
            status="sent_to_company",
        ),
        7,
        actor="scs@ecole-campus.fr",
    )
    store.append("m-1", 5, [corrected, replaced])

    keys.erase("p.riviere@exemple.fr")

    loaded = store.load("m-1")
    assert loaded[2].data["fields"] == {"first_name": ERASED, "email": ERASED}
    assert loaded[5].data["fields"] == {"email": ERASED}
    assert loaded[6].data["fields"] == {"first_name": "Inès", "email": NEW_SUPERVISOR}
    assert keys.missions_of(keys.people_for_email(NEW_SUPERVISOR)) == {
        "m-1": ["supervisor"]
    }


def test_events_written_before_sealing_are_read_as_they_are(
    tmp_path: Path,
) -> None:
    plain = EventStore(SqliteDatabase(tmp_path / "missions.db"))
    written = _mission(plain)
    keys = KeyStore(SqliteDatabase(tmp_path / "keys.db"))
    sealed = EventStore(plain.database, Sealer(keys))

    assert sealed.load("m-1") == written
    assert STUDENT.encode() in _stored_text(tmp_path)


def test_a_tampered_value_reads_as_erased(store: EventStore) -> None:
    _mission(store)
    with store.database.transaction() as tx:
        row = tx.fetchone("SELECT envelope FROM events WHERE aggregate_version = 5")
        assert row is not None
        envelope = EventEnvelope.model_validate_json(row["envelope"])
        token = envelope.data["tutor_name"]
        forged = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
        tampered = envelope.model_copy(
            update={"data": {**envelope.data, "tutor_name": forged}}
        )
        tx.execute(
            "UPDATE events SET envelope = ? WHERE aggregate_version = 5",
            (tampered.model_dump_json(),),
        )

    assert store.load("m-1")[4].data["tutor_name"] == ERASED


def test_sealing_older_events_in_place_makes_them_erasable(tmp_path: Path) -> None:
    written = _mission(EventStore(SqliteDatabase(tmp_path / "missions.db")))
    keys = KeyStore(SqliteDatabase(tmp_path / "keys.db"))
    store = EventStore(SqliteDatabase(tmp_path / "missions.db"), Sealer(keys))

    rewritten = store.seal_stored()

    assert rewritten == len(written)
    assert store.load("m-1") == written
    assert STUDENT.encode() not in _stored_text(tmp_path)
    assert store.seal_stored() == 0
    keys.erase(STUDENT)
    assert store.load("m-1")[0].data["student_name"] == ERASED


def test_text_reading_opens_the_same_values_as_unsealing(store: EventStore) -> None:
    """A rebuild's reading of the JSON text gives what `unseal` gives, erased too."""
    written = _mission(store)
    # A value that looks like a sealed one, inside a longer text that is not
    # personal, must stay as it was typed.
    lookalike = 'see "pd1:00000000-0000-4000-8000-000000000000:AAAA'
    store.append(
        "m-1",
        len(written),
        [
            _wrap(
                SectionSaved(
                    section="mission", fields={"title": lookalike}, by="student"
                ),
                len(written) + 1,
            )
        ],
    )
    assert store.sealer is not None

    def both() -> tuple[list[EventEnvelope], list[EventEnvelope]]:
        by_text = [envelope for _, envelope in store.read_after_unsealed(0)]
        by_walk = store.unseal([envelope for _, envelope in store.read_after(0)])
        return by_text, by_walk

    by_text, by_walk = both()
    assert by_text == by_walk
    assert by_text[:-1] == written
    assert by_text[-1].data["fields"] == {"title": lookalike}

    store.sealer.keys.erase(STUDENT)
    by_text, by_walk = both()
    assert by_text == by_walk
    assert by_text[0].data["student_email"] == ERASED
    assert by_text[2].data["fields"]["email"] == SUPERVISOR
