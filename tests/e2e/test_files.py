"""Files uploaded to a mission, through the gateway, in each way Campus runs."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterator
from typing import Any

from PIL import Image
from pypdf import PdfWriter

from tests.e2e.journey import (
    ABROAD,
    CAREER_SERVICE,
    FRANCE,
    Journey,
    approve,
    reach_company_completed,
    send_to_company,
    start_mission,
)
from tests.harness.campus import RunningCampus, User
from tests.harness.seed import fresh_student

QUICK_START_PROGRAM = "quick-start"
MEBIBYTE = 1024 * 1024


def quick_start_dates() -> dict[str, str]:
    """Dates that start inside the program's 8-day lead time, so past the deadline."""
    start = dt.date.today() + dt.timedelta(days=3)
    return {
        "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(weeks=4)).isoformat(),
        "location": "france",
        "country": "FR",
    }


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def png_bytes() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (20, 10), color=(10, 120, 200)).save(output, format="PNG")
    return output.getvalue()


def upload(
    user: User,
    path: str,
    content: bytes,
    filename: str = "scan.pdf",
    content_type: str = "application/pdf",
) -> Any:
    return user.post(path, files={"file": (filename, content, content_type)})


def approved_quick_start(campus: RunningCampus) -> Journey:
    journey = reach_company_completed(
        campus, quick_start_dates(), program_id=QUICK_START_PROGRAM
    )
    approve(journey)
    assert journey.mission()["quick_start"] is True
    return journey


def test_scan_refused_unless_quick_start(campus: RunningCampus) -> None:
    journey = reach_company_completed(campus, FRANCE)
    path = f"/missions/{journey.mission_id}/convention/scan"

    before_approval = upload(journey.student, path, pdf_bytes())
    approve(journey)
    assert journey.mission()["quick_start"] is False
    not_quick_start = upload(journey.student, path, pdf_bytes())

    assert before_approval.status_code == 409
    assert before_approval.json()["code"] == "scan_not_allowed"
    assert not_quick_start.status_code == 409
    assert not_quick_start.json()["code"] == "scan_not_allowed"
    assert "quick start" in not_quick_start.json()["message"]
    listed = journey.student.get(f"/missions/{journey.mission_id}/files")
    assert listed.json() == []


def test_scan_accepted_for_quick_start(campus: RunningCampus) -> None:
    journey = approved_quick_start(campus)
    mission_id = journey.mission_id
    content = pdf_bytes()

    uploaded = upload(
        journey.student,
        f"/missions/{mission_id}/convention/scan",
        content,
        filename="../Convention signée.pdf",
    )

    assert uploaded.status_code == 201, uploaded.text
    stored = uploaded.json()
    assert stored["kind"] == "agreement_scan"
    assert stored["media_type"] == "application/pdf"
    assert stored["sha256"] == hashlib.sha256(content).hexdigest()
    assert stored["size"] == len(content)
    assert stored["display_name"] == "Convention signée.pdf"
    assert stored["uploaded_by"] == {"email": journey.student.email, "role": "student"}
    assert journey.student.get(f"/missions/{mission_id}/files").json() == [stored]
    for reader in (journey.student, User(campus, CAREER_SERVICE)):
        download = reader.get(f"/missions/{mission_id}/files/{stored['id']}")
        assert download.status_code == 200, download.text
        assert download.content == content
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers["x-content-type-options"] == "nosniff"
        assert download.headers["content-disposition"].startswith("attachment")


def test_certificate_by_career_service(campus: RunningCampus) -> None:
    journey = approved_quick_start(campus)
    path = f"/missions/{journey.mission_id}/certificate"
    tutor_email = journey.mission()["tutor"]["email"]

    by_career_service = upload(
        User(campus, CAREER_SERVICE), path, png_bytes(), "attestation.png", "image/png"
    )
    by_tutor = upload(User(campus, tutor_email), path, pdf_bytes())

    assert by_career_service.status_code == 201, by_career_service.text
    assert by_career_service.json()["media_type"] == "image/png"
    assert by_career_service.json()["uploaded_by"]["role"] == "career_service"
    assert by_tutor.status_code == 403


def test_certificate_waits_for_approval(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)

    response = upload(
        journey.student, f"/missions/{journey.mission_id}/certificate", pdf_bytes()
    )

    assert response.status_code == 409
    assert response.json()["code"] == "not_approved"


def test_other_student_cannot_read_files(campus: RunningCampus) -> None:
    journey = start_mission(campus, ABROAD)
    mission_id = journey.mission_id
    uploaded = upload(journey.student, f"/missions/{mission_id}/insurance", pdf_bytes())
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    other = User(campus, fresh_student())

    listed = other.get(f"/missions/{mission_id}/files")
    downloaded = other.get(f"/missions/{mission_id}/files/{file_id}")
    uploaded_by_other = upload(other, f"/missions/{mission_id}/insurance", pdf_bytes())
    anonymous = User(campus).get(f"/missions/{mission_id}/files/{file_id}")

    assert listed.status_code == 404
    assert downloaded.status_code == 404
    assert uploaded_by_other.status_code == 404
    assert anonymous.status_code == 401
    assert len(journey.student.get(f"/missions/{mission_id}/files").json()) == 1


def test_file_of_other_mission_not_found(campus: RunningCampus) -> None:
    first = start_mission(campus, ABROAD)
    second = start_mission(campus, ABROAD)
    uploaded = upload(
        second.student, f"/missions/{second.mission_id}/insurance", pdf_bytes()
    )
    assert uploaded.status_code == 201, uploaded.text

    crossed = first.student.get(
        f"/missions/{first.mission_id}/files/{uploaded.json()['id']}"
    )

    assert crossed.status_code == 404


def test_company_link_reads_own_mission_only(campus: RunningCampus) -> None:
    mission_a = start_mission(campus, ABROAD)
    mission_b = start_mission(campus, ABROAD)
    content = pdf_bytes()
    file_a = upload(
        mission_a.student, f"/missions/{mission_a.mission_id}/insurance", content
    ).json()["id"]
    file_b = upload(
        mission_b.student, f"/missions/{mission_b.mission_id}/insurance", content
    ).json()["id"]
    token_a = send_to_company(mission_a)
    company = User(campus)

    own = company.get(f"/company/{token_a}/files/{file_a}")
    other = company.get(f"/company/{token_a}/files/{file_b}")
    forged = company.get(f"/company/{token_a}x/files/{file_a}")

    assert own.status_code == 200, own.text
    assert own.content == content
    assert other.status_code == 404
    assert forged.status_code == 401


def test_insurance_refused_in_france(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)

    response = upload(
        journey.student, f"/missions/{journey.mission_id}/insurance", pdf_bytes()
    )

    assert response.status_code == 409
    assert response.json()["code"] == "insurance_not_needed"


def test_bad_files_rejected_with_code(campus: RunningCampus) -> None:
    journey = start_mission(campus, ABROAD)
    path = f"/missions/{journey.mission_id}/insurance"
    cases = [
        (b"This is text, not a PDF.\n", "file_type_not_allowed"),
        (pdf_bytes()[:200], "file_unreadable"),
        (b"", "file_empty"),
    ]

    for content, code in cases:
        response = upload(journey.student, path, content, "assurance.pdf")
        assert response.status_code == 422, response.text
        assert response.json()["code"] == code
        assert response.json()["field"] == "file"

    missing_file = journey.student.post(path, data={"note": "no file"})
    assert missing_file.status_code == 422
    assert journey.student.get(f"/missions/{journey.mission_id}/files").json() == []


def test_oversized_upload_rejected(campus: RunningCampus) -> None:
    journey = start_mission(campus, ABROAD)
    path = f"/missions/{journey.mission_id}/insurance"
    over_kind_limit = b"%PDF-" + b"0" * (5 * MEBIBYTE)
    over_body_limit = b"%PDF-" + b"0" * (21 * MEBIBYTE)

    too_large_file = upload(journey.student, path, over_kind_limit)
    too_large_body = upload(journey.student, path, over_body_limit)

    assert too_large_file.status_code == 413
    assert too_large_file.json()["code"] == "file_too_large"
    assert "5 MB" in too_large_file.json()["message"]
    assert too_large_body.status_code == 413
    assert too_large_body.json()["code"] == "body_too_large"
    assert journey.student.get(f"/missions/{journey.mission_id}/files").json() == []


def test_upload_routes_keep_small_limit_elsewhere(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    two_mebibytes = {"description": "x" * (2 * MEBIBYTE)}

    response = journey.student.put(
        f"/missions/{journey.mission_id}/sections/mission", two_mebibytes
    )

    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_chunked_oversized_upload_rejected(campus: RunningCampus) -> None:
    journey = start_mission(campus, ABROAD)
    boundary = "campus-test-boundary"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-"
    ).encode()

    def chunks() -> Iterator[bytes]:
        # A generator body has no Content-Length, so httpx sends it chunked
        # and the gateway must count it as it arrives.
        yield head
        for _ in range(22):
            yield b"0" * MEBIBYTE
        yield f"\r\n--{boundary}--\r\n".encode()

    response = journey.student.http.post(
        f"/api/v1/missions/{journey.mission_id}/insurance",
        content=chunks(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )

    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
