"""Wiring of the documents service."""

from __future__ import annotations

from services.documents import agreements, people, uploads, workers
from services.documents.agreements import AgreementGenerator
from services.documents.api import router
from services.documents.storage import open_storage
from services.documents.uploads import Uploads
from shared.events.catalogue import TOPICS
from shared.platform.clock import AdjustableClock, Clock, SystemClock
from shared.platform.devclock import router as dev_clock_router
from shared.platform.erasure import ErasureFollower
from shared.platform.eventlog import EventLog
from shared.platform.personal import unsealing
from shared.platform.retention import RetentionJob
from shared.platform.runtime import ServiceRuntime, Subscription
from shared.platform.service import open_store, relay_for, service_app
from shared.platform.settings import Settings

NAME = "documents"


def build(settings: Settings, event_log: EventLog) -> ServiceRuntime:
    store = open_store(NAME, settings)
    agreements.create_schema(store.database)
    uploads.create_schema(store.database)
    relay = relay_for(NAME, store, event_log)
    storage = open_storage(settings)
    generator = AgreementGenerator(store, storage, relay.notify, settings.school_logo)

    app = service_app(NAME, settings)
    app.state.store = store
    app.state.storage = storage
    app.state.uploads = Uploads(store, storage, settings.upload_max_bytes, relay.notify)
    app.include_router(router)
    app.include_router(people.export_router)
    clock: Clock = AdjustableClock() if settings.dev_login_enabled else SystemClock()
    app.state.clock = clock
    app.include_router(dev_clock_router)
    retention = RetentionJob(
        NAME,
        people.expire_uploads(
            store.database, storage, settings.retention_days["uploaded_files"]
        ),
        clock,
        settings.retention_check_seconds,
    )
    app.state.on_clock_moved = retention.run_now
    subscription = Subscription(
        group=f"campus.{NAME}",
        topics=[TOPICS["mission"]],
        handler=unsealing(store.sealer, generator.handle),
    )
    erasures = ErasureFollower(NAME, people.scrubber(store.database, storage))
    runtime = ServiceRuntime(
        name=NAME,
        app=app,
        store=store,
        relay=relay,
        event_log=event_log,
        projections=[agreements.PROJECTION, uploads.PROJECTION],
        subscriptions=[subscription, erasures.subscription()],
        extra_tasks=[retention.run, workers.stop_on_cancel],
    )
    erasures.runtime = runtime
    return runtime
