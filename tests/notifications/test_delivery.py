"""Email delivery over real SMTP (aiosmtpd) and the once-only email record."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email
import email.policy
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import pytest
from aiosmtpd.controller import Controller

from services.notifications import contacts, outbox, schedule
from services.notifications.handlers import make_apply
from services.notifications.sender import Sender, SmtpMailer
from shared.events.base import wrap
from shared.events.missions import MissionCreated, MissionSentToCompany, SectionSaved
from shared.platform.db import SqliteDatabase, Transaction
from shared.platform.eventstore import EventStore
from shared.platform.runtime import handled_once
from shared.platform.settings import Settings
from tests.harness.processes import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    store = EventStore(SqliteDatabase(tmp_path / "notifications.db"))
    contacts.create_schema(store.database)
    outbox.create_schema(store.database)
    schedule.create_schema(store.database)
    return store


def _settings(tmp_path: Path, smtp_port: int) -> Settings:
    return Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=smtp_port)


def _mission_events() -> list[Any]:
    events = [
        MissionCreated(
            student_email="elodie.dupre@etu.ecole-campus.fr",
            student_name="Élodie Dupré",
            student_language="fr",
            program_id="mge-1-2026",
            program_name="Master Grande École",
        ),
        SectionSaved(
            section="supervisor",
            fields={"first_name": "François", "last_name": "Lefèvre"},
            by="student",
        ),
        MissionSentToCompany(
            company_round=1, supervisor_email="francois@sge-eaux.fr", language="fr"
        ),
    ]
    now = dt.datetime.now(dt.UTC)
    return [
        wrap(
            event,
            aggregate_id="m-1",
            aggregate_version=i + 1,
            actor=None,
            occurred_at=now,
        )
        for i, event in enumerate(events)
    ]


async def test_smtp_delivers_both_parts(
    tmp_path: Path, store: EventStore, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    handler = handled_once(
        store, "test", make_apply(_settings(tmp_path, port), lambda: None)
    )
    for envelope in _mission_events():
        await handler(envelope)
    sender = Sender(store.database, SmtpMailer(_settings(tmp_path, port)))

    sent = await sender.send_due()

    assert sent == 1
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "francois@sge-eaux.fr"
    assert "Élodie Dupré" in message["Subject"]
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and "Bonjour François Lefèvre" in text.get_content()
    assert html is not None and "<a href=" in html.get_content()
    record = outbox.listing(store.database)[0]
    assert record["status"] == "sent"


async def test_replayed_event_queues_no_second_email(
    tmp_path: Path, store: EventStore
) -> None:
    handler = handled_once(
        store, "test", make_apply(_settings(tmp_path, 1), lambda: None)
    )
    envelopes = _mission_events()

    for envelope in envelopes + envelopes:
        await handler(envelope)

    assert len(outbox.listing(store.database)) == 1


async def test_smtp_failure_keeps_email_for_retry(
    tmp_path: Path, store: EventStore
) -> None:
    closed_port = free_port()
    settings = _settings(tmp_path, closed_port)
    handler = handled_once(store, "test", make_apply(settings, lambda: None))
    for envelope in _mission_events():
        await handler(envelope)

    sent = await Sender(store.database, SmtpMailer(settings)).send_due()

    assert sent == 0
    record = outbox.listing(store.database)[0]
    assert record["status"] == "pending"
    assert record["attempts"] == 1
    assert record["last_error"]
    assert record["next_attempt_at"] > record["queued_at"]


async def test_failing_email_kept_for_career_service(
    tmp_path: Path, store: EventStore
) -> None:
    settings = _settings(tmp_path, free_port())
    handler = handled_once(store, "test", make_apply(settings, lambda: None))
    for envelope in _mission_events():
        await handler(envelope)
    sender = Sender(
        store.database, SmtpMailer(settings), retry_base=dt.timedelta(microseconds=1)
    )

    for _ in range(outbox.MAX_ATTEMPTS + 2):
        await sender.send_due()

    record = outbox.listing(store.database)[0]
    assert record["status"] == "failed"
    assert record["attempts"] == outbox.MAX_ATTEMPTS
    assert outbox.retry(store.database, record["id"]) is True
    assert outbox.listing(store.database)[0]["status"] == "pending"


async def test_two_senders_send_once(
    tmp_path: Path, store: EventStore, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    settings = _settings(tmp_path, port)
    handler = handled_once(store, "test", make_apply(settings, lambda: None))
    for envelope in _mission_events():
        await handler(envelope)
    first = Sender(store.database, SmtpMailer(settings))
    second = Sender(store.database, SmtpMailer(settings))

    counts = await asyncio.gather(first.send_due(), second.send_due())

    assert sorted(counts) == [0, 1]
    assert len(inbox.messages) == 1


class DatabaseOutage:
    """Test double: a real SQLite database whose transactions fail while `down`."""

    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database
        self.down = False

    @property
    def dialect(self) -> Literal["sqlite", "postgresql"]:
        return self._database.dialect

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        if self.down:
            raise sqlite3.OperationalError("unable to open database file")
        with self._database.transaction() as tx:
            yield tx

    @contextlib.contextmanager
    def read(self) -> Iterator[Transaction]:
        if self.down:
            raise sqlite3.OperationalError("unable to open database file")
        with self._database.read() as tx:
            yield tx

    def reclaim(self, tables: Sequence[str]) -> None:
        self._database.reclaim(tables)

    def close(self) -> None:
        self._database.close()


class InboxThatStopsDatabase(Inbox):
    """Accept a message, and take the database down for a second meanwhile."""

    def __init__(self, database: DatabaseOutage) -> None:
        super().__init__()
        self._database = database

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._database.down = True
        threading.Timer(1.0, setattr, (self._database, "down", False)).start()
        return await super().handle_DATA(server, session, envelope)


async def test_database_down_after_acceptance(
    tmp_path: Path, store: EventStore
) -> None:
    database = DatabaseOutage(SqliteDatabase(tmp_path / "notifications.db"))
    inbox = InboxThatStopsDatabase(database)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings = _settings(tmp_path, controller.port)
        handler = handled_once(store, "test", make_apply(settings, lambda: None))
        for envelope in _mission_events():
            await handler(envelope)

        sent = await Sender(database, SmtpMailer(settings)).send_due()
    finally:
        controller.stop()

    assert sent == 1
    assert len(inbox.messages) == 1
    assert outbox.listing(store.database)[0]["status"] == "sent"
