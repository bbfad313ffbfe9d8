"""Wiring shared by every service: its app, store, relay and seed data."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from shared.platform.db import PostgresDatabase, open_database
from shared.platform.errors import install_error_handlers
from shared.platform.eventlog import EventLog
from shared.platform.eventstore import EventStore
from shared.platform.observability import ReadinessProbe, install_observability
from shared.platform.personal import KeyStore, Sealer
from shared.platform.runtime import OutboxRelay
from shared.platform.settings import Settings


@lru_cache(maxsize=4)
def load_seed(path: Path) -> dict[str, Any]:
    seed: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return seed


@lru_cache(maxsize=4)
def _key_store(data_dir: Path, database_url: str | None) -> KeyStore:
    return KeyStore(open_database("keys", data_dir=data_dir, database_url=database_url))


def open_key_store(settings: Settings) -> KeyStore:
    """Open the key store that every service of this deployment shares."""
    return _key_store(settings.data_dir, settings.database_url)


def open_store(name: str, settings: Settings) -> EventStore:
    """Open a service's event store, sealing personal data with the shared keys."""
    database = open_database(
        name, data_dir=settings.data_dir, database_url=settings.database_url
    )
    return EventStore(database, sealer=Sealer(open_key_store(settings)))


def service_app(name: str, settings: Settings) -> FastAPI:
    app = FastAPI(title=f"Campus {name}", openapi_url="/api/v1/openapi.json")
    app.state.settings = settings
    install_error_handlers(app)
    install_observability(app, name)
    probe = ReadinessProbe(name)

    @app.get("/health/live", include_in_schema=False)
    def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        """Check the database and the event log, and name the ones down in a 503."""
        event_log: EventLog | None = getattr(app.state, "event_log", None)
        checks = await probe.check(app.state.store, event_log)
        if all(outcome == "ok" for outcome in checks.values()):
            return JSONResponse({"status": "ok", "checks": checks})
        down = sorted(name for name, outcome in checks.items() if outcome != "ok")
        return JSONResponse(
            {"status": "unavailable", "down": down, "checks": checks}, status_code=503
        )

    return app


def relay_for(name: str, store: EventStore, event_log: EventLog) -> OutboxRelay:
    """Build a service's relay, on a PostgreSQL connection of its own.

    SQLite has one connection per file, which the relay shares.
    """
    database = store.database
    if isinstance(database, PostgresDatabase):
        # One connection: the relay runs one transaction at a time.
        database = PostgresDatabase(database.url, max_connections=1)
    return OutboxRelay(store, event_log, name, database)
