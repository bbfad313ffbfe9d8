"""Wiring of the missions service."""

from __future__ import annotations

from services.missions import people, projections
from services.missions.api import router
from services.missions.application import MissionCommands
from services.missions.figures import FigureCalculator
from services.missions.program_admin import ProgramCommands
from services.missions.programs import Program
from services.missions.queries import MissionQueries
from shared.platform.clock import AdjustableClock, Clock, SystemClock
from shared.platform.devclock import router as dev_clock_router
from shared.platform.eventlog import EventLog
from shared.platform.retention import RetentionJob
from shared.platform.runtime import ServiceRuntime
from shared.platform.service import load_seed, open_store, relay_for, service_app
from shared.platform.settings import Settings

NAME = "missions"


def build(settings: Settings, event_log: EventLog) -> ServiceRuntime:
    seed = load_seed(settings.seed_file)
    store = open_store(NAME, settings)
    projections.create_schema(store.database)
    relay = relay_for(NAME, store, event_log)
    programs = {p["id"]: Program.model_validate(p) for p in seed["programs"]}

    app = service_app(NAME, settings)
    app.state.store = store
    app.state.school = seed["school"]
    figures = FigureCalculator(
        store.database, programs, settings.allowance_hourly_rates
    )
    app.state.figures = figures
    clock: Clock = AdjustableClock() if settings.dev_login_enabled else SystemClock()
    app.state.clock = clock
    app.state.commands = MissionCommands(
        store, programs, figures, on_append=relay.notify, clock=clock.now
    )
    program_commands = ProgramCommands(
        store, programs, on_append=relay.notify, clock=clock.now
    )
    program_commands.refresh()
    app.state.program_commands = program_commands
    app.include_router(dev_clock_router)
    app.state.queries = MissionQueries(store.database)
    app.include_router(router)
    app.include_router(people.router)
    app.include_router(people.export_router)
    retention = RetentionJob(
        NAME,
        people.expire_missions(app.state.commands, settings.retention_days["missions"]),
        clock,
        settings.retention_check_seconds,
    )
    app.state.on_clock_moved = retention.run_now
    return ServiceRuntime(
        name=NAME,
        app=app,
        store=store,
        relay=relay,
        event_log=event_log,
        projections=[projections.PROJECTION],
        extra_tasks=[retention.run],
    )
