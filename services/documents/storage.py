"""Files kept by the documents service, named by ids, never by uploaded names.

Two stores share one interface: a local folder, and an S3-compatible bucket
(Amazon S3, MinIO) chosen when `CAMPUS_S3_BUCKET` is set. A file is addressed
by a kind (the folder or key prefix) and an id that Campus generated.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from pathlib import Path
from typing import Any, Protocol

import boto3  # type: ignore[import-untyped]
import structlog
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from shared.platform.errors import InvalidFieldError
from shared.platform.settings import Settings

log = structlog.get_logger()

_SAFE_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_SAFE_KIND = re.compile(r"^[a-z][a-z_]{0,31}$")


class Storage(Protocol):
    def write(self, kind: str, file_id: str, content: bytes) -> str:
        """Store `content` under `kind` and `file_id`, and return its SHA-256 in hex."""
        ...

    def read(self, kind: str, file_id: str) -> bytes | None:
        """Return the stored content, or None when there is no such file."""
        ...

    def delete(self, kind: str, file_id: str) -> None:
        """Remove a file. Removing a missing file does nothing."""
        ...


def check_name(kind: str, file_id: str) -> None:
    """Raise InvalidFieldError unless both parts are safe as a path or key part."""
    if not _SAFE_KIND.fullmatch(kind):
        raise InvalidFieldError(f"invalid file kind {kind!r}", field="kind")
    if not _SAFE_ID.fullmatch(file_id):
        raise InvalidFieldError(f"invalid file id {file_id!r}", field="id")


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class FileStorage:
    """Files in a local folder, at `<root>/<kind>/<file_id>`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, kind: str, file_id: str) -> Path:
        check_name(kind, file_id)
        return self.root / kind / file_id

    def _legacy_path(self, kind: str, file_id: str) -> Path:
        # Earlier versions stored every file, agreements included, as
        # `<file_id>.pdf`, so that name is still read and deleted.
        return self._path(kind, file_id).with_suffix(".pdf")

    def write(self, kind: str, file_id: str, content: bytes) -> str:
        """Store `content` atomically and return its SHA-256."""
        path = self._path(kind, file_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{file_id}.{uuid.uuid4().hex}.tmp")
        temporary.write_bytes(content)
        os.replace(temporary, path)
        return sha256_of(content)

    def read(self, kind: str, file_id: str) -> bytes | None:
        for path in (self._path(kind, file_id), self._legacy_path(kind, file_id)):
            if path.exists():
                return path.read_bytes()
        return None

    def delete(self, kind: str, file_id: str) -> None:
        self._path(kind, file_id).unlink(missing_ok=True)
        self._legacy_path(kind, file_id).unlink(missing_ok=True)


class S3Storage:
    """Objects in one bucket of an S3-compatible store, keyed `<kind>/<file_id>`."""

    def __init__(self, client: Any, bucket: str, region: str) -> None:
        self._client = client
        self.bucket = bucket
        self._region = region

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        """Connect to the bucket named in the settings, creating it if missing."""
        if settings.s3_bucket is None:
            raise ValueError("CAMPUS_S3_BUCKET must be set to use the S3 store")
        secret = settings.s3_secret_key
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
            config=_client_config(settings),
        )
        storage = cls(client, settings.s3_bucket, settings.s3_region)
        storage.create_bucket_if_missing()
        return storage

    def create_bucket_if_missing(self) -> None:
        try:
            self._client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as error:
            if _error_code(error) not in ("404", "NoSuchBucket", "NotFound"):
                raise
        arguments: dict[str, Any] = {"Bucket": self.bucket}
        # us-east-1 is S3's default region and rejects an explicit constraint.
        if self._region != "us-east-1":
            arguments["CreateBucketConfiguration"] = {
                "LocationConstraint": self._region
            }
        try:
            self._client.create_bucket(**arguments)
        except ClientError as error:
            if _error_code(error) != "BucketAlreadyOwnedByYou":
                raise
        log.info("storage.bucket_created", bucket=self.bucket)

    def _key(self, kind: str, file_id: str) -> str:
        check_name(kind, file_id)
        return f"{kind}/{file_id}"

    def write(self, kind: str, file_id: str, content: bytes) -> str:
        self._client.put_object(
            Bucket=self.bucket, Key=self._key(kind, file_id), Body=content
        )
        return sha256_of(content)

    def read(self, kind: str, file_id: str) -> bytes | None:
        try:
            response = self._client.get_object(
                Bucket=self.bucket, Key=self._key(kind, file_id)
            )
        except ClientError as error:
            if _error_code(error) in ("NoSuchKey", "404"):
                return None
            raise
        content: bytes = response["Body"].read()
        return content

    def delete(self, kind: str, file_id: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=self._key(kind, file_id))


def _client_config(settings: Settings) -> Any:
    # MinIO and most other S3-compatible servers on a custom address serve
    # buckets under the path, not as a subdomain.
    addressing = "path" if settings.s3_endpoint_url else "auto"
    return Config(
        s3={"addressing_style": addressing},
        connect_timeout=5,
        read_timeout=30,
        retries={"max_attempts": 3, "mode": "standard"},
    )


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def open_storage(settings: Settings) -> Storage:
    """Open the S3 store when a bucket is configured, else the local folder."""
    if settings.s3_bucket:
        return S3Storage.from_settings(settings)
    return FileStorage(settings.data_dir / "files")
