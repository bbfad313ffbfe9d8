"""The emails of a whole journey, reminders on a moved clock, once-only sending."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from tests.e2e.journey import (
    ABROAD,
    CAREER_SERVICE,
    CAREER_SERVICE_MAILBOX,
    FRANCE,
    Journey,
    approve,
    company_completes,
    send_to_company,
    start_mission,
)
from tests.harness.campus import Email, RunningCampus, User, wait_for, wait_for_email
from tests.harness.distributed import DistributedCampus
from tests.harness.seed import fresh_student

ORGANISATION = "Société Générale des Eaux"


def _about(campus: RunningCampus, journey: Journey) -> list[Email]:
    """Every email about one mission: it names the mission or goes to its supervisor."""
    return [
        email
        for email in campus.mailbox()
        if journey.mission_id in email["text"]
        or email["to"] == journey.supervisor_email
    ]


def _whole_journey(
    campus: RunningCampus, dates: dict[str, str], language: str
) -> Journey:
    journey = start_mission(campus, dates, student_email=fresh_student(language))
    company_completes(journey, send_to_company(journey))
    approve(journey)
    wait_for(
        lambda: (
            journey.student.get(
                f"/missions/{journey.mission_id}/convention.pdf"
            ).status_code
            == 200
        ),
        "the agreement",
    )
    return journey


def _listed(emails: list[Email]) -> list[tuple[str, str]]:
    return sorted((email["to"], email["subject"]) for email in emails)


def test_france_journey_emails(campus: RunningCampus) -> None:
    journey = _whole_journey(campus, FRANCE, "fr")
    student, name = journey.student.email, f"Étudiant n° {_number(journey)}"
    tutor = journey.mission()["tutor"]
    wait_for_email(
        campus, student, "Votre convention de stage est prête", journey.mission_id
    )

    emails = _about(campus, journey)

    assert _listed(emails) == sorted(
        [
            (journey.supervisor_email, f"Fiche de mission à compléter : {name}"),
            (student, f"{ORGANISATION} a complété votre fiche de mission"),
            (tutor["email"], f"Validation pédagogique demandée : {name}"),
            (CAREER_SERVICE_MAILBOX, f"Validation finale attendue : {name}"),
            (student, "Votre convention de stage est prête"),
        ]
    )
    by_kind = {email["subject"].split(" ")[0]: email for email in emails}
    assert "/company/" in by_kind["Fiche"]["text"]
    assert f"/missions/{journey.mission_id}/convention.pdf" in by_kind["Votre"]["text"]
    assert all('<a href="' in email["html"] for email in emails)


def test_abroad_journey_emails_in_english(campus: RunningCampus) -> None:
    journey = _whole_journey(campus, ABROAD, "en")
    student, name = journey.student.email, f"Student no. {_number(journey)}"
    tutor = journey.mission()["tutor"]
    wait_for_email(
        campus, student, "Your internship agreement is ready", journey.mission_id
    )

    emails = _about(campus, journey)

    # The company of an internship abroad and an English-speaking student get
    # English; school staff get French.
    assert _listed(emails) == sorted(
        [
            (journey.supervisor_email, f"Mission sheet to complete: {name}"),
            (student, "Wasserwerke München GmbH completed your mission sheet"),
            (tutor["email"], f"Validation pédagogique demandée : {name}"),
            (CAREER_SERVICE_MAILBOX, f"Validation finale attendue : {name}"),
            (student, "Your internship agreement is ready"),
        ]
    )


def test_each_email_sent_once(campus: RunningCampus) -> None:
    _whole_journey(campus, FRANCE, "fr")

    ids = [email["id"] for email in campus.mailbox()]

    assert len(ids) == len(set(ids))


def test_replay_sends_nothing_twice(campus: RunningCampus) -> None:
    journey = _whole_journey(campus, FRANCE, "fr")
    wait_for_email(
        campus,
        journey.student.email,
        "convention de stage est prête",
        journey.mission_id,
    )
    time.sleep(3)  # let every email already queued go out before the count
    before = sorted(email["id"] for email in campus.mailbox())

    replayed = campus.run_command("replay", "notifications")
    time.sleep(3)  # the sender wakes at least every 2 s

    assert '"notifications":' in replayed
    assert sorted(email["id"] for email in campus.mailbox()) == before


def _reminders_to(campus: RunningCampus, supervisor: str) -> list[str]:
    return sorted(
        email["subject"].split(" :")[0]
        for email in campus.mailbox()
        if email["to"] == supervisor and email["subject"].startswith("Rappel")
    )


def test_company_reminded_then_alert(
    campus: RunningCampus, move_clock: Callable[[dt.datetime], None]
) -> None:
    journey = start_mission(campus, FRANCE)
    send_to_company(journey)
    sent_at = dt.datetime.now(dt.UTC)
    supervisor = journey.supervisor_email

    for day, expected in ((3, 1), (6, 2), (9, 3)):
        move_clock(sent_at + dt.timedelta(days=day, minutes=1))
        wait_for(
            lambda n=expected: len(_reminders_to(campus, supervisor)) == n,  # type: ignore[misc]
            f"reminder {expected}",
        )
    move_clock(sent_at + dt.timedelta(days=12, minutes=1))

    alert = wait_for_email(
        campus,
        CAREER_SERVICE_MAILBOX,
        "Sans réponse de l'entreprise",
        journey.mission_id,
    )
    assert _reminders_to(campus, supervisor) == ["Rappel 1", "Rappel 2", "Rappel 3"]
    assert "3 rappels" in alert["text"]


def test_company_action_stops_reminders(
    campus: RunningCampus, move_clock: Callable[[dt.datetime], None]
) -> None:
    journey = start_mission(campus, FRANCE)
    token = send_to_company(journey)
    sent_at = dt.datetime.now(dt.UTC)
    move_clock(sent_at + dt.timedelta(days=3, minutes=1))
    wait_for(lambda: _reminders_to(campus, journey.supervisor_email), "reminder 1")

    company_completes(journey, token)
    wait_for_email(campus, journey.student.email, "a complété", journey.mission_id)
    move_clock(sent_at + dt.timedelta(days=13))
    time.sleep(3)

    assert _reminders_to(campus, journey.supervisor_email) == ["Rappel 1"]


def test_end_month_mailings_on_their_day(
    campus: RunningCampus, move_clock: Callable[[dt.datetime], None]
) -> None:
    journey = start_mission(campus, FRANCE)
    company_completes(journey, send_to_company(journey))
    approve(journey)

    # The end date is 30 July 2027: the mailings fall due on 30 June.
    def invitations() -> list[Email]:
        return [e for e in _about(campus, journey) if "dans un mois" in e["text"]]

    move_clock(dt.datetime(2027, 6, 29, 23, 0, tzinfo=dt.UTC))
    time.sleep(2)
    early = invitations()
    move_clock(dt.datetime(2027, 6, 30, 6, 1, tzinfo=dt.UTC))
    wait_for(lambda: len(invitations()) == 3, "the three invitations")

    assert early == []
    assert sorted(email["to"] for email in invitations()) == sorted(
        [journey.student.email, journey.student.email, journey.supervisor_email]
    )


def test_emails_wait_for_smtp_server(distributed_campus: RunningCampus) -> None:
    campus = distributed_campus
    journey = start_mission(campus, FRANCE)
    assert isinstance(campus, DistributedCampus)
    campus.stop_smtp()
    try:
        submitted = journey.student.post(f"/missions/{journey.mission_id}/submit")
        assert submitted.status_code == 200, submitted.text
        time.sleep(2)  # a few sends fail and are retried meanwhile
    finally:
        campus.start_smtp()

    email = wait_for_email(
        campus, journey.supervisor_email, "Fiche de mission à compléter"
    )
    copies = [e for e in campus.mailbox() if e["id"] == email["id"]]
    assert len(copies) == 1


def _number(journey: Journey) -> int:
    local = journey.student.email.split("@")[0]
    return int("".join(ch for ch in local if ch.isdigit()))


def test_career_service_sees_mission_emails(campus: RunningCampus) -> None:
    journey = start_mission(campus, FRANCE)
    send_to_company(journey)
    career_service = User(campus, CAREER_SERVICE)

    listed = career_service.get("/emails", params={"mission_id": journey.mission_id})
    by_student = journey.student.get(
        "/emails", params={"mission_id": journey.mission_id}
    )

    assert listed.status_code == 200
    records = listed.json()
    assert [(r["kind"], r["status"]) for r in records] == [("company_request", "sent")]
    assert records[0]["to"] == journey.supervisor_email
    assert by_student.status_code == 403
