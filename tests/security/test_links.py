"""Company links: tampered, expired, replayed, misused, and never logged."""

from __future__ import annotations

import base64

from tests.e2e.journey import (
    COMPANY_COMPLETION,
    FRANCE,
    company_completes,
    send_to_company,
    start_mission,
)
from tests.harness.campus import EmbeddedCampus, User
from tests.security.world import (
    COMPLETION,
    EVALUATION,
    blank_pdf,
    forge_link,
    link_claims,
)


def _secret(campus: EmbeddedCampus) -> str:
    return campus.env["CAMPUS_SECRET_KEY"]


def _tampered(token: str) -> list[str]:
    """The token with its claims changed, its signature cut, or a byte flipped."""
    payload, _, rest = token.partition(".")
    claims = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    other_mission = claims.replace(b'"m":"', b'"m":"0')
    forged = base64.urlsafe_b64encode(other_mission).decode().rstrip("=")
    # The signature's first character carries 6 bits of it. Its last one
    # carries only 4, and base64 decoders ignore the other 2.
    signed, signature = token.rsplit(".", 1)
    first = "A" if signature[0] != "A" else "B"
    flipped = f"{signed}.{first}{signature[1:]}"
    return [f"{forged}.{rest}", token.rsplit(".", 1)[0], flipped, token + "x"]


def test_tampered_links_rejected(security_campus: EmbeddedCampus) -> None:
    journey = start_mission(security_campus, FRANCE)
    token = send_to_company(journey)
    anonymous = User(security_campus)

    for tampered in _tampered(token):
        response = anonymous.get(f"/company/{tampered}/mission")
        assert response.status_code == 401, tampered
        assert response.json()["code"] == "link_invalid"
    assert anonymous.get(f"/company/{token}/mission").status_code == 200


def test_expired_link_rejected(security_campus: EmbeddedCampus) -> None:
    journey = start_mission(security_campus, FRANCE)
    token = send_to_company(journey)
    round_ = link_claims(token, _secret(security_campus))["r"]
    expired = forge_link(
        _secret(security_campus), journey.mission_id, COMPLETION, round_, True
    )

    response = User(security_campus).get(f"/company/{expired}/mission")

    assert response.status_code == 401
    assert response.json()["code"] == "link_expired"
    assert "ask the student or the career service" in response.json()["message"]


def test_link_replayed_after_validation(security_campus: EmbeddedCampus) -> None:
    journey = start_mission(security_campus, FRANCE)
    token = send_to_company(journey)
    company_completes(journey, token)
    anonymous = User(security_campus)

    read = anonymous.get(f"/company/{token}/mission")
    saved = anonymous.put(
        f"/company/{token}/sections/organisation", COMPANY_COMPLETION["organisation"]
    )
    validated = anonymous.post(f"/company/{token}/validate")

    for response in (read, saved, validated):
        assert response.status_code == 409
        assert response.json()["code"] == "link_used"
    assert journey.mission()["status"] == "company_completed"


def test_link_for_other_purpose_rejected(security_campus: EmbeddedCampus) -> None:
    journey = start_mission(security_campus, FRANCE)
    token = send_to_company(journey)
    round_ = link_claims(token, _secret(security_campus))["r"]
    evaluation = forge_link(
        _secret(security_campus), journey.mission_id, EVALUATION, round_
    )
    anonymous = User(security_campus)

    as_completion = anonymous.get(f"/company/{evaluation}/mission")
    as_evaluation = anonymous.get(f"/company/evaluation/{token}")

    assert as_completion.status_code == 401
    assert "another purpose" in as_completion.json()["message"]
    assert as_evaluation.status_code == 401
    assert "another purpose" in as_evaluation.json()["message"]


def test_link_of_other_mission_reaches_no_file(
    security_campus: EmbeddedCampus,
) -> None:
    abroad = {
        "start_date": "2027-05-03",
        "end_date": "2027-08-27",
        "location": "abroad",
        "country": "DE",
    }
    owner = start_mission(security_campus, abroad)
    send_to_company(owner)
    uploaded = owner.student.post(
        f"/missions/{owner.mission_id}/insurance",
        files={"file": ("assurance.pdf", blank_pdf("assurance"), "application/pdf")},
    )
    assert uploaded.status_code == 201, uploaded.text
    other = start_mission(security_campus, FRANCE)
    other_token = send_to_company(other)

    response = User(security_campus).get(
        f"/company/{other_token}/files/{uploaded.json()['id']}"
    )

    assert response.status_code == 404


def test_logs_name_no_link(security_campus: EmbeddedCampus) -> None:
    journey = start_mission(security_campus, FRANCE)
    token = send_to_company(journey)
    anonymous = User(security_campus)
    tampered = _tampered(token)
    for attempt in (token, *tampered):
        anonymous.get(f"/company/{attempt}/mission")
        anonymous.http.get(f"/company/{attempt}")
        anonymous.get(f"/company/evaluation/{attempt}")
    company_completes(journey, token)
    anonymous.get(f"/company/{token}/mission")

    log = security_campus.log_path.read_text(encoding="utf-8")

    assert "link.rejected" in log
    assert "reason=used" in log
    for attempt in (token, *tampered):
        signature = attempt.rsplit(".", 1)[-1]
        assert signature not in log
