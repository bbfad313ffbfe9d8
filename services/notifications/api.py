"""HTTP routes of the notifications service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.notifications import outbox, schedule
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


@router.post("/emails/{email_id}/retry")
def retry_email(request: Request, actor: CurrentActor, email_id: str) -> dict[str, str]:
    """Queue a failed email again, once the cause of its failures is fixed."""
    require_role(actor, "career_service", "admin")
    if not outbox.retry(request.app.state.store.database, email_id):
        raise NotFoundError(f"no failed email {email_id}", field="email_id")
    request.app.state.sender.notify()
    return {"id": email_id, "status": "pending"}


@router.get("/emails/scheduled")
def list_scheduled(
    request: Request, actor: CurrentActor, mission_id: str
) -> list[dict[str, Any]]:
    """List a mission's planned emails: reminders, warnings and dated mailings."""
    require_role(actor, "career_service", "admin")
    return schedule.listing(request.app.state.store.database, mission_id)
