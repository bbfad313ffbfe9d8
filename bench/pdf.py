"""Agreement PDF rendering with xhtml2pdf, beside WeasyPrint on the same HTML."""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Callable

from bench.common import Figure, Result, Size, Table, sampled
from services.documents import rendering
from tests.documents.test_agreement_layout import LOGO
from tests.documents.test_rendering import FIGURES, make_mission

TARGET_MS = 300.0


def render_times(render: Callable[[], bytes], count: int) -> tuple[list[float], int]:
    """Render once to warm up, then `count` times; return milliseconds and bytes."""
    size = len(render())
    times = []
    for _ in range(count):
        started = time.perf_counter()
        render()
        times.append((time.perf_counter() - started) * 1000)
    return times, size


def run(size: Size, result: Result) -> None:
    import weasyprint

    # WeasyPrint logs each CSS property it ignores; xhtml2pdf's own ones differ.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    mission = make_mission(**FIGURES)
    html = rendering.agreement_html(mission, logo=LOGO)
    base_url = rendering.FONTS_DIR.parent.as_uri() + "/"

    def campus() -> bytes:
        return rendering.render_agreement(mission, logo=LOGO)

    def ceiling() -> bytes:
        pdf: bytes = weasyprint.HTML(string=html, base_url=base_url).write_pdf()
        return pdf

    campus_ms, campus_bytes = render_times(campus, size.pdf_renders)
    ceiling_ms, ceiling_bytes = render_times(ceiling, size.pdf_renders)
    campus_median = statistics.median(campus_ms)
    ceiling_median = statistics.median(ceiling_ms)
    print(
        f"  xhtml2pdf {campus_median:.0f} ms, WeasyPrint {ceiling_median:.0f} ms",
        flush=True,
    )
    result.facts.append(
        f"{size.pdf_renders} renders each after one warm-up; the agreement is "
        f"{campus_bytes / 1024:.0f} KiB from xhtml2pdf and "
        f"{ceiling_bytes / 1024:.0f} KiB from WeasyPrint"
    )
    result.figures.append(
        Figure(
            "agreement, median",
            campus_median,
            "ms",
            ceiling=ceiling_median,
            better="lower",
            target=f"under {TARGET_MS:.0f} ms",
            met=campus_median < TARGET_MS,
        )
    )
    result.tables.append(
        Table(
            "Milliseconds per agreement",
            ["renderer", "median", "min", "max"],
            [
                ["xhtml2pdf (Campus)", *_spread(campus_ms)],
                ["WeasyPrint on the same HTML", *_spread(ceiling_ms)],
            ],
        )
    )
    if result.missed:
        with sampled(os.getpid(), 5, result.profiles, "pdf"):
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                campus()


def _spread(values: list[float]) -> list[float]:
    return [
        round(statistics.median(values), 1),
        round(min(values), 1),
        round(max(values), 1),
    ]
