"""Write docs/benchmarks.md from the measured results and the prose below.

The prose lives here, so a rerun rewrites the page with new figures and keeps
the explanations. Each workload has an introduction (what is measured and
what its ceiling is) and an analysis (where the time goes and what would
change it), which the report shows beside the profile when a target is missed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bench.common import Figure, Result

TITLES = {
    "gateway": "1. Commands through the gateway (embedded mode)",
    "store": "2. Event store appends",
    "rebuild": "3. Projection rebuild from a large log",
    "kafka": "4. Distributed mode on Kafka: command to another service's read model",
    "pdf": "5. Agreement PDF rendering",
    "growth": "6. Growth: disk, memory, rebuild and list latency",
}

HEADER = """\
# Benchmarks

`make bench` (`python -m bench`, in `bench/`) measures what Campus does on a
school's busiest days, each figure beside the ceiling of the component
underneath, measured in the same run on the same machine. It writes this page
and the plots in `docs/bench/` from what it measured; the text around the
figures is kept in `bench/report.py`. Benchmarks report figures and never fail
for being slow: a missed target is marked **missed**, with a profile of where
the time goes and what would change it.

`make bench` runs the default size in under 15 minutes on 2 cores; `make
bench SIZE=large` runs the larger sizes (longer runs, 100,000 missions);
`python -m bench --only pdf,store` runs some workloads and keeps the others'
last figures. It needs only `make install`: `scripts/with-backends.sh` starts
a fresh Kafka broker and PostgreSQL server for the run.

A ratio is the figure as a share of its ceiling. For a rate it is Campus
divided by the ceiling, and for a duration the ceiling divided by Campus, so
100 % means that Campus is as fast as the component underneath it.

Figures from a machine that other work was loading at the same time are
noisy: the load average at the start of each workload is printed with it.
"""

INTRODUCTIONS = {
    "gateway": """\
Concurrent clients each run whole mission journeys through the gateway's
HTTP API, one after another, each journey with a student of its own: create,
dates, five sections, submit, the company's three sections and validation
(through its emailed link), confirmation, the tutor's and the career
service's approvals. That is 15 commands per journey; logins and the wait for
the company's email are not counted. Campus runs as `make run` does (one
process, SQLite, the embedded event log). The clients start spread over the
first 3 seconds of each level, a warm-up that is not counted.

The ceiling is a FastAPI route on uvicorn that returns a constant, run the
same way (`bench/ceiling_app.py`), posted a section-sized JSON body by the
same client code at the same concurrency. The clients are httpx in one
asyncio process on the same 2 cores, so both servers share the machine with
their load generator.""",
    "store": """\
Appends go through `EventStore.append`, as commands do: one call per
command, whose transaction takes the append lock (PostgreSQL), reads the
aggregate's version, inserts the event and commits. One writer appends to one
mission after another; many writers are 8 threads on distinct missions,
sharing one store (one writing SQLite connection, or a pool of 8 PostgreSQL
connections), whose appends queued during a commit share the next one. The
ceiling inserts the same rows into the same table of the same database with
one `executemany` in one transaction.""",
    "rebuild": """\
The log is the missions service's `events` table on SQLite, filled with
copies of one real journey's missions events, written straight into the table
in large transactions. Each copy has fresh ids and a student of its own, whose
personal values are sealed with the student's own key in the key store, as
Campus seals them. The tutor's and the company's values keep the journey's
keys. Each copy's events are contiguous in the log, so a batch of 2,000
events contains about 125 missions. In a real log, where missions interleave,
a batch contains more missions and the rebuild reads and writes more rows.
The rebuild is `Projection.rebuild_from_store` for `mission_view`, what
`python -m services.runner rebuild missions` runs: read, open the sealed
values, apply, write. The ceiling is a plain read of the same log: every row
read in position order and its JSON decoded with `json.loads`, with no key
store and no decryption.""",
    "kafka": """\
Campus runs in the distributed mode (each service in its own process,
PostgreSQL, Kafka, a second notifications replica, as the end-to-end tests
run it). Students create missions through the gateway at a steady rate; each
`MissionCreated` goes from the missions service's outbox to Kafka, and the
notifications service's consumer writes the mission's row into its
`mission_contacts` read model. The latency is from the command's response to
the moment that row is visible in the notifications database, which the
benchmark polls every 5 ms. At most 64 commands wait for their response at
once: when Campus falls behind, the sender waits, and the achieved rate is
printed. A first pass at a quarter of the rate shows the latency of a
pipeline that is not saturated. The ceiling is an aiokafka producer and
consumer on the same broker, with the settings Campus uses (idempotent
producer, a read-committed consumer), sending one record at a time with
`send_and_wait` at the same rate: the time from the send to its consumption.""",
    "pdf": """\
The agreement of the document tests' sample mission (an internship in
France), with the school's logo, rendered by
`services.documents.rendering.render_agreement` (Jinja2 and xhtml2pdf),
after one warm-up render. The ceiling is WeasyPrint rendering
the same HTML (`agreement_html`) with the same fonts.""",
    "growth": """\
Campus runs in the distributed mode. The benchmark copies the rows of one
real journey in the missions, documents and evaluations stores and in the
key store, each copy with fresh ids and a student of its own, whose values
are sealed with their own key. The copies go straight into each service's
PostgreSQL `events` table, and the relay's cursor moves past them so that
they are not published again. Then `python -m services.runner rebuild NAME`
rebuilds each service's read models, and the career service lists the
missions through the gateway in three ways: the first page of 50
(`GET /api/v1/missions?limit=50`, what a script or the queues page reads),
the queues page itself (`/career`, HTML, with the counts by state), and
every mission at once (`GET /api/v1/missions` without a limit, streamed).
Memory is each process's resident set size after the listing, and its
peak.""",
}

ANALYSES: dict[str, str] = {
    "gateway": """\
Where the time goes: each command passes the gateway's middleware (the
session read from SQLite, metrics, request ids), an in-process HTTP call to
the service through a second FastAPI stack, the mission loaded from its
events, unsealed and replayed, the append with its inline projection and one
SQLite commit, then the mission presented with its figures (presence hours,
public holidays, the student's other missions). The notifications consumer,
the outbox relay and the email sender run in the same process, under the same
GIL, on the same 2 cores as the clients. Agreements are rendered in a worker
process of their own. The constant route does none of this, so the ratio is
what Campus costs per command. The embedded log used to write a consumer's
offset in a commit of its own for every record, about a tenth of the
process's samples; it now writes it once per batch. Reads of SQLite use
reading connections that do not wait for the writer's commit. What would
change it further: keeping the last state of each mission in memory (or
reading it from `mission_view`) instead of replaying its events for every
command, computing the figures once per mission version, and fewer commits
per command in the embedded mode.""",
    "store": """\
Where the time goes: an append is a transaction and a commit (an fsync on
PostgreSQL, and a WAL write and fsync on SQLite), plus the version read and,
on PostgreSQL, the advisory lock, while the plain insert commits all its rows
once. One writer pays a commit per append, so that its events are durable
before the command responds; only relaxing that (SQLite's
`synchronous=NORMAL`, PostgreSQL's `synchronous_commit=off`) would close
that gap, at the cost of losing the last commits on a power failure. Many
writers share commits: appends queued while one commits go into the next
transaction together, so their rate grows with the number of writers.""",
    "rebuild": """\
Where the time goes: each stored envelope's JSON text first has its sealed
values opened. One regular-expression pass finds them, then each is
decrypted with AES-GCM, about four per event here. The text is then parsed
by pydantic, decoded into its event class and applied to the mission
(`evolve`, which also writes the history entry). Each mission of a batch is
written back once as a whole JSON document. The plain read only decodes
JSON, with nothing to decrypt. Two changes made the rebuild markedly faster:
opening sealed values in the text instead of walking every parsed value, and
looking up `message` and `reason` among an event's fields instead of
catching pydantic's `AttributeError`. The decryption itself is about a tenth
of the opening's time, and the rest is Python around it. What would change
it further: opening the values in a compiled extension, one parse of each
envelope instead of a parse and a decode, and storing the history apart from
the mission document so that it is not written again on each batch.""",
    "kafka": """\
Where the time goes: the command path (the gateway, then the missions
service's load, append and commit on PostgreSQL under the append lock)
keeps up with about 100 missions a second on these 2 cores (50 to 60
before appends were committed in groups), so the achieved rate stays below
the rate requested, and since up to 64 commands
wait at once, most of a response's time is spent queued. The sender is not
the limit: it uses about 10 % of a core, and sending on schedule without
waiting for responses (an open-loop load) it reached 181 per second in one
run, while the gateway failed nearly every command. The relay sends a batch
of events and waits for the broker's acknowledgements together, on a
database connection of its own, so it does not queue behind requests for
the store's pool. The consumer commits its offsets once per fetch, and the
notifications projection applies each partition's records in one
transaction. The tail that remains is in the notifications consumers:
timed with temporary logging in one run, a batch's key lookup and
projection transaction took 16 ms at the median and up to 200 ms, and a
replica that owns two partitions handles them one after the other. In the
profiles below that time is mostly PostgreSQL round trips. Every
process, the broker and PostgreSQL share the same 2 cores, so the p99
moved between about 170 and 420 ms from run to run on a loaded machine.
What would change it: for the tail, fewer round trips per event in the
notifications projection; for the rate, more missions a second through the
command path, which now commits concurrent appends together but still
passes two web stacks per command.""",
    "pdf": """\
xhtml2pdf builds the PDF with ReportLab in Python, and WeasyPrint lays the
page out with Pango and writes it with pydyf. Both are CPU-bound and render
one PDF at a time per process. Nearly all the time is in xhtml2pdf and
ReportLab, and Campus's own code (the Jinja2 template and its context) takes
about 1 %. The same render measured 84 ms (xhtml2pdf) and 124 ms
(WeasyPrint) on this machine while it ran less other work, so a missed
target here means a loaded machine. What would change it on a busy server:
rendering in a pool of processes, so that agreements use every core.""",
    "growth": """\
The databases grow linearly with the missions (k close to 1). The
notifications database stays at its start size because its contacts come
from the Kafka topic, which holds the real journey only. The rebuilds grow
linearly once each `services.runner` process's start (imports and the Kafka
connection, a few seconds) no longer dominates. The first page of the list
and the queues page cost the same at every size. The list is sorted in SQL
on `mission_view.changed_at` and cut to 50 with a cursor, and the counts by
state come from one `GROUP BY`. The figures of a page read the students'
other missions in one query. The unpaged list grows linearly in time and
response size, but not in memory. It reads the ids once, then reads,
presents and sends 200 missions at a time, and over HTTP the gateway passes
the body on as it arrives. Before these changes the same list took the
missions service to 3.6 GB at 100,000 missions. It also ran past the
gateway's 30-second timeout from 2,000 missions, because every mission's
figures ran their own query and the whole response was built in memory.
Where the unpaged list's time goes now (profile below): parsing each
mission's JSON document, history included, with pydantic, then presenting
it. What would change it: reading the list's columns without the history,
and figures stored in the read model when a mission changes instead of
computed on every read.""",
}


def write(path: Path, results: dict[str, Result]) -> None:
    """Write the whole page from the workloads' results, in the suite's order."""
    parts = [HEADER]
    parts.append(_summary(results))
    for name, title in TITLES.items():
        result = results.get(name)
        parts.append(f"## {title}\n\n{INTRODUCTIONS[name]}\n")
        if result is None:
            parts.append(
                "Not measured yet: run `python -m bench --only " + name + "`.\n"
            )
            continue
        parts.append(_section(result))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")


def _summary(results: dict[str, Result]) -> str:
    lines = [
        "## Targets at a glance\n",
        "| workload | figure | Campus | ceiling | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, result in results.items():
        for figure in result.figures:
            if figure.target:
                lines.append(
                    f"| {name} | {figure.name} | {_value(figure.value, figure.unit)} "
                    f"| {_value(figure.ceiling, figure.unit)} | {_ratio(figure)} "
                    f"| {figure.target} | {_met(figure)} |"
                )
    return "\n".join(lines) + "\n"


def _section(result: Result) -> str:
    machine = result.machine
    lines = [
        f"Measured on {result.date} at the `{result.size}` size, in "
        f"{result.seconds:.0f} s, on {machine['cores']} cores ({machine['cpu']}), "
        f"{machine['memory_gib']} GiB of memory, Python {machine['python']}; "
        f"load average at the start {', '.join(map(str, machine['load_average']))}.",
        "",
    ]
    lines += [f"- {fact}" for fact in result.facts]
    if result.figures:
        lines += [
            "",
            "| figure | Campus | ceiling | ratio | target | met |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
    for figure in result.figures:
        lines.append(
            f"| {figure.name} | {_value(figure.value, figure.unit)} "
            f"| {_value(figure.ceiling, figure.unit)} | {_ratio(figure)} "
            f"| {figure.target or ''} | {_met(figure)} |"
        )
    for table in result.tables:
        lines += ["", f"{table.title}:", ""]
        lines.append("| " + " | ".join(table.columns) + " |")
        lines.append("|" + " --- |" * len(table.columns))
        lines += [
            "| " + " | ".join(_cell(cell) for cell in row) + " |" for row in table.rows
        ]
    for plot in result.plots:
        lines += ["", f"![{result.workload}]({plot})"]
    analysis = ANALYSES[result.workload]
    lines += ["", analysis]
    for key, profile in result.profiles.items():
        lines += [
            "",
            f"Profile ({key}), sampled with py-spy under the same load:",
            "",
            "```text",
            profile,
            "```",
        ]
    return "\n".join(lines) + "\n"


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if math.isnan(value):
        return "none completed"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}"


def _ratio(figure: Figure) -> str:
    ratio = figure.ratio
    return "" if ratio is None or math.isnan(ratio) else f"{ratio:.0%}"


def _met(figure: Figure) -> str:
    if figure.met is None:
        return ""
    return "yes" if figure.met else "**missed**"


def _cell(cell: Any) -> str:
    if isinstance(cell, int) and not isinstance(cell, bool):
        return f"{cell:,}"
    if isinstance(cell, float) and math.isnan(cell):
        return "-"
    if isinstance(cell, float):
        return f"{cell:,.1f}" if abs(cell) >= 100 else f"{cell:g}"
    return str(cell)
