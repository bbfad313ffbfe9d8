"""Failed sign-ins and company-link guesses are limited per client address."""

from __future__ import annotations

import httpx

from tests.harness.campus import EmbeddedCampus
from tests.security.world import ADMIN

# The strict Campus allows 3 failed sign-ins and 4 bad links a minute.
SIGN_IN_LIMIT = 3
LINK_LIMIT = 4


def client_from(campus: EmbeddedCampus, address: str) -> httpx.Client:
    """A client whose connections leave from `address`, one of loopback's."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=campus.base_url, transport=transport, timeout=30)


def test_failed_sign_ins_limited(strict_campus: EmbeddedCampus) -> None:
    http = client_from(strict_campus, "127.0.0.2")
    elsewhere = client_from(strict_campus, "127.0.0.3")
    login = "/api/v1/dev/login"

    failures = [
        http.post(login, json={"email": f"personne{n}@ecole-campus.fr"})
        for n in range(SIGN_IN_LIMIT)
    ]
    limited = http.post(login, json={"email": "encore@ecole-campus.fr"})
    even_right = http.post(login, json={"email": ADMIN})
    page = http.post("/login", data={"email": ADMIN})
    other_address = elsewhere.post(login, json={"email": ADMIN})

    assert [r.status_code for r in failures] == [404] * SIGN_IN_LIMIT
    assert limited.status_code == 429
    assert limited.json()["code"] == "too_many_attempts"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert even_right.status_code == 429
    assert page.status_code == 429
    assert other_address.status_code == 200


def test_link_guesses_limited(strict_campus: EmbeddedCampus) -> None:
    http = client_from(strict_campus, "127.0.0.4")
    guesses = [
        "/api/v1/company/devine-1/mission",
        "/api/v1/company/evaluation/devine-2",
        "/company/devine-3",
        "/api/v1/company/devine-4/sections/terms",
    ]

    failures = [
        http.get(path) if n < 3 else http.put(path, json={})
        for n, path in enumerate(guesses)
    ]
    limited = http.get("/api/v1/company/devine-5/mission")

    assert [r.status_code for r in failures] == [401] * LINK_LIMIT
    assert limited.status_code == 429
    assert "retry-after" in limited.headers
    assert "invalid or expired links" in limited.json()["message"]


def test_valid_sign_ins_never_limited(strict_campus: EmbeddedCampus) -> None:
    http = client_from(strict_campus, "127.0.0.5")

    statuses = {
        http.post("/api/v1/dev/login", json={"email": ADMIN}).status_code
        for _ in range(15)
    }

    assert statuses == {200}
