"""Wiring of the gateway: session, pages, the public API and its OpenAPI document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from services.gateway import api, devclock, evaluations, files, people
from services.gateway.clients import ServiceClients
from services.gateway.guards import install_guards
from services.gateway.limits import BodySizeLimit, upload_body_max_bytes
from services.gateway.openapi import fetch_service_documents, merged_openapi
from services.gateway.session import dev_router
from services.gateway.sessions import SessionStore
from services.gateway.web import (
    admin,
    common,
    company,
    mission,
    oidc,
    staff,
    student,
)
from services.gateway.web import evaluations as evaluation_pages
from services.gateway.web.errors import install_page_errors
from shared.platform.db import open_database
from shared.platform.errors import install_error_handlers
from shared.platform.observability import install_observability
from shared.platform.service import load_seed
from shared.platform.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"


def build(settings: Settings, clients: ServiceClients) -> FastAPI:
    app = FastAPI(title="Campus", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.clients = clients
    app.state.seed = load_seed(settings.seed_file)
    app.state.service_documents = None
    app.state.sessions = SessionStore(
        open_database(
            "gateway", data_dir=settings.data_dir, database_url=settings.database_url
        )
    )
    install_error_handlers(app)
    install_page_errors(app)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="campus_session",
        same_site="lax",
        # Browsers and HTTP clients return a Secure cookie only over HTTPS.
        https_only=settings.public_url.startswith("https://"),
        max_age=12 * 3600,
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        upload_max_bytes=max(
            settings.max_body_bytes, upload_body_max_bytes(settings.upload_max_bytes)
        ),
    )
    install_guards(app, settings)
    # Added last so that it wraps the middleware above. `ServiceClients.request`
    # forwards the request id that it binds to the services.
    install_observability(app, "gateway")
    app.include_router(dev_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    page_modules = (
        common,
        oidc,
        student,
        mission,
        evaluation_pages,
        company,
        staff,
        admin,
    )
    for pages in page_modules:
        app.include_router(pages.router)

    @app.get("/api/v1/openapi.json", include_in_schema=False)
    async def openapi_document() -> dict[str, Any]:
        if app.state.service_documents is None:
            app.state.service_documents = await fetch_service_documents(clients)
        return merged_openapi(app, app.state.service_documents)

    @app.get("/health/live", include_in_schema=False)
    def live() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(files.router)
    app.include_router(evaluations.router)
    app.include_router(devclock.router)
    app.include_router(people.router)
    # Last, because its proxy route matches every other path under /api/v1.
    app.include_router(api.router)
    return app
