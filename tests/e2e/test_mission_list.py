"""The mission list through the gateway: pages, their Link header, and counts."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.e2e.journey import CAREER_SERVICE, PROGRAM
from tests.harness.campus import RunningCampus, User
from tests.harness.seed import fresh_student


def _next_page(link: str | None) -> str | None:
    """Return the path of a Link header's next page, without the /api/v1 prefix."""
    if not link:
        return None
    address, _, relation = link.partition(";")
    assert relation.strip() == 'rel="next"', link
    parts = urlsplit(address.strip().strip("<>"))
    assert parts.path == "/api/v1/missions", link
    return f"/missions?{parts.query}"


def test_student_pages_through_own_missions(campus: RunningCampus) -> None:
    student = User(campus, fresh_student())
    created = []
    for _ in range(3):
        response = student.post(
            "/missions", {"program_id": PROGRAM, "commitment_accepted": True}
        )
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
    path: str | None = "/missions?limit=2"
    pages = []
    while path:
        response = student.get(path)
        assert response.status_code == 200, response.text
        pages.append([mission["id"] for mission in response.json()])
        path = _next_page(response.headers.get("link"))
    # Newest change first, two then one, and no other student's mission.
    assert pages == [created[::-1][:2], created[::-1][2:]]
    assert [m["id"] for m in student.get("/missions").json()] == created[::-1]
    counts = student.get("/missions/counts").json()
    assert counts == {"total": 3, "by_status": {"draft": 3}}


def test_career_service_counts_and_filtered_page(campus: RunningCampus) -> None:
    student = User(campus, fresh_student())
    for _ in range(2):
        student.post("/missions", {"program_id": PROGRAM, "commitment_accepted": True})
    career = User(campus, CAREER_SERVICE)
    counts = career.get("/missions/counts").json()
    assert counts["total"] == sum(counts["by_status"].values())
    assert counts["by_status"]["draft"] >= 2
    first = career.get("/missions?status=draft&limit=1")
    assert first.status_code == 200
    assert len(first.json()) == 1
    assert first.json()[0]["status"] == "draft"
    following = _next_page(first.headers.get("link"))
    assert following is not None and "status=draft" in following
    second = career.get(following)
    assert second.status_code == 200
    assert second.json()[0]["id"] != first.json()[0]["id"]
    assert second.json()[0]["status"] == "draft"


def test_bad_page_parameters_named(campus: RunningCampus) -> None:
    career = User(campus, CAREER_SERVICE)
    for query, field in (
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("limit=2&cursor=forged", "cursor"),
        ("cursor=OTk5OXx6", "cursor"),
    ):
        response = career.get(f"/missions?{query}")
        assert response.status_code == 422, (query, response.text)
        assert field in response.json()["field"], (query, response.json())


def test_whole_list_streams_what_the_pages_hold(campus: RunningCampus) -> None:
    """Unpaged, the list and the export hold every mission, in the pages' order."""
    student = User(campus, fresh_student())
    for _ in range(3):
        student.post("/missions", {"program_id": PROGRAM, "commitment_accepted": True})
    career = User(campus, CAREER_SERVICE)
    paged: list[str] = []
    path: str | None = "/missions?limit=7"
    while path:
        response = career.get(path)
        assert response.status_code == 200, response.text
        paged += [mission["id"] for mission in response.json()]
        path = _next_page(response.headers.get("link"))
    whole = career.get("/missions")
    assert whole.status_code == 200
    assert whole.headers["content-type"].startswith("application/json")
    assert [mission["id"] for mission in whole.json()] == paged
    total = career.get("/missions/counts").json()["total"]
    assert len(paged) == total
    export = career.get("/missions/export.csv")
    assert export.status_code == 200
    lines = export.text.splitlines()
    assert lines[0].startswith("reference,id,status")
    assert [line.split(",")[1] for line in lines[1:]] == paged


def test_career_page_with_stale_cursor_restarts(campus: RunningCampus) -> None:
    career = User(campus, CAREER_SERVICE)
    response = career.http.get(
        "/career?status=draft&cursor=!!!&lang=fr", follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/career?status=draft"
    page = career.http.get(response.headers["location"])
    assert page.status_code == 200
    assert "voici la liste depuis sa première page" in page.text


def test_career_page_drops_unknown_filter(campus: RunningCampus) -> None:
    career = User(campus, CAREER_SERVICE)
    for query, expected_location in (
        (f"status=bogus&program_id={PROGRAM}", f"/career?program_id={PROGRAM}"),
        ("status=draft&program_id=nope", "/career?status=draft"),
        ("status=bogus", "/career"),
    ):
        response = career.http.get(f"/career?{query}&lang=en", follow_redirects=False)
        assert response.status_code == 303, query
        assert response.headers["location"] == expected_location, query
        page = career.http.get(response.headers["location"])
        assert "choose one in the list" in page.text, query
