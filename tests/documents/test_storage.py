"""The file stores: one suite, run on a local folder and on an S3 server.

The S3 store runs against moto's server, started on a free loopback port, so
that boto3 speaks real HTTP without leaving this machine.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.documents.storage import FileStorage, S3Storage, Storage, open_storage
from shared.platform.errors import InvalidFieldError
from shared.platform.settings import Settings
from tests.harness.s3 import MotoServer

CONTENT = bytes(range(256)) * 40
UNSAFE_IDS = ["../escape", "a/b", "a\\b", "", "dots.pdf", "x" * 65, "é"]


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """Start moto's S3 server on a free loopback port, and stop it afterwards."""
    server = MotoServer()
    yield server.url
    server.stop()


def s3_settings(moto_url: str, data_dir: Path, **overrides: str) -> Settings:
    values = {
        "data_dir": data_dir,
        "s3_endpoint_url": moto_url,
        "s3_bucket": f"campus-test-{uuid.uuid4().hex[:12]}",
        "s3_access_key": "campus-test",
        "s3_secret_key": "campus-test-secret",
        **overrides,
    }
    return Settings.model_validate(values)


class StorageContract:
    """What every store must do. Subclasses provide the `storage` fixture."""

    def test_write_returns_sha256(self, storage: Storage) -> None:
        digest = storage.write("uploads", "file-1", CONTENT)
        assert digest == hashlib.sha256(CONTENT).hexdigest()

    def test_read_returns_written_bytes(self, storage: Storage) -> None:
        storage.write("uploads", "file-1", CONTENT)
        assert storage.read("uploads", "file-1") == CONTENT

    def test_write_replaces_content(self, storage: Storage) -> None:
        storage.write("uploads", "file-1", b"first")
        storage.write("uploads", "file-1", b"second")
        assert storage.read("uploads", "file-1") == b"second"

    def test_kinds_keep_files_apart(self, storage: Storage) -> None:
        storage.write("insurance", "same-id", b"insurance")
        storage.write("certificate", "same-id", b"certificate")
        assert storage.read("insurance", "same-id") == b"insurance"
        assert storage.read("certificate", "same-id") == b"certificate"

    def test_missing_file_reads_none(self, storage: Storage) -> None:
        assert storage.read("uploads", "never-written") is None

    def test_delete_removes_file(self, storage: Storage) -> None:
        storage.write("uploads", "file-1", CONTENT)
        storage.delete("uploads", "file-1")
        assert storage.read("uploads", "file-1") is None

    def test_delete_missing_file_passes(self, storage: Storage) -> None:
        storage.delete("uploads", "never-written")

    def test_empty_content_round_trip(self, storage: Storage) -> None:
        storage.write("uploads", "empty", b"")
        assert storage.read("uploads", "empty") == b""

    @pytest.mark.parametrize("file_id", UNSAFE_IDS)
    def test_unsafe_id_rejected(self, storage: Storage, file_id: str) -> None:
        with pytest.raises(InvalidFieldError) as raised:
            storage.write("uploads", file_id, CONTENT)
        assert raised.value.field == "id"
        with pytest.raises(InvalidFieldError):
            storage.read("uploads", file_id)
        with pytest.raises(InvalidFieldError):
            storage.delete("uploads", file_id)

    @pytest.mark.parametrize("kind", ["../etc", "a/b", "", "Uploads"])
    def test_unsafe_kind_rejected(self, storage: Storage, kind: str) -> None:
        with pytest.raises(InvalidFieldError) as raised:
            storage.write(kind, "file-1", CONTENT)
        assert raised.value.field == "kind"


class TestFileStorage(StorageContract):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> FileStorage:
        return FileStorage(tmp_path / "files")

    def test_files_stay_under_root(self, storage: FileStorage) -> None:
        storage.write("uploads", "file-1", CONTENT)
        stored = [path for path in storage.root.rglob("*") if path.is_file()]
        assert stored == [storage.root / "uploads" / "file-1"]

    def test_earlier_pdf_name_still_read(self, storage: FileStorage) -> None:
        legacy = storage.root / "agreements" / "mission-1.pdf"
        legacy.parent.mkdir(parents=True)
        legacy.write_bytes(b"%PDF-1.4 earlier agreement")
        assert storage.read("agreements", "mission-1") == b"%PDF-1.4 earlier agreement"
        storage.delete("agreements", "mission-1")
        assert not legacy.exists()

    def test_open_storage_without_bucket(self, tmp_path: Path) -> None:
        opened = open_storage(Settings(data_dir=tmp_path))
        assert isinstance(opened, FileStorage)
        assert opened.root == tmp_path / "files"


class TestS3Storage(StorageContract):
    @pytest.fixture
    def storage(self, moto_url: str, tmp_path: Path) -> S3Storage:
        return S3Storage.from_settings(s3_settings(moto_url, tmp_path))

    def test_open_storage_with_bucket(self, moto_url: str, tmp_path: Path) -> None:
        settings = s3_settings(moto_url, tmp_path)
        opened = open_storage(settings)
        assert isinstance(opened, S3Storage)
        assert opened.bucket == settings.s3_bucket
        assert not (tmp_path / "files").exists()

    def test_existing_bucket_kept(self, moto_url: str, tmp_path: Path) -> None:
        settings = s3_settings(moto_url, tmp_path)
        first = S3Storage.from_settings(settings)
        first.write("uploads", "file-1", CONTENT)
        second = S3Storage.from_settings(settings)
        assert second.read("uploads", "file-1") == CONTENT

    def test_bucket_created_in_region(self, moto_url: str, tmp_path: Path) -> None:
        settings = s3_settings(moto_url, tmp_path, s3_region="eu-west-3")
        storage = S3Storage.from_settings(settings)
        storage.write("uploads", "file-1", CONTENT)
        assert storage.read("uploads", "file-1") == CONTENT
