"""Start Campus: all in one process (embedded), or one service per process.

python -m services.runner embedded [--port 8000] [--demo]
python -m services.runner service missions --port 8101
python -m services.runner gateway --port 8000
python -m services.runner rebuild all|NAME    drop and rebuild read models
python -m services.runner replay all|NAME     feed logged events to handlers again
python -m services.runner snapshot all|NAME   print read models as JSON
python -m services.runner seal all|NAME       seal personal data of older events
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from services.demo import seed_demo_missions
from services.documents import app as documents_app
from services.evaluations import app as evaluations_app
from services.gateway import app as gateway_app
from services.gateway.clients import ServiceClients
from services.missions import app as missions_app
from services.notifications import app as notifications_app
from shared.platform.eventlog import EmbeddedLog, EventLog
from shared.platform.logs import configure_logging
from shared.platform.runtime import ServiceRuntime
from shared.platform.service import open_store
from shared.platform.settings import Settings

BUILDERS: dict[str, Callable[[Settings, EventLog], ServiceRuntime]] = {
    "missions": missions_app.build,
    "documents": documents_app.build,
    "notifications": notifications_app.build,
    "evaluations": evaluations_app.build,
}


def event_log_for(settings: Settings, client_id: str) -> EventLog:
    if settings.kafka_bootstrap:
        from shared.platform.kafkalog import KafkaLog

        return KafkaLog(settings.kafka_bootstrap, client_id, settings.kafka_namespace)
    return EmbeddedLog(settings.data_dir / "eventlog.db")


def build_embedded(
    settings: Settings, demo: bool = False
) -> tuple[FastAPI, list[ServiceRuntime], EventLog]:
    """Build the four services and the gateway on one event log, in one process."""
    event_log = event_log_for(settings, "campus")
    runtimes = [build(settings, event_log) for build in BUILDERS.values()]
    if demo:
        seed_demo_missions(runtimes[0].app.state.commands)
    clients = ServiceClients.in_process(
        {runtime.name: runtime.app for runtime in runtimes}, settings.secret_key
    )
    app = gateway_app.build(settings, clients)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await event_log.start()
        for runtime in runtimes:
            await runtime.start_background()
        yield
        for runtime in runtimes:
            await runtime.stop_background()
        await clients.close()
        await event_log.stop()

    app.router.lifespan_context = lifespan
    return app, runtimes, event_log


def build_service(settings: Settings, name: str) -> FastAPI:
    event_log = event_log_for(settings, f"campus-{name}")
    runtime = BUILDERS[name](settings, event_log)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await event_log.start()
        await runtime.start_background()
        yield
        await runtime.stop_background()
        await event_log.stop()

    runtime.app.router.lifespan_context = lifespan
    return runtime.app


def build_gateway(settings: Settings) -> FastAPI:
    clients = ServiceClients.over_http(settings.service_urls, settings.secret_key)
    app = gateway_app.build(settings, clients)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await clients.close()

    app.router.lifespan_context = lifespan
    return app


async def rebuild(settings: Settings, names: list[str]) -> dict[str, int]:
    """Drop the named services' read models and rebuild them from their events."""
    counts: dict[str, int] = {}
    for name in names:
        event_log = event_log_for(settings, f"campus-rebuild-{name}")
        await event_log.start()
        try:
            counts.update(
                await BUILDERS[name](settings, event_log).rebuild_projections()
            )
        finally:
            await event_log.stop()
    return counts


async def replay(settings: Settings, names: list[str]) -> dict[str, int]:
    """Feed every logged event again to the named services' handlers.

    The handlers record the events they processed, so a replay must change
    nothing: it is how an operator checks that, and how a lost read model
    that depends on side effects would be caught up.
    """
    counts: dict[str, int] = {}
    for name in names:
        event_log = event_log_for(settings, f"campus-replay-{name}")
        await event_log.start()
        try:
            runtime = BUILDERS[name](settings, event_log)
            counts[name] = 0
            for subscription in runtime.subscriptions:
                for topic in subscription.topics:
                    for envelope in await event_log.read_all(topic):
                        await subscription.handler(envelope)
                        counts[name] += 1
        finally:
            await event_log.stop()
    return counts


def seal(settings: Settings, names: list[str]) -> dict[str, int]:
    """Seal the plain personal values of events stored before sealing existed.

    Missions goes first, so that the people of each mission are known when
    the other services' events about it are sealed.
    """
    order = sorted(names, key=lambda name: (name != "missions", name))
    return {name: open_store(name, settings).seal_stored() for name in order}


def snapshot(settings: Settings, names: list[str]) -> dict[str, object]:
    """Return every read-model row of the named services, to compare two states."""
    rows: dict[str, object] = {}
    for name in names:
        runtime = BUILDERS[name](
            settings, EmbeddedLog(settings.data_dir / "eventlog.db")
        )
        rows.update(runtime.snapshot_projections())
    return rows


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.runner")
    parser.add_argument(
        "command",
        choices=[
            "embedded",
            "service",
            "gateway",
            "rebuild",
            "replay",
            "snapshot",
            "seal",
        ],
    )
    parser.add_argument("name", nargs="?", choices=[*sorted(BUILDERS), "all"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--demo", action="store_true", help="add demo mission sheets to an empty store"
    )
    return parser


def _run_maintenance(command: str, settings: Settings, names: list[str]) -> None:
    """Run rebuild, replay, snapshot or seal and print its result as JSON."""
    if command == "seal":
        print(json.dumps(seal(settings, names)))
    elif command == "rebuild":
        print(json.dumps(asyncio.run(rebuild(settings, names))))
    elif command == "replay":
        print(json.dumps(asyncio.run(replay(settings, names))))
    else:
        print(json.dumps(snapshot(settings, names), default=str, sort_keys=True))


def _settings_or_exit(parser: argparse.ArgumentParser) -> Settings:
    """Read the settings, or exit naming each invalid one without its value.

    Pydantic's own message repeats every input, the secret key included.
    """
    try:
        return Settings()
    except ValidationError as error:
        lines = [
            f"- {'.'.join(map(str, item['loc'])) or 'settings'}: {item['msg']}"
            for item in error.errors()
        ]
        parser.exit(
            2, "Campus cannot start, invalid settings:\n" + "\n".join(lines) + "\n"
        )


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = _settings_or_exit(parser)
    if "public_url" not in settings.model_fields_set:
        settings = settings.model_copy(
            update={"public_url": f"http://{args.host}:{args.port}"}
        )
    configure_logging(settings)

    if args.command in ("rebuild", "replay", "snapshot", "seal"):
        names = sorted(BUILDERS) if args.name in (None, "all") else [args.name]
        _run_maintenance(args.command, settings, names)
        return
    app: Any
    if args.command == "embedded":
        app, _, _ = build_embedded(settings, demo=args.demo)
        print(f"Campus is running: open http://{args.host}:{args.port}/", flush=True)
    elif args.command == "service":
        if args.name is None:
            parser.error("name the service to run")
        app = build_service(settings, args.name)
    else:
        app = build_gateway(settings)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
