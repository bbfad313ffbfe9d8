"""PDF rendering in a worker process, outside the service's interpreter lock.

xhtml2pdf and ReportLab are mostly pure Python, so a conversion in a thread
(about 80 ms of CPU for an agreement, see bench/pdf.py) takes the interpreter
lock from every request the process serves meanwhile. In the embedded mode
that is every service. One worker process renders instead, started on the
first PDF, so requests go on while it works, on another core if there is one.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import structlog

log = structlog.get_logger()

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # "spawn" starts a fresh interpreter: forking this process would
            # copy its threads' locks and open database connections.
            _pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            )
        return _pool


def _discard(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


async def render(render_pdf: Callable[..., bytes], *args: Any) -> bytes:
    """Run `render_pdf(*args)` in the worker process and return the PDF.

    The function and its arguments must be picklable: a module-level function
    with plain values. A worker that died is replaced on the next call.
    """
    pool = _executor()
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, render_pdf, *args)
    except BrokenProcessPool:
        log.warning("documents.render_worker_died", function=render_pdf.__name__)
        _discard(pool)
        raise


def shutdown() -> None:
    """Stop the worker process, if one was started."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


async def stop_on_cancel() -> None:
    """Wait until cancelled, then stop the worker: a background task's body."""
    try:
        await asyncio.Event().wait()
    finally:
        await asyncio.to_thread(shutdown)
