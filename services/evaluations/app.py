"""Wiring of the evaluations service."""

from __future__ import annotations

from services.evaluations import deposits
from services.evaluations.api import router
from services.evaluations.deposits import DepositScheduler
from shared.events.catalogue import TOPICS
from shared.platform.eventlog import EventLog
from shared.platform.runtime import ServiceRuntime, Subscription
from shared.platform.service import open_store, relay_for, service_app
from shared.platform.settings import Settings

NAME = "evaluations"


def build(settings: Settings, event_log: EventLog) -> ServiceRuntime:
    store = open_store(NAME, settings)
    deposits.create_schema(store.database)
    relay = relay_for(NAME, store, event_log)
    scheduler = DepositScheduler(store, relay.notify)

    app = service_app(NAME, settings)
    app.state.store = store
    app.include_router(router)
    subscription = Subscription(
        group=f"campus.{NAME}", topics=[TOPICS["mission"]], handler=scheduler.handle
    )
    return ServiceRuntime(
        name=NAME,
        app=app,
        store=store,
        relay=relay,
        event_log=event_log,
        projections=[deposits.PROJECTION],
        subscriptions=[subscription],
    )
