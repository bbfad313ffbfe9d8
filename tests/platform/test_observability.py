"""Metrics, request ids, event log context and readiness of a service app."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from services.gateway.clients import ServiceClients
from services.notifications import outbox
from services.notifications.compose import ComposedEmail
from services.notifications.rules import OutgoingEmail
from services.notifications.sender import Sender
from shared.events.base import EventEnvelope, wrap
from shared.events.catalogue import TOPICS
from shared.events.missions import MissionCancelled
from shared.platform.eventlog import EmbeddedLog
from shared.platform.observability import REQUEST_ID_HEADER, request_id_headers
from shared.platform.runtime import ServiceRuntime, Subscription
from shared.platform.service import open_store, relay_for, service_app
from shared.platform.settings import Settings


def _build(
    tmp_path: Path, subscriptions: list[Subscription] | None = None
) -> ServiceRuntime:
    """Build a service runtime with a name of its own, on an embedded log."""
    name = f"observed-{secrets.token_hex(4)}"
    settings = Settings(data_dir=tmp_path)
    store = open_store(name, settings)
    event_log = EmbeddedLog(tmp_path / "eventlog.db", poll_seconds=0.05)
    app = service_app(name, settings)
    app.state.store = store
    return ServiceRuntime(
        name=name,
        app=app,
        store=store,
        relay=relay_for(name, store, event_log),
        event_log=event_log,
        subscriptions=subscriptions or [],
    )


@pytest.fixture
async def runtime(tmp_path: Path) -> ServiceRuntime:
    return _build(tmp_path)


@pytest.fixture
async def client(runtime: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def _cancelled(mission_id: str, version: int) -> EventEnvelope:
    return wrap(
        MissionCancelled(reason="x", by_role="student", previous_status="draft"),
        aggregate_id=mission_id,
        aggregate_version=version,
        actor=None,
        occurred_at=dt.datetime(2027, 1, 5, 9, 30, tzinfo=dt.UTC),
        correlation_id="c-1",
    )


async def _sample(
    client: httpx.AsyncClient, name: str, labels: dict[str, str]
) -> float | None:
    """Scrape /metrics and return the value of one sample, or None when absent."""
    response = await client.get("/metrics")
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None


async def test_metrics_count_requests(
    runtime: ServiceRuntime, client: httpx.AsyncClient
) -> None:
    labels = {
        "service": runtime.name,
        "method": "GET",
        "route": "/health/live",
        "status": "200",
    }
    before = await _sample(client, "campus_http_requests_total", labels) or 0.0

    await client.get("/health/live")

    after = await _sample(client, "campus_http_requests_total", labels)
    assert after == before + 1


async def test_metrics_record_latency_by_route_template(
    runtime: ServiceRuntime, client: httpx.AsyncClient
) -> None:
    await client.get("/health/live")

    count = await _sample(
        client,
        "campus_http_request_duration_seconds_count",
        {
            "service": runtime.name,
            "method": "GET",
            "route": "/health/live",
            "status": "200",
        },
    )

    assert count is not None
    assert count >= 1


async def test_unknown_path_counts_as_unmatched(
    runtime: ServiceRuntime, client: httpx.AsyncClient
) -> None:
    await client.get("/no/such/path")

    count = await _sample(
        client,
        "campus_http_requests_total",
        {
            "service": runtime.name,
            "method": "GET",
            "route": "unmatched",
            "status": "404",
        },
    )

    assert count == 1


async def test_metrics_route_is_not_in_openapi(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/v1/openapi.json")).json()

    assert "/metrics" not in document["paths"]


async def test_metrics_content_type_is_prometheus_text(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")


async def test_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={REQUEST_ID_HEADER: "abc-123"})

    assert response.headers[REQUEST_ID_HEADER] == "abc-123"


async def test_request_id_is_generated_when_missing(
    client: httpx.AsyncClient,
) -> None:
    first = await client.get("/health/live")
    second = await client.get("/health/live")

    assert first.headers[REQUEST_ID_HEADER]
    assert first.headers[REQUEST_ID_HEADER] != second.headers[REQUEST_ID_HEADER]


async def test_unsafe_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/health/live", headers={REQUEST_ID_HEADER: "bad id\twith spaces"}
    )

    assert response.headers[REQUEST_ID_HEADER] != "bad id\twith spaces"


async def test_request_id_is_bound_while_handling(runtime: ServiceRuntime) -> None:
    seen: list[dict[str, Any]] = []
    app: FastAPI = runtime.app

    @app.get("/context")
    def context() -> dict[str, str]:
        seen.append(structlog.contextvars.get_contextvars())
        return {}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        await c.get("/context", headers={REQUEST_ID_HEADER: "r-42"})

    assert seen[0]["request_id"] == "r-42"
    assert "request_id" not in structlog.contextvars.get_contextvars()


def test_request_id_headers_follow_bound_id() -> None:
    with structlog.contextvars.bound_contextvars(request_id="r-7"):
        headers = request_id_headers()

    assert headers == {REQUEST_ID_HEADER: "r-7"}
    assert request_id_headers() == {}


async def test_service_clients_forward_request_id(runtime: ServiceRuntime) -> None:
    clients = ServiceClients.in_process({"observed": runtime.app}, "secret")
    try:
        with structlog.contextvars.bound_contextvars(request_id="r-gateway"):
            response = await clients.request("observed", "GET", "/health/live", None)
    finally:
        await clients.close()

    assert response.headers[REQUEST_ID_HEADER] == "r-gateway"


async def test_ready_when_database_works(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "event_log": "ok"}


async def test_not_ready_when_database_closed(
    runtime: ServiceRuntime, client: httpx.AsyncClient
) -> None:
    runtime.store.database.close()

    response = await client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["down"] == ["database"]
    assert response.json()["checks"]["event_log"] == "ok"


async def test_outbox_backlog_counts_unpublished_events(
    runtime: ServiceRuntime, client: httpx.AsyncClient
) -> None:
    runtime.store.append("m-1", 0, [_cancelled("m-1", 1), _cancelled("m-1", 2)])
    labels = {"service": runtime.name}

    pending = await _sample(client, "campus_outbox_backlog", labels)
    await runtime.relay.publish_pending()
    published = await _sample(client, "campus_outbox_backlog", labels)

    assert pending == 2
    assert published == 0


async def test_events_appended_by_aggregate_type(
    runtime: ServiceRuntime, client: httpx.AsyncClient
) -> None:
    runtime.store.append("m-1", 0, [_cancelled("m-1", 1), _cancelled("m-1", 2)])
    runtime.store.append("m-2", 0, [_cancelled("m-2", 1)])

    appended = await _sample(
        client,
        "campus_events_appended_total",
        {"service": runtime.name, "aggregate_type": "mission"},
    )

    assert appended == 3


async def test_consumer_lag_counts_unhandled_records(tmp_path: Path) -> None:
    async def ignore(envelope: EventEnvelope) -> None:
        return None

    topic = TOPICS["mission"]
    subscription = Subscription(group="observer", topics=[topic], handler=ignore)
    runtime = _build(tmp_path, [subscription])
    await runtime.event_log.publish(topic, _cancelled("m-1", 1))
    await runtime.event_log.publish(topic, _cancelled("m-1", 2))
    transport = httpx.ASGITransport(app=runtime.app)

    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        lag = await _sample(
            c,
            "campus_consumer_lag",
            {"service": runtime.name, "group": "observer", "topic": topic},
        )

    assert lag == 2


async def test_handler_logs_carry_event_ids(tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []
    handled = asyncio.Event()

    async def remember(envelope: EventEnvelope) -> None:
        seen.append(structlog.contextvars.get_contextvars())
        handled.set()

    topic = TOPICS["mission"]
    subscription = Subscription(group="observer", topics=[topic], handler=remember)
    runtime = _build(tmp_path, [subscription])
    envelope = _cancelled("m-9", 1)
    await runtime.event_log.publish(topic, envelope)

    await runtime.start_background()
    try:
        await asyncio.wait_for(handled.wait(), 5)
    finally:
        await runtime.stop_background()

    assert seen[0]["event_id"] == envelope.event_id
    assert seen[0]["mission_id"] == "m-9"
    assert seen[0]["correlation_id"] == "c-1"


class _FailingMailer:
    async def deliver(self, email: dict[str, Any]) -> None:
        raise OSError("connection refused")


class _AcceptingMailer:
    async def deliver(self, email: dict[str, Any]) -> None:
        return None


def _queue_email(runtime: ServiceRuntime, kind: str) -> None:
    outbox.create_schema(runtime.store.database)
    with runtime.store.database.transaction() as tx:
        outbox.queue(
            tx,
            secrets.token_hex(4),
            "m-1",
            OutgoingEmail(kind=kind, to="francois@sge-eaux.fr", language="fr"),
            ComposedEmail(subject="Sujet", text="Texte", html="<p>Texte</p>"),
        )


async def test_sent_emails_are_counted(
    runtime: ServiceRuntime, client: httpx.AsyncClient
) -> None:
    kind = f"kind-{secrets.token_hex(4)}"
    _queue_email(runtime, kind)

    await Sender(runtime.store.database, _AcceptingMailer()).send_due()

    sent = await _sample(client, "campus_emails_sent_total", {"kind": kind})
    assert sent == 1


async def test_failed_emails_are_counted(
    runtime: ServiceRuntime, client: httpx.AsyncClient
) -> None:
    labels = {"outcome": "retrying"}
    before = await _sample(client, "campus_emails_failed_total", labels) or 0.0
    _queue_email(runtime, "reminder")

    await Sender(runtime.store.database, _FailingMailer()).send_due()

    after = await _sample(client, "campus_emails_failed_total", labels)
    assert after == before + 1


async def test_stop_background_flushes_outbox(runtime: ServiceRuntime) -> None:
    runtime.store.append("m-1", 0, [_cancelled("m-1", 1), _cancelled("m-1", 2)])

    await runtime.stop_background()

    published = await runtime.event_log.read_all(TOPICS["mission"])
    assert [e.aggregate_version for e in published] == [1, 2]
