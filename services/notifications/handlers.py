"""Event handlers of the notifications service."""

from __future__ import annotations

from collections.abc import Callable

from services.notifications import contacts as contacts_projection
from services.notifications import outbox, schedule
from services.notifications.compose import compose
from services.notifications.rules import emails_for
from services.notifications.schedule import ReminderPolicy
from shared.events.base import EventEnvelope
from shared.platform.db import Transaction
from shared.platform.settings import Settings


def mission_id_of(envelope: EventEnvelope) -> str:
    return str(envelope.data.get("mission_id") or envelope.aggregate_id)


def policy_of(settings: Settings) -> ReminderPolicy:
    return ReminderPolicy(
        every_days=settings.reminder_days,
        reminders=settings.reminder_count,
        lead_time_warning_days=settings.lead_time_warning_days,
    )


def make_apply(
    settings: Settings, on_queued: Callable[[], None]
) -> Callable[[Transaction, EventEnvelope], None]:
    """Build the handler body: update the contacts, plan jobs, queue emails due now."""
    policy = policy_of(settings)

    def apply(tx: Transaction, envelope: EventEnvelope) -> None:
        mission_id = mission_id_of(envelope)
        contacts = contacts_projection.load(tx, mission_id)
        if envelope.aggregate_type == "mission":
            contacts = contacts_projection.update(contacts, envelope)
            contacts_projection.save(tx, contacts)
        cancelled, jobs = schedule.plan(envelope, contacts, policy)
        schedule.apply_plan(tx, mission_id, cancelled, jobs)
        emails = emails_for(envelope, contacts, settings)
        for email in emails:
            outbox.queue(
                tx, envelope.event_id, mission_id, email, compose(email, contacts)
            )
        if emails:
            on_queued()

    return apply
