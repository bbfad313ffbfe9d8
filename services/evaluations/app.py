"""Wiring of the evaluations service."""

from __future__ import annotations

from services.evaluations import people, projections
from services.evaluations.api import router
from services.evaluations.commands import EvaluationCommands
from services.evaluations.forms import SHIPPED_FORMS, load_catalogue
from services.evaluations.handlers import make_handler
from shared.events.catalogue import TOPICS
from shared.platform.clock import AdjustableClock, Clock, SystemClock
from shared.platform.devclock import router as dev_clock_router
from shared.platform.erasure import ErasureFollower
from shared.platform.eventlog import EventLog
from shared.platform.personal import unsealing
from shared.platform.runtime import ServiceRuntime, Subscription
from shared.platform.service import open_store, relay_for, service_app
from shared.platform.settings import Settings

NAME = "evaluations"


def build(settings: Settings, event_log: EventLog) -> ServiceRuntime:
    store = open_store(NAME, settings)
    projections.create_schema(store.database)
    relay = relay_for(NAME, store, event_log)
    clock: Clock = AdjustableClock() if settings.dev_login_enabled else SystemClock()
    folders = [SHIPPED_FORMS, *settings.forms_folders]
    commands = EvaluationCommands(
        store,
        load_catalogue(*folders),
        clock,
        settings.report_opens_months_before_end,
        settings.report_closes_months_after_end,
        on_append=relay.notify,
    )

    app = service_app(NAME, settings)
    app.state.store = store
    app.state.clock = clock
    app.state.commands = commands
    app.include_router(router)
    app.include_router(dev_clock_router)
    app.include_router(people.export_router)
    subscription = Subscription(
        group=f"campus.{NAME}",
        topics=[TOPICS["mission"], TOPICS["document"]],
        handler=unsealing(store.sealer, make_handler(commands, relay.notify)),
    )
    erasures = ErasureFollower(NAME)
    runtime = ServiceRuntime(
        name=NAME,
        app=app,
        store=store,
        relay=relay,
        event_log=event_log,
        projections=[projections.PROJECTION],
        subscriptions=[subscription, erasures.subscription()],
    )
    erasures.runtime = runtime
    return runtime
