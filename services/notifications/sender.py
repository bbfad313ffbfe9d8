"""Delivery of queued emails: to the local mailbox, or over SMTP.

An email is marked sent only after the SMTP server accepted it. A crash
between that acceptance and the record sends it again on restart: delivery
errs on the side of a duplicate, never of a lost email.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from typing import Any, Protocol

import aiosmtplib
import structlog

from services.notifications import outbox
from shared.platform.db import Database
from shared.platform.observability import EMAILS_FAILED, EMAILS_SENT
from shared.platform.settings import Settings

log = structlog.get_logger()
# Backoff for recording an accepted email while the database is unreachable.
RECORD_RETRY_FIRST_SECONDS = 0.5
RECORD_RETRY_MAX_SECONDS = 10.0


class Mailer(Protocol):
    async def deliver(self, email: dict[str, Any]) -> None: ...


class MailboxMailer:
    """The embedded mode's mailbox: the email record itself is the mailbox."""

    async def deliver(self, email: dict[str, Any]) -> None:
        return None


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host is not None
        self._host = settings.smtp_host
        self._port = settings.smtp_port
        self._sender = settings.mail_from

    async def deliver(self, email: dict[str, Any]) -> None:
        # Python 3.11 folds a long UTF-8 subject into encoded words that mail
        # readers join without the space between them, so headers are not
        # folded below the RFC 5322 line limit.
        message = EmailMessage(policy=SMTP_POLICY.clone(max_line_length=998))
        message["From"] = self._sender
        message["To"] = email["recipient"]
        message["Subject"] = email["subject"]
        message["Message-ID"] = f"<{email['id']}@campus>"
        message.set_content(email["text_body"])
        message.add_alternative(email["html_body"], subtype="html")
        await aiosmtplib.send(message, hostname=self._host, port=self._port, timeout=30)


class Sender:
    def __init__(
        self,
        database: Database,
        mailer: Mailer,
        retry_base: dt.timedelta = dt.timedelta(seconds=5),
    ) -> None:
        self._database = database
        self._mailer = mailer
        self._retry_base = retry_base
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def notify(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def send_due(self) -> int:
        sent = 0
        while batch := await asyncio.to_thread(outbox.due, self._database):
            for email in batch:
                sent += await self._send_one(email)
            if len(batch) < 20:
                break
        return sent

    async def _send_one(self, email: dict[str, Any]) -> int:
        if not await asyncio.to_thread(outbox.claim, self._database, email):
            return 0
        try:
            await self._mailer.deliver(email)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            status = await asyncio.to_thread(
                outbox.mark_failed,
                self._database,
                email["id"],
                email["attempts"],
                str(error),
                self._retry_base,
            )
            EMAILS_FAILED.labels("gave_up" if status == "failed" else "retrying").inc()
            log_failure = log.error if status == "failed" else log.warning
            log_failure(
                "email.send_failed",
                email_id=email["id"],
                mission_id=email["mission_id"],
                attempts=email["attempts"] + 1,
                gave_up=status == "failed",
                error=str(error),
            )
            return 0
        await self._record_sent(email["id"])
        EMAILS_SENT.labels(email["kind"]).inc()
        log.info(
            "email.sent",
            email_id=email["id"],
            mission_id=email["mission_id"],
            kind=email["kind"],
        )
        return 1

    async def _record_sent(self, email_id: str) -> None:
        """Mark an accepted email as sent, retrying while the database is down.

        Giving up would leave the email claimed, and it would go out a second
        time once the claim is taken for a dead sender's.
        """
        delay = RECORD_RETRY_FIRST_SECONDS
        while True:
            try:
                await asyncio.to_thread(outbox.mark_sent, self._database, email_id)
                return
            except Exception as error:
                log.warning(
                    "email.record_sent_failed",
                    email_id=email_id,
                    error=str(error),
                    retry_seconds=delay,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECORD_RETRY_MAX_SECONDS)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        while True:
            try:
                await self.send_due()
            except Exception:
                log.exception("email.sender_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 2.0)
            self._wake.clear()
