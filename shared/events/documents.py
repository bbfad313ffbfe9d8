"""Events of the documents service, published on `campus.documents.v1`."""

from __future__ import annotations

from pydantic import Field

from shared.events.base import DomainEvent, register


class DocumentEvent(DomainEvent):
    aggregate_type = "document"


@register
class AgreementGenerated(DocumentEvent):
    mission_id: str
    sha256: str
    size: int


@register
class FileUploaded(DocumentEvent):
    """A file checked and stored for a mission. The content stays in storage."""

    file_id: str
    mission_id: str
    kind: str = Field(description="agreement_scan, insurance, report or certificate.")
    sha256: str = Field(description="SHA-256 of the content, in hex.")
    size: int = Field(description="Size of the content, in bytes.")
    media_type: str = Field(
        description="Type found in the content: application/pdf, image/jpeg or "
        "image/png."
    )
    uploaded_by: str = Field(description="Email of the person who uploaded it.")
    uploader_role: str
    display_name: str | None = Field(
        None, description="The uploaded file's name, for display only."
    )
