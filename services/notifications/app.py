"""Wiring of the notifications service."""

from __future__ import annotations

import datetime as dt

from services.notifications import contacts, outbox, people, schedule
from services.notifications.api import router
from services.notifications.handlers import make_apply
from services.notifications.scheduler import Scheduler
from services.notifications.sender import MailboxMailer, Mailer, Sender, SmtpMailer
from shared.events.catalogue import TOPICS
from shared.platform.clock import AdjustableClock, SystemClock
from shared.platform.devclock import router as dev_clock_router
from shared.platform.erasure import ErasureFollower
from shared.platform.eventlog import EventLog
from shared.platform.personal import unsealing
from shared.platform.retention import RetentionJob
from shared.platform.runtime import ServiceRuntime, Subscription, handled_once
from shared.platform.service import open_store, relay_for, service_app
from shared.platform.settings import Settings

NAME = "notifications"
CONSUMER = "notifications"


def build(settings: Settings, event_log: EventLog) -> ServiceRuntime:
    store = open_store(NAME, settings)
    contacts.create_schema(store.database)
    outbox.create_schema(store.database)
    schedule.create_schema(store.database)
    mailer: Mailer = MailboxMailer() if settings.uses_mailbox else SmtpMailer(settings)
    retry_base = dt.timedelta(seconds=settings.smtp_retry_seconds)
    sender = Sender(store.database, mailer, retry_base)
    clock = AdjustableClock() if settings.dev_login_enabled else SystemClock()
    scheduler = Scheduler(store.database, clock, settings, sender.notify)
    handler = unsealing(
        store.sealer,
        handled_once(store, CONSUMER, make_apply(settings, sender.notify)),
    )

    app = service_app(NAME, settings)
    app.state.store = store
    app.state.clock = clock
    app.state.scheduler = scheduler
    app.state.sender = sender
    retention = RetentionJob(
        NAME,
        people.expire_emails(store.database, settings.retention_days["email_log"]),
        clock,
        settings.retention_check_seconds,
    )

    def on_clock_moved() -> None:
        scheduler.run_due()
        retention.run_now()

    app.state.on_clock_moved = on_clock_moved
    app.include_router(router)
    app.include_router(dev_clock_router)
    app.include_router(people.export_router)
    subscription = Subscription(
        group=f"campus.{NAME}",
        topics=[TOPICS["mission"], TOPICS["document"], TOPICS["evaluation"]],
        handler=handler,
    )
    erasures = ErasureFollower(NAME, people.scrubber(store.database), ["emails"])
    runtime = ServiceRuntime(
        name=NAME,
        app=app,
        store=store,
        relay=relay_for(NAME, store, event_log),
        event_log=event_log,
        projections=[contacts.PROJECTION],
        subscriptions=[subscription, erasures.subscription()],
        extra_tasks=[sender.run, scheduler.run, retention.run],
    )
    erasures.runtime = runtime
    return runtime
