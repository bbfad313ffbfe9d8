"""Events of the documents service, published on `campus.documents.v1`."""

from __future__ import annotations

from shared.events.base import DomainEvent, register


class DocumentEvent(DomainEvent):
    aggregate_type = "document"


@register
class AgreementGenerated(DocumentEvent):
    mission_id: str
    sha256: str
    size: int
