"""Events of the notifications service, published on `campus.notifications.v1`."""

from __future__ import annotations

from shared.events.base import DomainEvent, register


class NotificationEvent(DomainEvent):
    aggregate_type = "email"


@register
class EmailQueued(NotificationEvent):
    mission_id: str | None
    kind: str
    language: str


@register
class EmailSent(NotificationEvent):
    mission_id: str | None
    kind: str
