"""The emails each event calls for, to whoever acts next, in their language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.events.base import EventEnvelope
from shared.platform.links import LinkClaims, sign_link
from shared.platform.settings import Settings

COMPANY_PURPOSE = "company_completion"
# Statuses in which the company had already received the mission sheet.
COMPANY_INVOLVED = {
    "sent_to_company",
    "company_completed",
    "tutor_review",
    "career_service_review",
    "approved",
}


@dataclass(frozen=True)
class OutgoingEmail:
    kind: str
    to: str
    language: str
    context: dict[str, Any] = field(default_factory=dict)


def student_email(contacts: dict[str, Any], kind: str, **context: Any) -> OutgoingEmail:
    return OutgoingEmail(
        kind=kind,
        to=contacts["student_email"],
        language=contacts.get("student_language", "fr"),
        context=context,
    )


def supervisor_email(
    contacts: dict[str, Any], kind: str, **context: Any
) -> OutgoingEmail:
    return OutgoingEmail(
        kind=kind,
        to=contacts["supervisor_email"],
        language=contacts.get("company_language", "fr"),
        context=context,
    )


def emails_for(
    envelope: EventEnvelope, contacts: dict[str, Any], settings: Settings
) -> list[OutgoingEmail]:
    """Return the emails one event calls for, given the mission's contacts."""
    data = envelope.data
    base = settings.public_url.rstrip("/")
    mission_link = f"{base}/missions/{envelope.aggregate_id}"
    career_service = settings.career_service_email
    match envelope.event_type:
        case "MissionSentToCompany":
            token = sign_link(
                LinkClaims(
                    envelope.aggregate_id, COMPANY_PURPOSE, data["company_round"]
                ),
                settings.secret_key,
            )
            kind = (
                "company_changes_requested"
                if data.get("message")
                else "company_request"
            )
            return [
                supervisor_email(
                    contacts,
                    kind,
                    link=f"{base}/company/{token}",
                    message=data.get("message"),
                    days=settings.company_link_days,
                )
            ]
        case "SupervisorChanged" if data["status"] == "sent_to_company" and data.get(
            "email_changed", True
        ):
            token = sign_link(
                LinkClaims(
                    envelope.aggregate_id, COMPANY_PURPOSE, data["company_round"]
                ),
                settings.secret_key,
            )
            link = f"{base}/company/{token}"
            days = settings.company_link_days
            return [supervisor_email(contacts, "company_request", link=link, days=days)]
        case "CompanyCompleted":
            return [student_email(contacts, "company_completed", link=mission_link)]
        case "StudentConfirmed":
            return [
                OutgoingEmail(
                    kind="tutor_request",
                    to=contacts["tutor_email"],
                    language="fr",
                    context={"link": mission_link, "message": data.get("message")},
                )
            ]
        case "TutorAssigned" if (
            data.get("previous_tutor_email") and data.get("status") == "tutor_review"
        ):
            # A tutor reassigned while the sheet awaits approval gets the request.
            return [
                OutgoingEmail(
                    kind="tutor_request",
                    to=data["tutor_email"],
                    language="fr",
                    context={"link": mission_link, "message": data.get("reason")},
                )
            ]
        case "TutorRefused":
            return [
                student_email(
                    contacts, "tutor_refused", link=mission_link, reason=data["reason"]
                )
            ]
        case "TutorApproved":
            return [
                OutgoingEmail(
                    "final_approval_request",
                    career_service,
                    "fr",
                    {"link": mission_link},
                )
            ]
        case "MissionSentBack":
            return [
                student_email(
                    contacts, "sent_back", link=mission_link, reason=data["reason"]
                )
            ]
        case "AgreementGenerated":
            link = f"{base}/api/v1/missions/{data['mission_id']}/convention.pdf"
            return [student_email(contacts, "agreement_ready", link=link)]
        case "DerogationRequested":
            return [
                OutgoingEmail(
                    "derogation_requested",
                    career_service,
                    "fr",
                    {
                        "link": mission_link,
                        "message": data["message"],
                        "reasons": data["reasons"],
                    },
                )
            ]
        case "DerogationApproved" | "DerogationRejected":
            approved = envelope.event_type == "DerogationApproved"
            return [
                student_email(
                    contacts,
                    "derogation_approved" if approved else "derogation_rejected",
                    link=mission_link,
                    message=data["message"],
                )
            ]
        case "MissionCancelled":
            return _cancellation_emails(data, contacts)
        case "ReportSubmitted" if contacts.get("tutor_email"):
            link = f"{base}/missions/{data['mission_id']}"
            context = {"link": link, "version": data["version"]}
            return [
                OutgoingEmail(
                    "report_submitted", contacts["tutor_email"], "fr", context
                )
            ]
        case "ReportApproved" | "ReportRefused":
            kind = (
                "report_approved"
                if envelope.event_type == "ReportApproved"
                else ("report_refused")
            )
            link = f"{base}/missions/{data['mission_id']}"
            return [student_email(contacts, kind, link=link, comment=data["comment"])]
        case "DepositReopened":
            link = f"{base}/missions/{data['mission_id']}"
            return [
                student_email(
                    contacts, "deposit_reopened", link=link, until=data["until"]
                )
            ]
        case "FormSubmitted" if data["form"] == "company_evaluation":
            return _company_evaluation_emails(data, contacts, base)
    return []


def _company_evaluation_emails(
    data: dict[str, Any], contacts: dict[str, Any], base: str
) -> list[OutgoingEmail]:
    link = f"{base}/missions/{data['mission_id']}"
    emails = [student_email(contacts, "company_evaluation_done", link=link)]
    if contacts.get("tutor_email"):
        tutor = contacts["tutor_email"]
        emails.append(
            OutgoingEmail("company_evaluation_done", tutor, "fr", {"link": link})
        )
    return emails


def _cancellation_emails(
    data: dict[str, Any], contacts: dict[str, Any]
) -> list[OutgoingEmail]:
    emails = []
    if data["previous_status"] in COMPANY_INVOLVED and contacts.get("supervisor_email"):
        emails.append(
            supervisor_email(contacts, "cancelled_company", reason=data["reason"])
        )
    if data["by_role"] != "student":
        emails.append(
            student_email(contacts, "cancelled_student", reason=data["reason"])
        )
    return emails
