"""The emails a due job sends, and whether the mission still needs them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.notifications.rules import (
    COMPANY_PURPOSE,
    OutgoingEmail,
    student_email,
    supervisor_email,
)
from shared.platform.links import LinkClaims, sign_link
from shared.platform.settings import Settings

EVALUATION_PURPOSE = "company_evaluation"

# The mission's status in which each kind of job still makes sense.
NEEDED_WHILE: dict[str, set[str]] = {
    "company_reminder": {"sent_to_company"},
    "company_alert": {"sent_to_company"},
    "tutor_reminder": {"tutor_review"},
    "tutor_alert": {"tutor_review"},
    "lead_time_warning": {
        "draft",
        "derogation_pending",
        "sent_to_company",
        "company_completed",
        "tutor_review",
        "career_service_review",
    },
    "self_evaluation_invitation": {"approved"},
    "synthesis_invitation": {"approved"},
    "company_evaluation_invitation": {"approved"},
    "deposit_open": {"approved"},
    "deposit_closing": {"approved"},
}


def still_needed(
    job: dict[str, Any], contacts: dict[str, Any], now: dt.datetime
) -> bool:
    """Tell whether a due job's email still makes sense for the mission, now."""
    if contacts.get("status") not in NEEDED_WHILE.get(job["kind"], set()):
        return False
    if _past(job, contacts, now.date()):
        return False
    if job["kind"].startswith("company_") and not contacts.get("supervisor_email"):
        return False
    if job["kind"].startswith("company_") and job["kind"] != (
        "company_evaluation_invitation"
    ):
        company_round = str(job["detail"]).split("#", 1)[0]
        return company_round == str(contacts.get("company_round"))
    return True


def _past(job: dict[str, Any], contacts: dict[str, Any], today: dt.date) -> bool:
    """Tell whether a warning is about a date already past, after a pause."""
    if job["kind"] == "lead_time_warning" and contacts.get("deadline"):
        return today > dt.date.fromisoformat(contacts["deadline"])
    if job["kind"] == "deposit_closing":
        return today > dt.date.fromisoformat(str(job["detail"]))
    return False


def emails_for_job(
    job: dict[str, Any], contacts: dict[str, Any], settings: Settings
) -> list[OutgoingEmail]:
    base = settings.public_url.rstrip("/")
    mission_id = job["mission_id"]
    mission_link = f"{base}/missions/{mission_id}"
    number = str(job["detail"]).rpartition("#")[2]
    career_service = settings.career_service_email
    staff = {"link": mission_link, "reminders": settings.reminder_count}
    match job["kind"]:
        case "company_reminder":
            claims = LinkClaims(mission_id, COMPANY_PURPOSE, contacts["company_round"])
            link = f"{base}/company/{sign_link(claims, settings.secret_key)}"
            return [
                supervisor_email(contacts, "company_reminder", link=link, number=number)
            ]
        case "company_alert":
            return [OutgoingEmail("company_alert", career_service, "fr", staff)]
        case "tutor_reminder":
            reminder = {"link": mission_link, "number": number}
            tutor = contacts["tutor_email"]
            return [OutgoingEmail("tutor_reminder", tutor, "fr", reminder)]
        case "tutor_alert":
            return [OutgoingEmail("tutor_alert", career_service, "fr", staff)]
        case "lead_time_warning":
            warning = {"link": mission_link, "deadline": contacts.get("deadline")}
            return [
                student_email(contacts, "lead_time_warning", **warning),
                OutgoingEmail("lead_time_alert", career_service, "fr", warning),
            ]
        case "company_evaluation_invitation":
            supervisor_round = int(contacts.get("supervisor_round", 1))
            claims = LinkClaims(mission_id, EVALUATION_PURPOSE, supervisor_round)
            token = sign_link(claims, settings.secret_key)
            language = contacts.get("company_language", "fr")
            link = f"{base}/company/evaluation/{token}?lang={language}"
            return [supervisor_email(contacts, job["kind"], link=link)]
        case "deposit_closing":
            closes_on = contacts.get("deposit_closes_on") or job["detail"]
            return [
                student_email(
                    contacts, job["kind"], link=mission_link, closes_on=closes_on
                )
            ]
    return [student_email(contacts, job["kind"], link=mission_link)]
