"""Session cookies, and changes to the JSON API sent from another site."""

from __future__ import annotations

import httpx

from tests.harness.campus import EmbeddedCampus, User
from tests.security.world import ADMIN

CHANGE = ("/api/v1/missions", {"program_id": "mge-1-2026", "commitment_accepted": True})
STUDENT = "chloe.moreau@etu.ecole-campus.fr"


def _cookie_attributes(response: httpx.Response) -> list[str]:
    header = response.headers["set-cookie"]
    assert header.startswith("campus_session="), header
    return [part.strip().lower() for part in header.split(";")[1:]]


def test_session_cookie_flags_over_http(security_campus: EmbeddedCampus) -> None:
    response = httpx.post(
        f"{security_campus.base_url}/api/v1/dev/login", json={"email": ADMIN}
    )

    attributes = _cookie_attributes(response)
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    # The embedded mode on http://127.0.0.1 needs a cookie sent over plain HTTP.
    assert "secure" not in attributes


def test_session_cookie_secure_behind_https(strict_campus: EmbeddedCampus) -> None:
    response = httpx.post(
        f"{strict_campus.base_url}/api/v1/dev/login", json={"email": ADMIN}
    )

    attributes = _cookie_attributes(response)
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "secure" in attributes


def test_change_from_other_origin_rejected(security_campus: EmbeddedCampus) -> None:
    student = User(security_campus, STUDENT)
    path, body = CHANGE

    response = student.http.post(
        path, json=body, headers={"origin": "https://attaquant.example"}
    )

    assert response.status_code == 403
    assert response.json()["code"] == "cross_site_request"
    assert "https://attaquant.example" in response.json()["message"]
    assert security_campus.base_url in response.json()["message"]


def test_cross_site_fetch_rejected(security_campus: EmbeddedCampus) -> None:
    student = User(security_campus, STUDENT)
    path, body = CHANGE

    for site in ("cross-site", "same-site"):
        response = student.http.post(path, json=body, headers={"sec-fetch-site": site})
        assert response.status_code == 403, site
        assert response.json()["code"] == "cross_site_request"


def test_null_origin_rejected(security_campus: EmbeddedCampus) -> None:
    student = User(security_campus, STUDENT)
    path, body = CHANGE

    response = student.http.post(path, json=body, headers={"origin": "null"})

    assert response.status_code == 403


def test_change_from_own_pages_accepted(security_campus: EmbeddedCampus) -> None:
    student = User(security_campus, STUDENT)
    path, body = CHANGE

    same_origin = student.http.post(
        path,
        json=body,
        headers={"origin": security_campus.base_url, "sec-fetch-site": "same-origin"},
    )
    script = student.http.post(path, json=body)

    assert same_origin.status_code == 201, same_origin.text
    assert script.status_code == 201, script.text


def test_reads_from_other_origin_pass(security_campus: EmbeddedCampus) -> None:
    student = User(security_campus, STUDENT)

    response = student.http.get(
        "/api/v1/missions", headers={"sec-fetch-site": "cross-site"}
    )

    # A read changes nothing, and the browser keeps the response from the other
    # site, because Campus sends no CORS headers.
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
