"""Names shown on the pages for roles, states and history entries, as catalog ids."""

from __future__ import annotations

from services.gateway.i18n import N_

ROLE_NAMES = {
    "student": N_("Student"),
    "tutor": N_("Academic tutor"),
    "career_service": N_("Career service"),
    "admin": N_("Administrator"),
    "company": N_("Company contact"),
}

STATUS_NAMES = {
    "draft": N_("Draft"),
    "derogation_pending": N_("Derogation requested"),
    "sent_to_company": N_("With the company"),
    "company_completed": N_("To check by the student"),
    "tutor_review": N_("With the tutor"),
    "career_service_review": N_("With the career service"),
    "approved": N_("Approved"),
    "cancelled": N_("Cancelled"),
}

FILE_KINDS = {
    "scan": N_("Scan of the signed agreement"),
    "insurance": N_("Insurance certificate"),
    "report": N_("Internship report"),
    "certificate": N_("End-of-internship certificate"),
}

EVENT_NAMES = {
    "MissionCreated": N_("Sheet created"),
    "DatesSet": N_("Dates and place set"),
    "DerogationRequested": N_("Derogation requested"),
    "DerogationApproved": N_("Derogation approved"),
    "DerogationRejected": N_("Derogation rejected"),
    "SectionSaved": N_("Section saved"),
    "MissionSentToCompany": N_("Sent to the company"),
    "CompanyCompleted": N_("Completed by the company"),
    "TutorAssigned": N_("Tutor assigned"),
    "StudentConfirmed": N_("Confirmed by the student"),
    "MissionCancelled": N_("Cancelled"),
    "TutorApproved": N_("Approved by the tutor"),
    "TutorRefused": N_("Refused by the tutor"),
    "MissionSentBack": N_("Sent back by the career service"),
    "MissionApproved": N_("Final approval"),
    "AbroadStepsAcknowledged": N_("Abroad steps acknowledged"),
    "OriginalsReceived": N_("Signed originals received"),
    "SupervisorChanged": N_("Supervisor changed"),
}
