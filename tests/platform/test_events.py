"""Event envelopes, the registry, and upcasting of older schema versions."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from shared.events.base import (
    DomainEvent,
    EventEnvelope,
    decode,
    register,
    register_upcaster,
    wrap,
)
from shared.events.catalogue import TOPICS, topic_for


@register
class ProbeRenamed(DomainEvent):
    """A test-only event at schema version 2, where `label` replaced `name`."""

    aggregate_type: ClassVar[str] = "mission"
    schema_version: ClassVar[int] = 2
    label: str


def _rename_name_to_label(data: dict[str, Any]) -> dict[str, Any]:
    return {"label": data["name"]}


register_upcaster("ProbeRenamed", 1, _rename_name_to_label)


def test_old_version_upcast_on_read() -> None:
    stored = EventEnvelope(
        event_type="ProbeRenamed",
        schema_version=1,
        aggregate_type="mission",
        aggregate_id="m-1",
        aggregate_version=1,
        occurred_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
        data={"name": "Stage d'été"},
    )

    event = decode(stored)

    assert isinstance(event, ProbeRenamed)
    assert event.label == "Stage d'été"


def test_wrap_records_current_version() -> None:
    envelope = wrap(
        ProbeRenamed(label="x"),
        aggregate_id="m-1",
        aggregate_version=3,
        actor=None,
        occurred_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
    )

    assert envelope.schema_version == 2
    assert envelope.event_type == "ProbeRenamed"
    assert EventEnvelope.model_validate_json(envelope.model_dump_json()) == envelope


def test_mission_events_go_to_missions_topic() -> None:
    assert topic_for("mission") == "campus.missions.v1"
    assert set(TOPICS.values()) == {
        "campus.missions.v1",
        "campus.documents.v1",
        "campus.evaluations.v1",
        "campus.programs.v1",
        "campus.people.v1",
    }


def test_published_schemas_match_code() -> None:
    from shared.events.schemas import OUTPUT, render

    assert OUTPUT.read_text(encoding="utf-8") == render(), (
        "docs/events.schema.json is stale: run python -m shared.events.schemas"
    )
