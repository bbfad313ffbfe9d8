"""Run the benchmark suite and write docs/benchmarks.md from its figures.

    scripts/with-backends.sh .venv/bin/python -m bench [--size default|large|tiny]
        [--only gateway,store,rebuild,kafka,pdf,growth] [--output docs]

`make bench` runs the default size, `make bench SIZE=large` the larger one.
Each workload's figures are kept in OUTPUT/bench/results.json, so a run of
some workloads (`--only`) rewrites the page with the others' last figures.
Benchmarks report figures: a missed target is marked in the page, and the
exit status is 0 unless a workload fails to run.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import gateway, growth, kafka, pdf, plots, rebuild, report, store
from bench.common import ROOT, SIZES, Result, Size, machine, now_utc

WORKLOADS: dict[str, Callable[[Size, Result], None]] = {
    "gateway": gateway.run,
    "store": store.run,
    "rebuild": rebuild.run,
    "kafka": kafka.run,
    "pdf": pdf.run,
    "growth": growth.run,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--size", choices=sorted(SIZES), default="default")
    parser.add_argument(
        "--only",
        default=",".join(WORKLOADS),
        help=f"comma-separated workloads to run, of {', '.join(WORKLOADS)}",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "docs",
        help="folder of benchmarks.md; its bench/ subfolder gets results.json",
    )
    parser.add_argument(
        "--write-only",
        action="store_true",
        help="measure nothing: rewrite benchmarks.md from the saved results.json",
    )
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(names) - set(WORKLOADS))
    if unknown:
        parser.error(
            f"--only: unknown workload {', '.join(unknown)}; "
            f"choose among {', '.join(WORKLOADS)}"
        )
    size = SIZES[args.size]
    command = "make bench" + ("" if size.name == "default" else f" SIZE={size.name}")
    if names != list(WORKLOADS):
        command = "python -m bench " + shlex.join(
            sys.argv[1:] if argv is None else argv
        )
    results_path = args.output / "bench" / "results.json"
    plots.PLOT_FOLDER = args.output / "bench"
    results = load_results(results_path)
    if args.write_only:
        report.write(args.output / "benchmarks.md", results)
        return

    began = time.perf_counter()
    for name in names:
        print(f"{name} ({size.name} size)", flush=True)
        result = Result(workload=name, size=size.name, date=now_utc())
        result.machine = machine()
        started = time.perf_counter()
        WORKLOADS[name](size, result)
        result.seconds = round(time.perf_counter() - started, 1)
        result.facts.append(f"command: `{command}`")
        results[name] = result
        save_results(results_path, results)
        report.write(args.output / "benchmarks.md", results)
        print(f"  {name} took {result.seconds:.0f} s", flush=True)
    total = time.perf_counter() - began
    print(f"the suite took {total / 60:.1f} minutes; see {args.output}/benchmarks.md")


def load_results(path: Path) -> dict[str, Result]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: Result.from_json(item) for name, item in data.items()}


def save_results(path: Path, results: dict[str, Result]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = {name: results[name].to_json() for name in WORKLOADS if name in results}
    path.write_text(json.dumps(ordered, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
