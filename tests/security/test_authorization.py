"""Every operation of the OpenAPI document against every kind of caller.

The table is in `authorization_table.py`. Refusals run first, on missions
that no allowed call has changed yet. The allowed calls run next, in the
table's order, which puts the calls that change a mission last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.e2e.journey import PROGRAM
from tests.harness.campus import EmbeddedCampus, RunningCampus, User
from tests.security.authorization_table import EMBEDDED_ONLY, OK, TABLE, UNSCANNED
from tests.security.world import (
    CALLERS,
    COMPLETION,
    EVALUATION,
    World,
    blank_pdf,
    build_world,
    caller_token,
    move_clock,
)

PDF_UPLOAD = {"file": ("piece.pdf", blank_pdf("piece"), "application/pdf")}
# The body sent with each operation that takes one: valid, so that the
# refusal, when there is one, is about the caller and not the body.
JSON_BODIES: dict[str, Any] = {
    "POST /api/v1/missions": {"program_id": "mge-1-2026", "commitment_accepted": True},
    "PUT /api/v1/missions/{mission_id}/dates": {
        "start_date": "2027-05-03",
        "end_date": "2027-08-27",
        "location": "abroad",
        "country": "DE",
    },
    "PUT /api/v1/missions/{mission_id}/sections/{name}": {"title": "Titre"},
    "POST /api/v1/missions/{mission_id}/derogation/approve": {"message": "Accord."},
    "POST /api/v1/missions/{mission_id}/derogation/reject": {"message": "Refus."},
    "POST /api/v1/missions/{mission_id}/confirm": {"message": "Merci."},
    "POST /api/v1/missions/{mission_id}/return-to-company": {"message": "À revoir."},
    "POST /api/v1/missions/{mission_id}/tutor/refuse": {"reason": "Incomplet."},
    "POST /api/v1/missions/{mission_id}/send-back": {"reason": "Incomplet."},
    "POST /api/v1/missions/{mission_id}/cancel": {"reason": "Stage annulé."},
    "PUT /api/v1/missions/{mission_id}/supervisor": {},
    "POST /api/v1/missions/{mission_id}/report/approve": {"comment": "Bien."},
    "POST /api/v1/missions/{mission_id}/report/refuse": {"comment": "À reprendre."},
    "POST /api/v1/missions/{mission_id}/deposit/reopen": {"until": "2027-12-15"},
    "PUT /api/v1/missions/{mission_id}/forms/{kind}": {"answers": {}},
    "POST /api/v1/missions/{mission_id}/forms/{kind}/submit": {"answers": {}},
    "PUT /api/v1/company/{token}/sections/{name}": {"address": "1 rue du Port"},
    "PUT /api/v1/company/evaluation/{token}": {"answers": {}},
    "POST /api/v1/company/evaluation/{token}/submit": {"answers": {}},
    "POST /api/v1/dev/login": {"email": "sophie.bernard@ecole-campus.fr"},
    "POST /api/v1/people/erase": {"email": "personne.inconnue@example.org"},
    # The seed's own values, so that an admin's allowed change changes nothing.
    "PUT /api/v1/programs/{program_id}": {"min_weeks": 4},
    "PUT /api/v1/programs/{program_id}/tutors/{tutor_email}": {"capacity": 40},
}
UPLOADS = {
    "POST /api/v1/missions/{mission_id}/convention/scan",
    "POST /api/v1/missions/{mission_id}/insurance",
    "POST /api/v1/missions/{mission_id}/certificate",
    "POST /api/v1/missions/{mission_id}/report",
    "POST /api/v1/company/evaluation/{token}/certificate",
}
# A 404 naming this field is about the resource, after the caller passed: no
# email has failed in the embedded mode, so none can be retried.
MISSING_RESOURCE = {
    "POST /api/v1/emails/{email_id}/retry": "email_id",
    # Nobody has this address, so an allowed erasure erases no one.
    "POST /api/v1/people/erase": "email",
}
# Operations that sign in or out: each call gets a session of its own, so
# that the caller's usual session survives.
OWN_SESSION = {"POST /api/v1/dev/login", "POST /api/v1/dev/logout"}


@dataclass(frozen=True)
class Cell:
    operation: str
    caller: str
    expected: int


def cells(mode: str) -> Iterator[Cell]:
    for operation, row in TABLE.items():
        for caller, expected in zip(CALLERS, row, strict=True):
            if mode != "embedded" and operation in EMBEDDED_ONLY:
                expected = 404
            yield Cell(operation, caller, expected)


@pytest.fixture(
    scope="module",
    params=["embedded", pytest.param("distributed", marks=pytest.mark.distributed)],
)
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    name = (
        "security_campus"
        if request.param == "embedded"
        else ("distributed_security_campus")
    )
    campus: RunningCampus = request.getfixturevalue(name)
    built = build_world(campus, campus.env["CAMPUS_SECRET_KEY"])
    yield built
    move_clock(campus, _now())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _purpose(cell: Cell) -> str | None:
    """The purpose of the link in a company path, or None elsewhere."""
    _, template = cell.operation.split(" ", 1)
    if not template.startswith("/api/v1/company/"):
        return None
    return EVALUATION if "/company/evaluation/" in template else COMPLETION


def _path(world: World, cell: Cell, email_id: str) -> str:
    _, template = cell.operation.split(" ", 1)
    purpose = _purpose(cell) or COMPLETION
    company = template.startswith("/api/v1/company/")
    values = {
        "mission_id": world.approved.mission_id,
        "file_id": world.sent.file_id if company else world.approved.file_id,
        "token": caller_token(world, cell.caller, purpose),
        "name": "organisation" if company else "mission",
        "kind": "self_evaluation",
        "email_id": email_id,
        "program_id": PROGRAM,
        "tutor_email": world.emails["tutor"],
    }
    return template.format(**values)


def _client(world: World, cell: Cell) -> httpx.Client:
    if cell.operation not in OWN_SESSION:
        return world.users[cell.caller].http
    email = world.emails.get(cell.caller)
    return User(world.campus, email).http


def call(world: World, cell: Cell, email_id: str) -> httpx.Response:
    method, _ = cell.operation.split(" ", 1)
    kwargs: dict[str, Any] = {}
    if cell.operation in JSON_BODIES:
        kwargs["json"] = JSON_BODIES[cell.operation]
    if cell.operation == "PUT /api/v1/missions/{mission_id}/tutor":
        # The tutor already assigned: a reassignment that changes nothing.
        kwargs["json"] = {"email": world.emails["tutor"]}
    if cell.operation in UPLOADS:
        kwargs["files"] = PDF_UPLOAD
    if cell.operation == "GET /api/v1/emails/scheduled":
        kwargs["params"] = {"mission_id": world.approved.mission_id}
    if cell.operation == "GET /api/v1/people/export":
        kwargs["params"] = {"email": world.emails["student"]}
    path = _path(world, cell, email_id)
    return _client(world, cell).request(method, path, **kwargs)


def judge(world: World, cell: Cell, response: httpx.Response) -> str | None:
    """Return what is wrong with a cell's response, or None when it holds."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}: {response.text[:200]}"
    missing = MISSING_RESOURCE.get(cell.operation)
    if status == 404 and missing and response.json().get("field") == missing:
        status = OK
    if cell.expected == OK and status in (401, 403, 404):
        return f"refused with {status} where allowed: {response.text[:200]}"
    if cell.expected != OK and status != cell.expected:
        return f"{status} where {cell.expected} was expected: {response.text[:200]}"
    if cell.operation not in UNSCANNED:
        visible = world.visible_markers(cell.caller, _purpose(cell))
        hidden = {f.marker for f in world.fixtures()} - visible
        shown = sorted(m for m in hidden if m in response.text)
        if shown:
            return f"{status} shows missions hidden from this caller: {shown}"
    return None


def _any_email_id(campus: RunningCampus) -> str:
    email_id: str = campus.mailbox()[0]["id"]
    return email_id


def test_table_names_every_operation(security_campus: EmbeddedCampus) -> None:
    document = httpx.get(f"{security_campus.base_url}/api/v1/openapi.json").json()
    published = {
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
    }

    missing = sorted(published - set(TABLE))
    unknown = sorted(set(TABLE) - published)

    assert not missing, f"operations missing from the authorization table: {missing}"
    assert not unknown, f"table rows for operations not published: {unknown}"


def test_every_cell_holds(world: World) -> None:
    email_id = _any_email_id(world.campus)
    ordered = sorted(cells(world.campus.mode), key=lambda cell: cell.expected == OK)
    failures = []
    for cell in ordered:
        problem = judge(world, cell, call(world, cell, email_id))
        if problem is not None:
            failures.append(f"{cell.operation} as {cell.caller}: {problem}")

    assert not failures, f"{len(failures)} cells broken:\n" + "\n".join(failures)
