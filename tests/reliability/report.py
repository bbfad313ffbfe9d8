"""The drills' figures: recorded by each drill, rendered as a Markdown table.

    python -m tests.reliability.report    print the table of the last run

Each drill replaces its own entry in `.run/reliability/drills.json`, so the
file holds the latest run of every drill.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.harness.processes import ROOT

if TYPE_CHECKING:
    from tests.reliability.checker import Findings
    from tests.reliability.load import Load

FIGURES = ROOT / ".run" / "reliability" / "drills.json"


def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    figures: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return figures


def record_drill(
    name: str,
    load: Load,
    findings: Findings,
    *,
    seconds: float,
    settle_seconds: float,
    details: dict[str, object],
) -> None:
    """Write one drill's figures into the figures file, keeping the other drills'."""
    records = load.records
    refused = [r for r in records if not r.succeeded]
    reasons = Counter(
        f"{r.status} {_code_of(r.body)}" if r.status else "no response" for r in refused
    )
    examples: dict[str, str] = {}
    for record in refused:
        key = f"{record.status} {_code_of(record.body)}"
        examples.setdefault(key, _message_of(record.body))
    entry = {
        "journeys started": load.figures.journeys_started,
        "journeys completed": load.figures.journeys_completed,
        "commands": len(records),
        "succeeded": sum(r.succeeded for r in records),
        "refused": dict(reasons),
        "refusal messages": examples,
        "losses": findings.losses,
        "duplicates": findings.duplicates,
        "failures": findings.failures(),
        "seconds": round(seconds, 1),
        "settle seconds": round(settle_seconds, 1),
        **findings.figures,
        **details,
    }
    figures = _load(FIGURES)
    figures[name] = entry
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")


def _code_of(body: str) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return "(not JSON)"
    return str(parsed.get("code", "")) if isinstance(parsed, dict) else ""


def _message_of(body: str) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body[:120]
    return str(parsed.get("message", "")) if isinstance(parsed, dict) else ""


def render(figures: dict[str, Any]) -> str:
    """Return the drills' figures as Markdown: one table, then the refusals."""
    lines = [
        "| drill | journeys (completed) | commands (2xx) | events stored so far "
        "| emails received so far | losses | duplicates | republished copies | refused "
        "| seconds |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, entry in figures.items():
        refused = ", ".join(
            f"{count} x {why}" for why, count in entry["refused"].items()
        )
        lines.append(
            f"| {name} | {entry['journeys started']} ({entry['journeys completed']}) "
            f"| {entry['commands']} ({entry['succeeded']}) | {entry.get('events', '')} "
            f"| {entry.get('emails sent', '')} | {entry['losses']} "
            f"| {entry['duplicates']} | {entry.get('republished copies', '')} "
            f"| {refused or 'none'} | {entry['seconds']} |"
        )
    lines.append(_totals(figures))
    lines += ["", "Refusals and their message:", ""]
    for name, entry in figures.items():
        for why, message in entry["refusal messages"].items():
            lines.append(f"- {name}, {why}: “{message}”")
    return "\n".join(lines) + "\n"


def _totals(figures: dict[str, Any]) -> str:
    """Return the table's last row: sums, and what the stores contain at the end."""
    entries = list(figures.values())
    refused = sum(sum(entry["refused"].values()) for entry in entries)
    started = sum(entry["journeys started"] for entry in entries)
    completed = sum(entry["journeys completed"] for entry in entries)
    commands = sum(entry["commands"] for entry in entries)
    succeeded = sum(entry["succeeded"] for entry in entries)
    return (
        f"| all {len(entries)} drills | {started} ({completed}) "
        f"| {commands} ({succeeded}) | {entries[-1].get('events', '')} "
        f"| {entries[-1].get('emails sent', '')} "
        f"| {sum(entry['losses'] for entry in entries)} "
        f"| {sum(entry['duplicates'] for entry in entries)} "
        f"| {sum(entry.get('republished copies', 0) for entry in entries)} "
        f"| {refused} | {sum(entry['seconds'] for entry in entries):.1f} |"
    )


def main() -> None:
    figures = _load(FIGURES)
    if not figures:
        sys.exit(f"{FIGURES} does not exist: run pytest -m drills first")
    sys.stdout.write(render(figures))


if __name__ == "__main__":
    main()
