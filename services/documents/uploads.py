"""Files that people upload for a mission: checked by their content, then kept.

The type of a file comes from its bytes only, never from its name or declared
type: a PDF must start with `%PDF-` and open in pypdf with at least one page,
and an image must be a JPEG or PNG that Pillow identifies and verifies. A
rejected file is never stored. A stored file gets a metadata row and a
`FileUploaded` event, both written in one transaction.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError

from services.documents.storage import Storage
from shared.events.base import EventEnvelope, wrap
from shared.events.documents import FileUploaded
from shared.platform.actors import Actor
from shared.platform.db import Database, Row, Transaction, schema_transaction
from shared.platform.errors import CampusError, NotFoundError
from shared.platform.eventstore import EventStore
from shared.platform.projection import Projection

log = structlog.get_logger()

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
_IMAGE_TYPES = {"JPEG": JPEG, "PNG": PNG}
_PDF_OR_IMAGE = (PDF, JPEG, PNG)

# Each kind is also the folder or key prefix of its files in the storage.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "agreement_scan": _PDF_OR_IMAGE,
    "insurance": _PDF_OR_IMAGE,
    "report": (PDF,),
    "certificate": _PDF_OR_IMAGE,
}
KIND_LABELS = {
    "agreement_scan": "the scan of the agreement",
    "insurance": "the insurance certificate",
    "report": "the internship report",
    "certificate": "the internship certificate",
}
_TYPE_NAMES = {PDF: "a PDF", JPEG: "a JPEG image", PNG: "a PNG image"}
DISPLAY_NAME_MAX_LENGTH = 200
_PATH_SEPARATORS = re.compile(r"[/\\]")


class FileEmptyError(CampusError):
    status = 422
    code = "file_empty"


class FileTooLargeError(CampusError):
    status = 413
    code = "file_too_large"


class FileTypeNotAllowedError(CampusError):
    status = 422
    code = "file_type_not_allowed"


class FileUnreadableError(CampusError):
    status = 422
    code = "file_unreadable"


class FileContentMissingError(CampusError):
    status = 500
    code = "file_content_missing"


def check_kind(kind: str) -> None:
    if kind not in ALLOWED_TYPES:
        raise NotFoundError(
            f"unknown upload kind {kind!r}: use one of {', '.join(ALLOWED_TYPES)}",
            field="kind",
        )


def check_content(kind: str, content: bytes, max_bytes: int) -> str:
    """Return the media type found in `content`, or raise why it is rejected."""
    check_kind(kind)
    label = KIND_LABELS[kind]
    if not content:
        raise FileEmptyError(
            f"the file sent as {label} is empty (0 bytes): choose the file "
            "again and check that it opens on your computer",
            field="file",
        )
    if len(content) > max_bytes:
        raise FileTooLargeError(
            f"{label} must be at most {_megabytes(max_bytes)}: reduce the file, "
            "for example by scanning in grey at 150 dpi, and upload it again",
            field="file",
        )
    media_type = _media_type_of(content, kind)
    if media_type not in ALLOWED_TYPES[kind]:
        raise FileTypeNotAllowedError(
            f"{label} must be {_type_names(kind)}, and this file is "
            f"{_TYPE_NAMES[media_type]}: export it as PDF and upload it again",
            field="file",
        )
    return media_type


def _type_names(kind: str) -> str:
    names = [_TYPE_NAMES[media_type] for media_type in ALLOWED_TYPES[kind]]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _media_type_of(content: bytes, kind: str) -> str:
    if content.startswith(b"%PDF-"):
        _check_pdf(content)
        return PDF
    return _check_image(content, kind)


def _check_pdf(content: bytes) -> None:
    try:
        page_count = len(PdfReader(io.BytesIO(content)).pages)
    except FileNotDecryptedError as error:
        raise FileUnreadableError(
            "the PDF is protected by a password: save a copy without a password "
            "and upload that copy",
            field="file",
        ) from error
    # pypdf raises many exception types on a damaged file, not only PyPdfError,
    # and each of them means that the file cannot be read.
    except Exception as error:
        raise FileUnreadableError(
            f"the file starts like a PDF but cannot be read ({error}): it may be "
            "damaged or cut short; export or scan it again and upload the new file",
            field="file",
        ) from error
    if page_count < 1:
        raise FileUnreadableError(
            "the PDF has no pages: export the document again and upload the new file",
            field="file",
        )


def _check_image(content: bytes, kind: str) -> str:
    try:
        # Only the JPEG and PNG decoders see the bytes, whatever else Pillow has.
        with Image.open(io.BytesIO(content), formats=list(_IMAGE_TYPES)) as image:
            image_format = str(image.format)
            image.verify()
    except UnidentifiedImageError as error:
        raise FileTypeNotAllowedError(
            f"{KIND_LABELS[kind]} must be {_type_names(kind)}, judged by its "
            "content, and this file is none of them: export or scan it as PDF "
            "and upload it again",
            field="file",
        ) from error
    # Like pypdf, Pillow's verify() raises various exception types on a
    # damaged image, and Image.open raises DecompressionBombError on one with
    # more than twice Image.MAX_IMAGE_PIXELS pixels.
    except Exception as error:
        raise FileUnreadableError(
            f"the file looks like an image but cannot be read ({error}): it may "
            "be damaged or cut short; save or scan it again and upload the new file",
            field="file",
        ) from error
    return _IMAGE_TYPES[image_format]


def display_name(filename: str | None) -> str | None:
    """Keep an uploaded file's name as display text only.

    The folders of a full path are dropped, then control and format characters
    (such as a right-to-left override), and the rest is cut to 200 characters.
    """
    if not filename:
        return None
    last_part = _PATH_SEPARATORS.split(filename)[-1]
    printable = "".join(
        character
        for character in last_part
        if not unicodedata.category(character).startswith("C")
    )
    return printable[:DISPLAY_NAME_MAX_LENGTH].strip() or None


def create_schema(database: Database) -> None:
    with schema_transaction(database) as tx:
        tx.execute(
            """CREATE TABLE IF NOT EXISTS uploaded_files (
                file_id TEXT PRIMARY KEY, mission_id TEXT NOT NULL,
                kind TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
                media_type TEXT NOT NULL, uploaded_by TEXT NOT NULL,
                uploader_role TEXT NOT NULL, uploaded_at TEXT NOT NULL,
                display_name TEXT)"""
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS uploaded_files_mission "
            "ON uploaded_files (mission_id)"
        )
        # Files whose content was deleted on purpose, and why: not read models.
        tx.execute(
            """CREATE TABLE IF NOT EXISTS removed_files (
                file_id TEXT PRIMARY KEY, reason TEXT NOT NULL,
                removed_at TEXT NOT NULL)"""
        )


REMOVAL_REASONS = {
    "erased": "when its owner's personal data was erased",
    "retention": "at the end of the retention period of uploaded files",
}


def removal_of(database: Database, file_id: str) -> str | None:
    """Return why an uploaded file's content was deleted, if it was."""
    with database.transaction() as tx:
        row = tx.fetchone(
            "SELECT reason FROM removed_files WHERE file_id = ?", (file_id,)
        )
    return str(row["reason"]) if row else None


_COLUMNS = (
    "file_id",
    "mission_id",
    "kind",
    "sha256",
    "size",
    "media_type",
    "uploaded_by",
    "uploader_role",
    "uploaded_at",
    "display_name",
)


def project(tx: Transaction, envelopes: Sequence[EventEnvelope]) -> None:
    for envelope in envelopes:
        if envelope.event_type != "FileUploaded":
            continue
        row = {**envelope.data, "uploaded_at": envelope.occurred_at.isoformat()}
        tx.execute(
            f"INSERT INTO uploaded_files ({', '.join(_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in _COLUMNS)}) "
            "ON CONFLICT (file_id) DO NOTHING",
            [row.get(column) for column in _COLUMNS],
        )


PROJECTION = Projection(table="uploaded_files", key="file_id", project=project)


def present(row: Row) -> dict[str, Any]:
    """Return a file's metadata as the API shows it."""
    return {
        "id": row["file_id"],
        "mission_id": row["mission_id"],
        "kind": row["kind"],
        "display_name": row["display_name"],
        "media_type": row["media_type"],
        "size": int(row["size"]),
        "sha256": row["sha256"],
        "uploaded_by": {"email": row["uploaded_by"], "role": row["uploader_role"]},
        "uploaded_at": row["uploaded_at"],
    }


@dataclass(frozen=True)
class StoredFile:
    metadata: Row
    content: bytes

    @property
    def download_name(self) -> str:
        """A file name made of Campus's own values, safe in a header."""
        extension = {PDF: "pdf", JPEG: "jpg", PNG: "png"}[self.metadata["media_type"]]
        return f"{self.metadata['kind']}-{self.metadata['file_id']}.{extension}"


class Uploads:
    """Check, store, list and read the files uploaded for missions."""

    def __init__(
        self,
        store: EventStore,
        storage: Storage,
        max_bytes: dict[str, int],
        on_append: Callable[[], None],
    ) -> None:
        self._store = store
        self._storage = storage
        self._max_bytes = max_bytes
        self._on_append = on_append

    def max_bytes(self, kind: str) -> int:
        check_kind(kind)
        return self._max_bytes[kind]

    def upload(
        self,
        actor: Actor,
        mission_id: str,
        kind: str,
        content: bytes,
        filename: str | None,
    ) -> dict[str, Any]:
        """Check and store one file, record it, and return its metadata."""
        media_type = check_content(kind, content, self.max_bytes(kind))
        file_id = str(uuid.uuid4())
        sha256 = self._storage.write(kind, file_id, content)
        uploaded = FileUploaded(
            file_id=file_id,
            mission_id=mission_id,
            kind=kind,
            sha256=sha256,
            size=len(content),
            media_type=media_type,
            uploaded_by=actor.email,
            uploader_role=actor.role,
            display_name=display_name(filename),
        )
        envelope = self._record(actor, uploaded)
        log.info("upload.stored", file_id=file_id, mission_id=mission_id, kind=kind)
        uploaded_at = envelope.occurred_at.isoformat()
        return present({**envelope.data, "uploaded_at": uploaded_at})

    def _record(self, actor: Actor, uploaded: FileUploaded) -> EventEnvelope:
        aggregate_id = f"file-{uploaded.file_id}"
        envelope = wrap(
            uploaded,
            aggregate_id=aggregate_id,
            aggregate_version=1,
            actor=actor.email,
            occurred_at=dt.datetime.now(dt.UTC),
        )
        try:
            self._store.append(aggregate_id, 0, [envelope], project)
        except Exception:
            # The content is written before the row, so that every committed
            # row has its content. Without the row, the content must go.
            self._storage.delete(uploaded.kind, uploaded.file_id)
            log.exception("upload.record_failed", file_id=uploaded.file_id)
            raise
        self._on_append()
        return envelope

    def files_of(self, mission_id: str) -> list[dict[str, Any]]:
        with self._store.database.transaction() as tx:
            rows = tx.fetchall(
                "SELECT * FROM uploaded_files WHERE mission_id = ? "
                "ORDER BY uploaded_at, file_id",
                (mission_id,),
            )
        return [present(row) for row in rows]

    def read(self, mission_id: str, file_id: str) -> StoredFile:
        """Return a file of `mission_id`, or raise NotFoundError for any other file."""
        with self._store.database.transaction() as tx:
            row = tx.fetchone(
                "SELECT * FROM uploaded_files WHERE file_id = ? AND mission_id = ?",
                (file_id, mission_id),
            )
        if row is None:
            raise NotFoundError(f"no file {file_id} for mission {mission_id}")
        content = self._storage.read(row["kind"], file_id)
        removed = None
        if content is None:
            removed = removal_of(self._store.database, file_id)
        if removed is not None:
            raise NotFoundError(
                f"file {file_id} was deleted "
                + REMOVAL_REASONS.get(removed, "on purpose"),
                field="file_id",
            )
        if content is None:
            log.error("upload.content_missing", file_id=file_id, kind=row["kind"])
            raise FileContentMissingError(
                f"the content of file {file_id} is missing from the storage, so it "
                "cannot be downloaded: ask the career service to upload it again"
            )
        return StoredFile(metadata=row, content=content)
