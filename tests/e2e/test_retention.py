"""The retention job, on a Campus of its own with short periods.

Moving the development clock runs each service's part of the job at once, so
the test moves it past each period in turn: the email log's, the uploaded
files' and the missions'. It has its own Campus because the job deletes
every other test's data as well.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.journey import (
    ABROAD,
    CAREER_SERVICE,
    FRANCE,
    send_to_company,
    start_mission,
)
from tests.e2e.test_files import pdf_bytes, upload
from tests.harness.campus import EmbeddedCampus, User, wait_for

RETENTION_DAYS = {"email_log": 30, "uploaded_files": 60, "missions": 400}


@pytest.fixture
def short_retention_campus(tmp_path: Path) -> Iterator[EmbeddedCampus]:
    campus = EmbeddedCampus(
        tmp_path, {"CAMPUS_RETENTION_DAYS": json.dumps(RETENTION_DAYS)}
    )
    yield campus
    campus.stop()


def _move_clock(campus: EmbeddedCampus, moment: dt.datetime) -> None:
    response = httpx.put(
        f"{campus.base_url}/api/v1/dev/clock",
        json={"now": moment.isoformat()},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert set(response.json()["services"]) == {
        "missions",
        "documents",
        "notifications",
        "evaluations",
    }


def test_retention_removes_each_kind_after_its_period(
    short_retention_campus: EmbeddedCampus,
) -> None:
    campus = short_retention_campus
    ended = start_mission(campus, FRANCE)  # ends 2027-07-30
    current = start_mission(campus, ABROAD)  # ends 2027-08-27
    send_to_company(ended)
    uploaded = upload(
        current.student, f"/missions/{current.mission_id}/insurance", pdf_bytes()
    )
    assert uploaded.status_code == 201, uploaded.text
    file_path = f"/missions/{current.mission_id}/files/{uploaded.json()['id']}"
    sent_before = {email["id"] for email in campus.mailbox()}
    assert sent_before, "no email was sent before the clock moved"
    now = dt.datetime.now(dt.UTC)

    _move_clock(campus, now + dt.timedelta(days=31))

    left = {email["id"] for email in campus.mailbox()}
    assert sent_before.isdisjoint(left), "emails older than 30 days are still kept"
    assert current.student.get(file_path).status_code == 200

    _move_clock(campus, now + dt.timedelta(days=61))

    expired = current.student.get(file_path)
    assert expired.status_code == 404, expired.text
    assert "retention period" in expired.json()["message"]
    career = User(campus, CAREER_SERVICE)
    assert career.get(f"/missions/{ended.mission_id}").json()["student"]["name"] != (
        "[erased]"
    )

    # 400 days after 2027-08-10: the first mission ended before, the second after.
    _move_clock(campus, dt.datetime(2027, 8, 10, tzinfo=dt.UTC) + dt.timedelta(400))

    gone = career.get(f"/missions/{ended.mission_id}").json()
    kept = career.get(f"/missions/{current.mission_id}").json()
    assert gone["student"] == {"email": "[erased]", "name": "[erased]"}
    assert gone["sections"]["supervisor"]["email"] == "[erased]"
    assert gone["status"] == "sent_to_company"
    assert kept["student"]["email"] == current.student.email
    assert kept["sections"]["supervisor"]["email"] == current.supervisor_email
    wait_for(
        lambda: all(
            email["subject"] == "[erased]"
            for email in career.get(
                "/emails", params={"mission_id": ended.mission_id}
            ).json()
        ),
        "the erased mission's emails blanked",
    )
