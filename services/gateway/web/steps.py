"""The next action on a mission, for the person who looks at it."""

from __future__ import annotations

from typing import Any

from services.gateway.i18n import N_


def student_next_action(mission: dict[str, Any]) -> str:
    """Return the catalog id of the next step: the student's own, or the one awaited."""
    status = mission["status"]
    if status == "draft":
        if not mission.get("start_date"):
            return N_("Enter the dates and the place of the internship.")
        if mission.get("missing_for_submission"):
            return N_("Complete the sections marked as incomplete.")
        return N_("Check the sheet and send it to the company.")
    if status == "derogation_pending":
        return N_("Wait for the career service's decision on your derogation request.")
    if status == "sent_to_company":
        return N_("Wait for the company to complete and validate the sheet.")
    if status == "company_completed":
        if mission.get("tutor_refusal"):
            return N_(
                "Your tutor refused the sheet: send it back to the company or "
                "cancel it."
            )
        if mission.get("send_back_reason"):
            return N_(
                "The career service sent the sheet back: send it back to the "
                "company or cancel it."
            )
        return N_("Check the company's data, then confirm, send back or cancel.")
    if status == "tutor_review":
        return N_("Wait for your academic tutor's approval.")
    if status == "career_service_review":
        return N_("Wait for the career service's final approval.")
    if status == "approved":
        if mission.get("location") == "abroad" and not mission.get(
            "abroad_steps_acknowledged_at"
        ):
            return N_(
                "Read and confirm the mandatory steps abroad, and upload your "
                "insurance certificate."
            )
        if not mission.get("originals_received_at"):
            return N_(
                "Download the agreement, have three copies signed and return them "
                "to the career service."
            )
        return N_("Nothing to do now: the agreement is complete.")
    return N_("Nothing to do: the sheet is cancelled.")


def student_must_act(mission: dict[str, Any]) -> bool:
    status = mission["status"]
    if status in ("draft", "company_completed"):
        return True
    if status == "approved":
        return not mission.get("originals_received_at")
    return False
