"""structlog set-up, done once when a process starts."""

from __future__ import annotations

import logging

import structlog

from shared.platform.settings import Settings


def configure_logging(settings: Settings) -> None:
    """Log one line per call: readable in development, JSON in every other environment.

    The `event` key contains the line's name (such as "email.sent") and the
    other keys its values. Records of standard-library loggers (uvicorn, aiokafka)
    go through the same processors, so they carry the bound request and event
    ids and are JSON too.
    """
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer(colors=False)
        if settings.environment == "development"
        else structlog.processors.JSONRenderer()
    )
    shared_processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso"),
    ]
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared_processors],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    # httpx logs every request at INFO, including the gateway's calls to services.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            *shared_processors,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    )
