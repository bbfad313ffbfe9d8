"""Uploaded files: judged by their content, stored with metadata and an event.

Each test runs the documents service's upload code on a real SQLite event
store and a local storage folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter

from services.documents import uploads
from services.documents.storage import FileStorage
from services.documents.uploads import Uploads, display_name
from shared.platform.actors import Actor
from shared.platform.db import SqliteDatabase
from shared.platform.errors import CampusError, NotFoundError
from shared.platform.eventstore import EventStore
from shared.platform.settings import DEFAULT_UPLOAD_MAX_BYTES

STUDENT = Actor(email="elodie.dupre@etu.ecole-campus.fr", name="Élodie", role="student")
CAREER_SERVICE = Actor(
    email="sophie.bernard@ecole-campus.fr", name="Sophie", role="career_service"
)
MISSION_ID = "3f2b8c4e-9a1d-4f6b-8e2a-5c7d9e0f1a2b"


def pdf_bytes(pages: int = 1, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password is not None:
        writer.encrypt(user_password=password, owner_password=password)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def image_bytes(image_format: str) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (16, 12), color=(200, 30, 30)).save(output, format=image_format)
    return output.getvalue()


def broken_png() -> bytes:
    """A PNG that opens, but whose image data fails its checksum."""
    content = bytearray(image_bytes("PNG"))
    image_data = content.index(b"IDAT") + 4
    content[image_data + 2] ^= 0xFF
    return bytes(content)


@dataclass
class Service:
    uploads: Uploads
    store: EventStore
    storage: FileStorage
    appended: list[int]

    def stored_files(self) -> list[Path]:
        return [path for path in self.storage.root.rglob("*") if path.is_file()]

    def event_count(self) -> int:
        with self.store.database.transaction() as tx:
            row = tx.fetchone("SELECT COUNT(*) AS count FROM events")
        assert row is not None
        return int(row["count"])

    def row_count(self) -> int:
        with self.store.database.transaction() as tx:
            row = tx.fetchone("SELECT COUNT(*) AS count FROM uploaded_files")
        assert row is not None
        return int(row["count"])


@pytest.fixture
def service(tmp_path: Path) -> Service:
    store = EventStore(SqliteDatabase(tmp_path / "documents.db"))
    uploads.create_schema(store.database)
    storage = FileStorage(tmp_path / "files")
    appended: list[int] = []
    upload_service = Uploads(
        store, storage, dict(DEFAULT_UPLOAD_MAX_BYTES), lambda: appended.append(1)
    )
    return Service(upload_service, store, storage, appended)


REJECTIONS: list[tuple[str, str, Callable[[], bytes], str, str, int]] = [
    ("empty", "insurance", lambda: b"", "scan.pdf", "file_empty", 422),
    (
        "over the limit",
        "insurance",
        lambda: b"%PDF-" + b"0" * DEFAULT_UPLOAD_MAX_BYTES["insurance"],
        "scan.pdf",
        "file_too_large",
        413,
    ),
    (
        "pdf name, png content",
        "report",
        lambda: image_bytes("PNG"),
        "report.pdf",
        "file_type_not_allowed",
        422,
    ),
    (
        "png name, text content",
        "insurance",
        lambda: b"This is a plain text file, not an image.\n",
        "photo.png",
        "file_type_not_allowed",
        422,
    ),
    (
        "truncated pdf",
        "agreement_scan",
        lambda: pdf_bytes(pages=2)[:300],
        "scan.pdf",
        "file_unreadable",
        422,
    ),
    (
        "pdf header, no pdf",
        "report",
        lambda: b"%PDF-1.7\nnothing else follows",
        "report.pdf",
        "file_unreadable",
        422,
    ),
    (
        "jpeg declared as pdf",
        "report",
        lambda: image_bytes("JPEG"),
        "report.pdf",
        "file_type_not_allowed",
        422,
    ),
    (
        "gif image",
        "certificate",
        lambda: image_bytes("GIF"),
        "certificate.gif",
        "file_type_not_allowed",
        422,
    ),
    (
        "damaged png",
        "certificate",
        broken_png,
        "certificate.png",
        "file_unreadable",
        422,
    ),
    (
        "password pdf",
        "insurance",
        lambda: pdf_bytes(password="secret"),
        "insurance.pdf",
        "file_unreadable",
        422,
    ),
]


@pytest.mark.parametrize(
    ("kind", "make_content", "filename", "code", "status"),
    [case[1:] for case in REJECTIONS],
    ids=[case[0] for case in REJECTIONS],
)
def test_bad_file_rejected(
    service: Service,
    kind: str,
    make_content: Callable[[], bytes],
    filename: str,
    code: str,
    status: int,
) -> None:
    with pytest.raises(CampusError) as raised:
        service.uploads.upload(STUDENT, MISSION_ID, kind, make_content(), filename)
    assert raised.value.code == code
    assert raised.value.status == status
    assert raised.value.field == "file"
    assert service.stored_files() == []
    assert service.row_count() == 0
    assert service.event_count() == 0
    assert service.appended == []


def test_rejection_messages_name_the_fix(service: Service) -> None:
    with pytest.raises(CampusError) as too_large:
        service.uploads.upload(
            STUDENT, MISSION_ID, "insurance", b"0" * (5 * 1024 * 1024 + 1), "a.pdf"
        )
    assert "at most 5 MB" in too_large.value.message
    with pytest.raises(CampusError) as not_pdf:
        service.uploads.upload(
            STUDENT, MISSION_ID, "report", image_bytes("PNG"), "report.pdf"
        )
    assert "must be a PDF" in not_pdf.value.message
    assert "export it as PDF" in not_pdf.value.message
    with pytest.raises(CampusError) as unreadable:
        service.uploads.upload(
            STUDENT, MISSION_ID, "report", pdf_bytes()[:200], "report.pdf"
        )
    assert "cannot be read" in unreadable.value.message


def test_file_at_the_limit_accepted(service: Service) -> None:
    content = pdf_bytes()
    limit = len(content)
    limited = Uploads(
        service.store, service.storage, {"insurance": limit}, lambda: None
    )
    stored = limited.upload(STUDENT, MISSION_ID, "insurance", content, "a.pdf")
    assert stored["size"] == limit
    with pytest.raises(CampusError) as raised:
        limited.upload(STUDENT, MISSION_ID, "insurance", content + b"\n", "a.pdf")
    assert raised.value.code == "file_too_large"


def test_unknown_kind_rejected(service: Service) -> None:
    with pytest.raises(NotFoundError) as raised:
        service.uploads.upload(STUDENT, MISSION_ID, "photo", pdf_bytes(), "a.pdf")
    assert raised.value.field == "kind"
    assert service.stored_files() == []


def test_good_pdf_stored(service: Service) -> None:
    content = pdf_bytes(pages=2)
    before = dt.datetime.now(dt.UTC)
    stored = service.uploads.upload(
        STUDENT, MISSION_ID, "insurance", content, "Attestation assurance.pdf"
    )
    assert stored["mission_id"] == MISSION_ID
    assert stored["kind"] == "insurance"
    assert stored["media_type"] == "application/pdf"
    assert stored["size"] == len(content)
    assert stored["sha256"] == hashlib.sha256(content).hexdigest()
    assert stored["uploaded_by"] == {"email": STUDENT.email, "role": "student"}
    assert stored["display_name"] == "Attestation assurance.pdf"
    uploaded_at = dt.datetime.fromisoformat(stored["uploaded_at"])
    assert before <= uploaded_at <= dt.datetime.now(dt.UTC)
    assert service.storage.read("insurance", stored["id"]) == content
    assert service.appended == [1]


def test_good_png_stored(service: Service) -> None:
    content = image_bytes("PNG")
    stored = service.uploads.upload(
        CAREER_SERVICE, MISSION_ID, "certificate", content, "certificate.png"
    )
    assert stored["media_type"] == "image/png"
    assert stored["sha256"] == hashlib.sha256(content).hexdigest()
    assert stored["uploaded_by"] == {
        "email": CAREER_SERVICE.email,
        "role": "career_service",
    }
    assert service.uploads.files_of(MISSION_ID) == [stored]


def test_jpeg_named_pdf_judged_by_content(service: Service) -> None:
    content = image_bytes("JPEG")
    stored = service.uploads.upload(
        STUDENT, MISSION_ID, "agreement_scan", content, "convention.pdf"
    )
    assert stored["media_type"] == "image/jpeg"
    read = service.uploads.read(MISSION_ID, stored["id"])
    assert read.content == content
    assert read.download_name == f"agreement_scan-{stored['id']}.jpg"


def test_event_recorded_without_content(service: Service) -> None:
    stored = service.uploads.upload(
        STUDENT, MISSION_ID, "insurance", pdf_bytes(), "insurance.pdf"
    )
    [envelope] = service.store.load(f"file-{stored['id']}")
    assert envelope.event_type == "FileUploaded"
    assert envelope.aggregate_type == "document"
    assert envelope.aggregate_version == 1
    assert envelope.actor == STUDENT.email
    assert envelope.data["sha256"] == stored["sha256"]
    assert envelope.data["mission_id"] == MISSION_ID
    assert set(envelope.data) == {
        "file_id",
        "mission_id",
        "kind",
        "sha256",
        "size",
        "media_type",
        "uploaded_by",
        "uploader_role",
        "display_name",
    }


def test_metadata_rebuilt_from_events(service: Service) -> None:
    service.uploads.upload(STUDENT, MISSION_ID, "insurance", pdf_bytes(), "a.pdf")
    service.uploads.upload(
        STUDENT, MISSION_ID, "agreement_scan", image_bytes("PNG"), "b.png"
    )
    before = service.uploads.files_of(MISSION_ID)
    applied = uploads.PROJECTION.rebuild_from_store(service.store)
    assert applied == 2
    assert service.uploads.files_of(MISSION_ID) == before


def test_file_of_other_mission_not_found(service: Service) -> None:
    stored = service.uploads.upload(
        STUDENT, MISSION_ID, "insurance", pdf_bytes(), "a.pdf"
    )
    with pytest.raises(NotFoundError):
        service.uploads.read("another-mission", stored["id"])
    assert service.uploads.files_of("another-mission") == []


def test_failed_record_removes_content(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail_append(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(service.store, "append", fail_append)
    with pytest.raises(RuntimeError):
        service.uploads.upload(STUDENT, MISSION_ID, "insurance", pdf_bytes(), "a.pdf")
    assert service.stored_files() == []
    assert service.appended == []


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("convention.pdf", "convention.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\elodie\\scan.pdf", "scan.pdf"),
        ("scan\x00\r\n.pdf", "scan.pdf"),
        ("facture\u202efdp.exe", "facturefdp.exe"),
        ("é" * 300, "é" * 200),
        ("  spaced.pdf  ", "spaced.pdf"),
        ("folder/", None),
        ("", None),
        (None, None),
    ],
)
def test_display_name_cleaned(filename: str | None, expected: str | None) -> None:
    assert display_name(filename) == expected
