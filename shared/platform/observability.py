"""Prometheus metrics, request ids and readiness checks of the gateway and services.

All metrics live in one `CollectorRegistry` per process (not prometheus_client's
default registry), and every figure of a service carries a `service` label. In
the embedded mode the gateway and the four services share a process, so any
app's `/metrics` returns all of them side by side. In the distributed mode
each process returns its own service's figures.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
import weakref
from collections.abc import Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.events.base import EventEnvelope
from shared.platform.eventlog import EventLog
from shared.platform.eventstore import EventStore

log = structlog.get_logger()

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming request id is kept only when it is short and made of characters
# that are safe to log and to send on. Any other value is replaced.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")
READY_TIMEOUT_SECONDS = 3.0

# The `_created` series that prometheus_client adds to each counter and
# histogram double the output, and Prometheus does not need them.
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

HTTP_REQUESTS = Counter(
    "campus_http_requests",
    "HTTP requests handled, by service, method, route template and status.",
    ["service", "method", "route", "status"],
    registry=REGISTRY,
)
HTTP_REQUEST_DURATION = Histogram(
    "campus_http_request_duration_seconds",
    "Time from receiving an HTTP request to sending the end of its response.",
    ["service", "method", "route", "status"],
    registry=REGISTRY,
)
EMAILS_SENT = Counter(
    "campus_emails_sent",
    "Emails accepted by the mail server (or stored in the embedded mailbox).",
    ["kind"],
    registry=REGISTRY,
)
EMAILS_FAILED = Counter(
    "campus_emails_failed",
    "Failed email delivery attempts; outcome is retrying or gave_up.",
    ["outcome"],
    registry=REGISTRY,
)


def current_request_id() -> str | None:
    """Return the id bound to the request being handled, if any."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    return request_id if isinstance(request_id, str) else None


def request_id_headers() -> dict[str, str]:
    """Return the header that passes the current request id on to another service."""
    request_id = current_request_id()
    return {REQUEST_ID_HEADER: request_id} if request_id else {}


def _incoming_request_id(scope: Scope) -> str | None:
    wanted = REQUEST_ID_HEADER.lower().encode("latin-1")
    for name, value in scope["headers"]:
        if name.lower() == wanted:
            text = value.decode("latin-1")
            return text if _VALID_REQUEST_ID.fullmatch(text) else None
    return None


def _route_template(scope: Scope) -> str:
    # Starlette stores the matched route in the scope. The template, unlike
    # the raw path, keeps the label's cardinality bounded.
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class RequestObservability:
    """ASGI middleware that gives each request an id and records its metrics.

    The id comes from the `X-Request-ID` header, or a new one is made. It is
    bound to structlog's context variables while the request runs, so every
    log line about the request carries `request_id`, and it is returned in
    the response's `X-Request-ID` header.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        # A request that fails before its response starts is counted as a 500,
        # the status that Starlette's error middleware then sends.
        status = 500

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        started = time.perf_counter()
        try:
            with structlog.contextvars.bound_contextvars(request_id=request_id):
                await self.app(scope, receive, send_with_request_id)
        finally:
            route = _route_template(scope)
            elapsed = time.perf_counter() - started
            labels = (self.service, scope["method"], route, status)
            HTTP_REQUESTS.labels(*labels).inc()
            HTTP_REQUEST_DURATION.labels(*labels).observe(elapsed)
            if not route.startswith(("/health", "/metrics")):
                log.info(
                    "http.request",
                    service=self.service,
                    request_id=request_id,
                    method=scope["method"],
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 1),
                )


def install_observability(app: FastAPI, service: str) -> None:
    """Add the request-id and metrics middleware and the `/metrics` route to an app.

    Call it after the app's other middleware, so that it wraps them and also
    counts the responses that they send themselves.
    """
    app.add_middleware(RequestObservability, service=service)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def event_context(envelope: EventEnvelope) -> dict[str, str]:
    """Return the ids to bind to log lines about an event, leaving out missing ones."""
    mission_id = (
        envelope.aggregate_id
        if envelope.aggregate_type == "mission"
        else envelope.data.get("mission_id")
    )
    context = {
        "event_id": envelope.event_id,
        "mission_id": mission_id,
        "correlation_id": envelope.correlation_id,
    }
    return {key: value for key, value in context.items() if isinstance(value, str)}


@dataclass(frozen=True)
class ServiceFigures:
    """The sources of one service's metrics: store, event log, cursor, consumers."""

    service: str
    store: EventStore
    event_log: EventLog
    relay_cursor: str
    consumer_groups: Sequence[tuple[str, Sequence[str]]] = field(default=())


class _ServiceFiguresCollector(Collector):
    """Read each watched service's figures from its store and log at scrape time."""

    def __init__(self) -> None:
        # Weak values, so that a service's figures go when its app does.
        self._services: weakref.WeakValueDictionary[str, ServiceFigures] = (
            weakref.WeakValueDictionary()
        )

    def watch(self, figures: ServiceFigures) -> None:
        # One entry per service name: a service built again (as tests do)
        # replaces the earlier one, so no two series carry the same labels.
        self._services[figures.service] = figures

    @staticmethod
    def _families() -> tuple[CounterMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
        appended = CounterMetricFamily(
            "campus_events_appended",
            "Events in the service's event store, by aggregate type.",
            labels=["service", "aggregate_type"],
        )
        backlog = GaugeMetricFamily(
            "campus_outbox_backlog",
            "Events committed to the store but not yet published to the event log.",
            labels=["service"],
        )
        lag = GaugeMetricFamily(
            "campus_consumer_lag",
            "Records of a topic that a consumer group has not handled yet.",
            labels=["service", "group", "topic"],
        )
        return appended, backlog, lag

    def describe(self) -> Iterable[Metric]:
        return self._families()

    def collect(self) -> Iterator[Metric]:
        appended, backlog, lag = self._families()
        for figures in list(self._services.values()):
            try:
                self._collect_service(figures, appended, backlog, lag)
            except Exception as error:
                # A scrape must not fail because one service's database is
                # down: readiness reports that, and the other figures remain.
                log.warning(
                    "metrics.collect_failed", service=figures.service, error=str(error)
                )
        yield appended
        yield backlog
        yield lag

    @staticmethod
    def _collect_service(
        figures: ServiceFigures,
        appended: CounterMetricFamily,
        backlog: GaugeMetricFamily,
        lag: GaugeMetricFamily,
    ) -> None:
        # The cursor is read first: the relay may publish meanwhile, and the
        # backlog is then overstated for one scrape rather than negative.
        cursor = figures.store.cursor(figures.relay_cursor)
        # NOTE: counting by aggregate type scans the events table on each
        # scrape. The events table is append-only, so the count is the number
        # of events ever appended.
        with figures.store.database.transaction() as tx:
            counts = tx.fetchall(
                "SELECT aggregate_type, COUNT(*) AS events FROM events "
                "GROUP BY aggregate_type"
            )
            row = tx.fetchone(
                "SELECT COALESCE(MAX(position), 0) AS position FROM events"
            )
        for count in counts:
            appended.add_metric(
                [figures.service, str(count["aggregate_type"])], float(count["events"])
            )
        last_position = int(row["position"]) if row else 0
        backlog.add_metric([figures.service], float(max(0, last_position - cursor)))
        for group, topics in figures.consumer_groups:
            for topic, records in figures.event_log.consumer_lag(group, topics).items():
                lag.add_metric([figures.service, group, topic], float(records))


_service_figures = _ServiceFiguresCollector()
REGISTRY.register(_service_figures)


def watch_service(figures: ServiceFigures) -> None:
    """Report a service's events, outbox backlog and consumer lag on `/metrics`.

    Only a weak reference is kept: the caller keeps `figures` alive for as
    long as the service runs.
    """
    _service_figures.watch(figures)


def _select_one(store: EventStore) -> None:
    with store.database.transaction() as tx:
        tx.fetchone("SELECT 1 AS ok")


class ReadinessProbe:
    """Checks of a service's database and event log, for `/health/ready`.

    Each check has `READY_TIMEOUT_SECONDS`, because a PostgreSQL pool waits
    30 seconds for a connection by default. A change between ready and not
    ready is logged once, not on every probe.
    """

    def __init__(self, service: str) -> None:
        self._service = service
        self._was_ready = True

    async def check(
        self, store: EventStore, event_log: EventLog | None
    ) -> dict[str, str]:
        """Return "ok" or "down" for "database" and, when given, "event_log"."""
        checks: dict[str, Coroutine[Any, Any, None]] = {
            "database": asyncio.to_thread(_select_one, store),
        }
        if event_log is not None:
            checks["event_log"] = self._event_log_ready(event_log)
        outcomes = await asyncio.gather(
            *(
                asyncio.wait_for(check, READY_TIMEOUT_SECONDS)
                for check in checks.values()
            ),
            return_exceptions=True,
        )
        errors = {
            name: outcome
            for name, outcome in zip(checks, outcomes, strict=True)
            if isinstance(outcome, BaseException)
        }
        self._log_change(errors)
        return {name: "down" if name in errors else "ok" for name in checks}

    @staticmethod
    async def _event_log_ready(event_log: EventLog) -> None:
        if not await event_log.ready():
            raise ConnectionError("the event log did not respond to a metadata request")

    def _log_change(self, errors: dict[str, BaseException]) -> None:
        ready = not errors
        if ready == self._was_ready:
            return
        self._was_ready = ready
        if ready:
            log.info("service.ready_again", service=self._service)
            return
        log.warning(
            "service.not_ready",
            service=self._service,
            errors={name: repr(error) for name, error in errors.items()},
        )
