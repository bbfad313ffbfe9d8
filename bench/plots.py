"""PNG plots under docs/bench/, drawn with matplotlib's non-interactive backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter, ScalarFormatter

from bench.common import ROOT

PLOT_FOLDER = ROOT / "docs" / "bench"


def line_plot(
    name: str,
    x: Sequence[float],
    panels: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    x_label: str,
    y_labels: Mapping[str, str],
    log_x: bool = False,
    log_y: bool = False,
) -> str:
    """Draw one panel per entry of `panels`, one line per series; return its path.

    The path is relative to docs/, as benchmarks.md links it.
    """
    PLOT_FOLDER.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4))
    axes_list = list(axes) if len(panels) > 1 else [axes]
    for axis, (title, series) in zip(axes_list, panels.items(), strict=True):
        for label, values in series.items():
            axis.plot(x, values, marker="o", label=label)
        axis.set_title(title)
        axis.set_xlabel(x_label)
        axis.set_ylabel(y_labels[title])
        if log_x:
            axis.set_xscale("log")
        if log_y:
            axis.set_yscale("log")
            axis.yaxis.set_major_formatter(ScalarFormatter())
        # Labels on the minor ticks of a log axis crowd out the data.
        axis.xaxis.set_minor_formatter(NullFormatter())
        axis.yaxis.set_minor_formatter(NullFormatter())
        axis.set_xticks(list(x))
        axis.set_xticklabels([f"{value:g}" for value in x])
        axis.grid(True, alpha=0.3)
        axis.legend()
    figure.tight_layout()
    path = PLOT_FOLDER / f"{name}.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return f"bench/{name}.png"
