"""Generated requests to every operation of the OpenAPI document, per role.

schemathesis reads the gateway's document and sends requests that follow it
and requests that break it. No response may be a server error, and each must
match the document: its status, content type and body schema.
"""

from __future__ import annotations

import os
import secrets
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings, strategies
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from tests.e2e.journey import CAREER_SERVICE, FRANCE, start_mission
from tests.harness.campus import EmbeddedCampus
from tests.security.conftest import GENEROUS_LIMITS
from tests.security.world import ADMIN

# Examples per operation, each sent signed in as 4 roles and once
# anonymously. CAMPUS_FUZZ_EXAMPLES raises it for a longer hunt.
EXAMPLES = int(os.environ.get("CAMPUS_FUZZ_EXAMPLES", "8"))
ROLES = {
    "anonymous": None,
    "student": None,
    "tutor": "helene.cote@ecole-campus.fr",
    "career_service": CAREER_SERVICE,
    "admin": ADMIN,
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SIGN_OUT = "POST /api/v1/dev/logout"
CALLS: Counter[str] = Counter()


@pytest.fixture(scope="module")
def fuzz_campus(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[EmbeddedCampus]:
    env = {"CAMPUS_SECRET_KEY": secrets.token_hex(32), **GENEROUS_LIMITS}
    campus = EmbeddedCampus(tmp_path_factory.mktemp("fuzz"), env)
    yield campus
    campus.stop()
    print(f"\nschemathesis: {sum(CALLS.values())} calls to {len(CALLS)} operations")


@pytest.fixture(scope="module")
def mission_id(fuzz_campus: EmbeddedCampus) -> str:
    """A real mission, so that some requests reach past the 404 of an unknown id."""
    return start_mission(fuzz_campus, FRANCE).mission_id


@pytest.fixture(scope="module")
def api_schema(fuzz_campus: EmbeddedCampus) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{fuzz_campus.base_url}/api/v1/openapi.json")


@pytest.fixture(scope="module")
def sessions(
    fuzz_campus: EmbeddedCampus, mission_id: str
) -> dict[str, requests.Session]:
    """A signed-in session per role; the student owns `mission_id`."""
    staff = _session(fuzz_campus, CAREER_SERVICE)
    mission = staff.get(f"{fuzz_campus.base_url}/api/v1/missions/{mission_id}")
    emails = {**ROLES, "student": mission.json()["student"]["email"]}
    signed_in = {role: _session(fuzz_campus, email) for role, email in emails.items()}
    for role, email in emails.items():
        signed_in[role].headers["x-test-email"] = email or ""
    return signed_in


def _email(sessions: dict[str, requests.Session], role: str) -> str | None:
    return str(sessions[role].headers["x-test-email"]) or None


def _session(campus: EmbeddedCampus, email: str | None) -> requests.Session:
    session = requests.Session()
    if email is not None:
        response = session.post(
            f"{campus.base_url}/api/v1/dev/login", json={"email": email}, timeout=30
        )
        assert response.status_code == 200, response.text
    return session


Operation = schemathesis.APIOperation[Any, Any, Any, Any]


def _operations(schema: schemathesis.BaseSchema) -> list[Operation]:
    """Every operation of the document; one it cannot read fails the test."""
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"unreadable operation: {result.err()}"
        operations.append(result.ok())
    return operations


def _fuzz(
    operation: Operation,
    campus: EmbeddedCampus,
    sessions: dict[str, requests.Session],
    mission_id: str,
) -> None:
    """Send generated cases of one operation as each role; raise on a failure."""
    label = f"{operation.method.upper()} {operation.path}"
    cases = strategies.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def send(case: schemathesis.Case[Any]) -> None:
        generated = (case.path_parameters or {}).get("mission_id")
        if generated is not None and len(str(generated)) % 2 == 0:
            case.path_parameters = {**case.path_parameters, "mission_id": mission_id}
        for role, session in sessions.items():
            if label == SIGN_OUT:
                # Signing out would end the session that later examples use.
                session = _session(campus, _email(sessions, role))
            CALLS[label] += 1
            case.call_and_validate(
                base_url=campus.base_url, session=session, checks=CHECKS
            )

    send()


def test_api_follows_its_document(
    api_schema: schemathesis.BaseSchema,
    fuzz_campus: EmbeddedCampus,
    sessions: dict[str, requests.Session],
    mission_id: str,
) -> None:
    failures = []
    for operation in _operations(api_schema):
        try:
            _fuzz(operation, fuzz_campus, sessions, mission_id)
        except (Exception, BaseExceptionGroup) as error:
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")

    assert not failures, f"{len(failures)} operations failed:\n" + "\n\n".join(failures)
