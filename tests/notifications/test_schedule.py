"""Reminders, alerts, warnings and dated mailings, with a clock the test moves."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from services.notifications import contacts, outbox, schedule
from services.notifications.handlers import make_apply
from services.notifications.scheduler import Scheduler
from shared.events import missions as ev
from shared.events.base import DomainEvent, EventEnvelope, wrap
from shared.events.evaluations import ReportDepositScheduled
from shared.platform.db import SqliteDatabase
from shared.platform.eventstore import EventStore
from shared.platform.links import read_link
from shared.platform.runtime import handled_once
from shared.platform.settings import Settings

SENT_AT = dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC)
STUDENT = "elodie.dupre@etu.ecole-campus.fr"
SUPERVISOR = "francois.lefevre@sge-eaux.fr"
TUTOR = "helene.cote@ecole-campus.fr"
CAREER_SERVICE = "scs@ecole-campus.fr"


class FakeClock:
    def __init__(self, now: dt.datetime) -> None:
        self.moment = now

    def now(self) -> dt.datetime:
        return self.moment


class Notifications:
    """The notifications service's handler and scheduler on one SQLite file."""

    def __init__(self, folder: Path, clock: FakeClock) -> None:
        self.settings = Settings(data_dir=folder)
        store = EventStore(SqliteDatabase(folder / "notifications.db"))
        for module in (contacts, outbox, schedule):
            module.create_schema(store.database)
        self.database = store.database
        self.handler = handled_once(store, "test", make_apply(self.settings, _noop))
        self.scheduler = Scheduler(store.database, clock, self.settings, _noop)
        self.fed: list[EventEnvelope] = []

    async def feed(self, *events: tuple[DomainEvent, dt.datetime]) -> None:
        for event, at in events:
            envelope = wrap(
                event,
                aggregate_id="m-1",
                aggregate_version=len(self.fed) + 1,
                actor=None,
                occurred_at=at,
            )
            self.fed.append(envelope)
            await self.handler(envelope)

    def emails(self, kind: str | None = None) -> list[dict[str, Any]]:
        rows = outbox.listing(self.database, mission_id="m-1")
        return [row for row in rows if kind is None or row["kind"] == kind]


def _noop() -> None:
    return None


def _draft_events(end: str = "2027-07-30") -> list[tuple[DomainEvent, dt.datetime]]:
    before = SENT_AT - dt.timedelta(hours=1)
    return [
        (
            ev.MissionCreated(
                student_email=STUDENT,
                student_name="Élodie Dupré",
                student_language="fr",
                program_id="mge-1-2026",
                program_name="Master Grande École",
            ),
            before,
        ),
        (
            ev.DatesSet(
                start_date=dt.date(2027, 4, 1),
                end_date=dt.date.fromisoformat(end),
                location="france",
                country="FR",
                deadline=dt.date(2027, 3, 24),
            ),
            before,
        ),
        (
            ev.SectionSaved(
                section="supervisor",
                fields={"first_name": "François", "last_name": "Lefèvre"},
                by="student",
            ),
            before,
        ),
    ]


SENT = ev.MissionSentToCompany(
    company_round=1, supervisor_email=SUPERVISOR, language="fr"
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(SENT_AT)


@pytest.fixture
def service(tmp_path: Path, clock: FakeClock) -> Notifications:
    return Notifications(tmp_path, clock)


def _at_day(clock: FakeClock, service: Notifications, days: float) -> int:
    clock.moment = SENT_AT + dt.timedelta(days=days)
    return service.scheduler.run_due()


async def test_company_reminded_three_times_then_alert(
    service: Notifications, clock: FakeClock
) -> None:
    await service.feed(*_draft_events(), (SENT, SENT_AT))

    sent_by_day = {day: _at_day(clock, service, day) for day in (2.9, 3, 6, 9, 12, 30)}

    assert sent_by_day == {2.9: 0, 3: 1, 6: 1, 9: 1, 12: 1, 30: 0}
    reminders = service.emails("company_reminder")
    assert [email["recipient"] for email in reminders] == [SUPERVISOR] * 3
    assert sorted(email["subject"][:8] for email in reminders) == [
        "Rappel 1",
        "Rappel 2",
        "Rappel 3",
    ]
    alerts = service.emails("company_alert")
    assert [email["recipient"] for email in alerts] == [CAREER_SERVICE]
    assert "/company/" in reminders[0]["text_body"]


async def test_company_action_cancels_reminders(
    service: Notifications, clock: FakeClock
) -> None:
    await service.feed(*_draft_events(), (SENT, SENT_AT))
    _at_day(clock, service, 3)
    acted = SENT_AT + dt.timedelta(days=4)
    await service.feed((ev.CompanyCompleted(company_round=1), acted))

    later = [_at_day(clock, service, day) for day in (6, 9, 12, 20)]

    assert later == [0, 0, 0, 0]
    assert len(service.emails("company_reminder")) == 1
    assert service.emails("company_alert") == []


async def test_tutor_reminded_until_decision(
    service: Notifications, clock: FakeClock
) -> None:
    confirmed_at = SENT_AT + dt.timedelta(days=1)
    await service.feed(
        *_draft_events(),
        (SENT, SENT_AT),
        (ev.CompanyCompleted(company_round=1), SENT_AT),
        (ev.TutorAssigned(tutor_email=TUTOR, tutor_name="Hélène Côté"), confirmed_at),
        (ev.StudentConfirmed(), confirmed_at),
    )
    _at_day(clock, service, 4)
    await service.feed((ev.TutorApproved(), SENT_AT + dt.timedelta(days=5)))

    after = [_at_day(clock, service, day) for day in (7, 10, 13)]

    assert [email["recipient"] for email in service.emails("tutor_reminder")] == [TUTOR]
    assert after == [0, 0, 0]


async def test_end_month_mailings_on_right_day(
    service: Notifications, clock: FakeClock
) -> None:
    await service.feed(
        *_draft_events(), (SENT, SENT_AT), (ev.MissionApproved(mission={}), SENT_AT)
    )
    # The end date is 30 July 2027, so one month before is 30 June, at 06:00 UTC.
    day_before = dt.datetime(2027, 6, 29, 23, 0, tzinfo=dt.UTC)
    on_the_day = dt.datetime(2027, 6, 30, 6, 0, tzinfo=dt.UTC)

    clock.moment = day_before
    early = service.scheduler.run_due()
    clock.moment = on_the_day
    due = service.scheduler.run_due()

    assert early == 0
    assert due == 3
    mailed = [e for e in service.emails() if e["kind"] != "company_request"]
    kinds = sorted((email["kind"], email["recipient"]) for email in mailed)
    assert kinds == [
        ("company_evaluation_invitation", SUPERVISOR),
        ("self_evaluation_invitation", STUDENT),
        ("synthesis_invitation", STUDENT),
    ]


async def test_date_change_moves_mailings(
    service: Notifications, clock: FakeClock
) -> None:
    await service.feed(*_draft_events())
    moved = ev.DatesSet(
        start_date=dt.date(2027, 4, 1),
        end_date=dt.date(2027, 8, 31),
        location="france",
        country="FR",
        deadline=dt.date(2027, 3, 24),
    )
    await service.feed(
        (moved, SENT_AT), (SENT, SENT_AT), (ev.MissionApproved(mission={}), SENT_AT)
    )

    clock.moment = dt.datetime(2027, 6, 30, 12, 0, tzinfo=dt.UTC)
    old_day = service.scheduler.run_due()
    clock.moment = dt.datetime(2027, 7, 31, 6, 0, tzinfo=dt.UTC)
    new_day = service.scheduler.run_due()

    assert old_day == 0
    assert new_day == 3


async def test_lead_time_warning_until_approved(
    service: Notifications, clock: FakeClock
) -> None:
    await service.feed(*_draft_events())
    # The deadline is 24 March 2027; the warning is due five days before.
    clock.moment = dt.datetime(2027, 3, 19, 6, 0, tzinfo=dt.UTC)

    sent = service.scheduler.run_due()

    assert sent == 1
    recipients = sorted(email["recipient"] for email in service.emails())
    assert recipients == [STUDENT, CAREER_SERVICE]


async def test_no_lead_time_warning_once_approved(
    service: Notifications, clock: FakeClock
) -> None:
    await service.feed(
        *_draft_events(), (SENT, SENT_AT), (ev.MissionApproved(mission={}), SENT_AT)
    )
    clock.moment = dt.datetime(2027, 3, 19, 6, 0, tzinfo=dt.UTC)

    service.scheduler.run_due()

    assert service.emails("lead_time_warning") == []


async def test_deposit_mailings_follow_schedule(
    service: Notifications, clock: FakeClock
) -> None:
    await service.feed(
        *_draft_events(), (SENT, SENT_AT), (ev.MissionApproved(mission={}), SENT_AT)
    )
    deposit = wrap(
        ReportDepositScheduled(
            mission_id="m-1",
            opens_on=dt.date(2027, 6, 30),
            closes_on=dt.date(2027, 10, 30),
        ),
        aggregate_id="evaluation-m-1",
        aggregate_version=1,
        actor=None,
        occurred_at=SENT_AT,
    )
    await service.handler(deposit)

    clock.moment = dt.datetime(2027, 10, 23, 6, 0, tzinfo=dt.UTC)
    service.scheduler.run_due()

    kinds = sorted(email["kind"] for email in service.emails())
    assert kinds.count("deposit_open") == 1
    assert kinds.count("deposit_closing") == 1
    closing = service.emails("deposit_closing")[0]
    assert "30 octobre 2027" in closing["subject"]


async def test_replay_and_restart_send_nothing_twice(
    tmp_path: Path, service: Notifications, clock: FakeClock
) -> None:
    events = [*_draft_events(), (SENT, SENT_AT)]
    await service.feed(*events)
    _at_day(clock, service, 6)
    before = len(service.emails())

    for envelope in service.fed:
        await service.handler(envelope)
    restarted = Notifications(tmp_path, clock)
    again = restarted.scheduler.run_due()

    # The company's request, then the reminders of day 3 and day 6.
    assert before == 3
    assert again == 0
    assert len(service.emails()) == before


async def test_new_supervisor_gets_fresh_evaluation_link(
    service: Notifications, clock: FakeClock
) -> None:
    await service.feed(
        *_draft_events(), (SENT, SENT_AT), (ev.MissionApproved(mission={}), SENT_AT)
    )
    clock.moment = dt.datetime(2027, 6, 30, 6, 0, tzinfo=dt.UTC)
    service.scheduler.run_due()
    changed_at = dt.datetime(2027, 7, 2, 9, 0, tzinfo=dt.UTC)
    new_email = "nadia.benali@sge-eaux.fr"
    changed = ev.SupervisorChanged(
        fields={"email": new_email, "first_name": "Nadia"},
        supervisor_email=new_email,
        company_round=1,
        supervisor_round=2,
        status="approved",
    )
    await service.feed((changed, changed_at))

    clock.moment = changed_at
    sent = service.scheduler.run_due()

    invitations = service.emails("company_evaluation_invitation")
    assert sent == 1
    assert sorted(email["recipient"] for email in invitations) == [
        SUPERVISOR,
        new_email,
    ]
    rounds = {
        email["recipient"]: _evaluation_round(email["text_body"], service.settings)
        for email in invitations
    }
    assert rounds == {SUPERVISOR: 1, new_email: 2}


def _evaluation_round(text: str, settings: Settings) -> int:
    match = re.search(r"/company/evaluation/([A-Za-z0-9._-]+)", text)
    assert match is not None, text
    claims = read_link(
        match.group(1),
        settings.secret_key,
        purpose="company_evaluation",
        max_age_seconds=10**9,
    )
    return claims.round
