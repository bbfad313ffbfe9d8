"""The envelope every domain event travels in, and the registry of event types.

A domain event is a frozen pydantic model with a past-tense name and a schema
version. In the store and on the log it is wrapped in an `EventEnvelope`,
whose `data` is the event's JSON. Reading an envelope written with an older
schema version runs the registered upcasters first.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    aggregate_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


class EventEnvelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    event_type: str
    schema_version: int
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int
    occurred_at: dt.datetime
    actor: str | None = Field(None, description="Email of the person who acted.")
    correlation_id: str | None = None
    causation_id: str | None = None
    data: dict[str, Any]


_EVENT_TYPES: dict[str, type[DomainEvent]] = {}
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def register(event_class: type[DomainEvent]) -> type[DomainEvent]:
    """Make an event class known by its name, for reading it back."""
    _EVENT_TYPES[event_class.__name__] = event_class
    return event_class


def register_upcaster(event_type: str, from_version: int, upcaster: Upcaster) -> None:
    """Register how data of `event_type` at `from_version` becomes the next version."""
    _UPCASTERS[(event_type, from_version)] = upcaster


def event_types() -> dict[str, type[DomainEvent]]:
    return dict(_EVENT_TYPES)


def wrap(
    event: DomainEvent,
    *,
    aggregate_id: str,
    aggregate_version: int,
    actor: str | None,
    occurred_at: dt.datetime,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> EventEnvelope:
    return EventEnvelope(
        event_type=type(event).__name__,
        schema_version=type(event).schema_version,
        aggregate_type=event.aggregate_type,
        aggregate_id=aggregate_id,
        aggregate_version=aggregate_version,
        occurred_at=occurred_at,
        actor=actor,
        correlation_id=correlation_id,
        causation_id=causation_id,
        data=event.model_dump(mode="json"),
    )


def upcast(envelope: EventEnvelope) -> EventEnvelope:
    """Return the envelope with its data at the current schema version."""
    event_class = _EVENT_TYPES.get(envelope.event_type)
    if event_class is None:
        return envelope
    data, version = envelope.data, envelope.schema_version
    while version < event_class.schema_version:
        data = _UPCASTERS[(envelope.event_type, version)](data)
        version += 1
    if version == envelope.schema_version:
        return envelope
    return envelope.model_copy(update={"data": data, "schema_version": version})


def decode(envelope: EventEnvelope) -> DomainEvent:
    """Return the typed event inside an envelope, upcast to its current version."""
    current = upcast(envelope)
    event_class = _EVENT_TYPES[current.event_type]
    return event_class.model_validate(current.data)
