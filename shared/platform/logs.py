"""structlog set-up, done once when a process starts."""

from __future__ import annotations

import logging
import threading
import time

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
    handler.addFilter(RepeatFilter())
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


class RepeatFilter(logging.Filter):
    """Let one line a template through per `interval` seconds from chatty libraries.

    While Kafka is down, aiokafka logs each failed reconnection, metadata
    update and fetch, thousands of lines a minute per process. The first line
    of each message template goes through. Repeats within `interval` are
    counted, and the next line let through says how many were not shown.
    """

    def __init__(self, prefixes: tuple[str, ...] = ("aiokafka",), interval: float = 10):
        super().__init__()
        self._prefixes = prefixes
        self._interval = interval
        self._lock = threading.Lock()
        # Per (logger, template): when a line last went through, and repeats since.
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self._prefixes):
            return True
        key = (record.name, str(record.msg))
        now = time.monotonic()
        with self._lock:
            last, suppressed = self._seen.get(key, (-self._interval, 0))
            if now - last < self._interval:
                self._seen[key] = (last, suppressed + 1)
                return False
            self._seen[key] = (now, 0)
        if suppressed:
            record.msg = (
                f"{record.getMessage()} ({suppressed} similar lines in the last "
                f"{self._interval:g} s not shown)"
            )
            record.args = ()
        return True
