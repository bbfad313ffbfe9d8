"""HTTP routes of the notifications service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.notifications import outbox
from shared.platform.actors import CurrentActor, require_role
from shared.platform.errors import NotFoundError

router = APIRouter(prefix="/api/v1")


def _mailbox_entry(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "to": row["recipient"],
        "subject": row["subject"],
        "text": row["text_body"],
        "html": row["html_body"],
        "sent_at": row["sent_at"],
        "mission_id": row["mission_id"],
        "kind": row["kind"],
    }


def _require_mailbox(request: Request) -> None:
    settings = request.app.state.settings
    if not (settings.dev_login_enabled and settings.uses_mailbox):
        raise NotFoundError("the mailbox exists only in the embedded mode")


@router.get("/dev/mailbox")
def read_mailbox(request: Request) -> list[dict[str, Any]]:
    _require_mailbox(request)
    rows = outbox.listing(request.app.state.store.database, mailbox_only=True)
    return [_mailbox_entry(row) for row in rows]


@router.delete("/dev/mailbox", status_code=204)
def empty_mailbox(request: Request) -> None:
    _require_mailbox(request)
    outbox.empty_mailbox(request.app.state.store.database)


@router.get("/emails")
def list_emails(
    request: Request, actor: CurrentActor, mission_id: str | None = None
) -> list[dict[str, Any]]:
    require_role(actor, "career_service", "admin")
    rows = outbox.listing(request.app.state.store.database, mission_id=mission_id)
    return [
        {
            **_mailbox_entry(row),
            "status": row["status"],
            "attempts": row["attempts"],
            "last_error": row["last_error"],
            "queued_at": row["queued_at"],
        }
        for row in rows
    ]
