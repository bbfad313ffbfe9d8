"""Event handlers of the notifications service."""

from __future__ import annotations

from collections.abc import Callable

from services.notifications import contacts as contacts_projection
from services.notifications import outbox
from services.notifications.compose import compose
from services.notifications.rules import emails_for
from shared.events.base import EventEnvelope
from shared.platform.db import Transaction
from shared.platform.settings import Settings


def mission_id_of(envelope: EventEnvelope) -> str:
    return str(envelope.data.get("mission_id") or envelope.aggregate_id)


def make_apply(
    settings: Settings, on_queued: Callable[[], None]
) -> Callable[..., None]:
    """Build the handler body: update the contacts, then queue the emails due."""

    def apply(tx: Transaction, envelope: EventEnvelope) -> None:
        mission_id = mission_id_of(envelope)
        contacts = contacts_projection.load(tx, mission_id)
        if envelope.aggregate_type == "mission":
            contacts = contacts_projection.update(contacts, envelope)
            contacts_projection.save(tx, contacts)
        emails = emails_for(envelope, contacts, settings)
        for email in emails:
            outbox.queue(
                tx, envelope.event_id, mission_id, email, compose(email, contacts)
            )
        if emails:
            on_queued()

    return apply
