"""Files kept by the documents service, named by ids, never by uploaded names."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from shared.platform.errors import InvalidFieldError

_SAFE_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


class FileStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, kind: str, file_id: str) -> Path:
        if not _SAFE_ID.fullmatch(file_id):
            raise InvalidFieldError(f"invalid file id {file_id!r}", field="id")
        return self.root / kind / f"{file_id}.pdf"

    def write(self, kind: str, file_id: str, content: bytes) -> str:
        """Store `content` atomically and return its SHA-256."""
        path = self._path(kind, file_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(content)
        os.replace(temporary, path)
        return hashlib.sha256(content).hexdigest()

    def read(self, kind: str, file_id: str) -> bytes | None:
        path = self._path(kind, file_id)
        return path.read_bytes() if path.exists() else None
