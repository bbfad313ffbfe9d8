"""Which fields of each event are personal data, and whose.

Every personal value in an event is sealed with the key of one person (see
`shared/platform/personal.py`) before the event reaches the store or the log.
A field belongs to one of the mission's people, named by its role:

- `student`: the mission's student. Free text (messages, reasons, comments,
  form answers) and personal data of people who have no Campus account of
  their own (the host's representative) belong to the student too, so that
  erasing the student erases everything said in or about the mission.
- `supervisor`: the mission's current company supervisor.
- `tutor`: the mission's academic tutor.
- `email`: the person whose email address the value is (an actor in the
  approved sheet's history, the uploader of a file).

A path is a dotted list of keys into the event's `data`; `*` stands for every
item of a list or every value of an object. The envelope's `actor` is always
sealed with the key of the person whose email it is.
"""

from __future__ import annotations

from typing import Literal

Role = Literal["student", "supervisor", "tutor", "email"]
Fields = dict[str, Role]

# Paths inside one saved section's fields, by section name.
SECTION_FIELDS: dict[str, Fields] = {
    "student": {"*": "student"},
    "supervisor": {"*": "supervisor"},
    "organisation": {"representative_name": "student"},
    "terms": {"interruptions.*.reason": "student"},
    "mission": {},
}

_APPROVED_SHEET: Fields = {
    "mission.sections.student.*": "student",
    "mission.sections.supervisor.*": "supervisor",
    "mission.sections.organisation.representative_name": "student",
    "mission.sections.terms.interruptions.*.reason": "student",
    "mission.student.*": "student",
    "mission.tutor.*": "tutor",
    "mission.history.*.actor": "email",
    "mission.history.*.message": "student",
    "mission.derogation.request_message": "student",
    "mission.derogation.decision_message": "student",
    "mission.tutor_refusal": "student",
    "mission.send_back_reason": "student",
    "mission.cancel_reason": "student",
}

PERSONAL_FIELDS: dict[str, Fields] = {
    # missions
    "MissionCreated": {"student_email": "student", "student_name": "student"},
    "DerogationRequested": {"message": "student"},
    "DerogationApproved": {"message": "student"},
    "DerogationRejected": {"message": "student"},
    "MissionSentToCompany": {"supervisor_email": "supervisor", "message": "student"},
    "TutorAssigned": {
        "tutor_email": "tutor",
        "tutor_name": "tutor",
        "previous_tutor_email": "email",
        "reason": "student",
    },
    "StudentConfirmed": {"message": "student"},
    "MissionCancelled": {"reason": "student"},
    "TutorRefused": {"reason": "student"},
    "MissionSentBack": {"reason": "student"},
    "MissionApproved": _APPROVED_SHEET,
    "SupervisorChanged": {"fields.*": "supervisor", "supervisor_email": "supervisor"},
    # documents
    "FileUploaded": {"uploaded_by": "email", "display_name": "student"},
    # evaluations
    "EvaluationFileOpened": {
        "student_email": "student",
        "student_name": "student",
        "tutor_email": "tutor",
        "supervisor_email": "supervisor",
    },
    "ReportApproved": {"comment": "student"},
    "ReportRefused": {"comment": "student"},
    "FormSaved": {"answers.*": "student"},
    "FormSubmitted": {"answers.*": "student"},
    "SupervisorRenewed": {"supervisor_email": "supervisor"},
    "TutorRenewed": {"tutor_email": "tutor"},
    # programs: a tutor's capacity names the tutor, who may be erased later
    "TutorCapacityChanged": {"tutor_email": "email"},
}


def personal_fields(event_type: str, data: dict[str, object]) -> Fields:
    """Return the personal paths of one event's data, with whose they are."""
    if event_type == "SectionSaved":
        section = str(data.get("section", ""))
        return {
            f"fields.{path}": role
            for path, role in SECTION_FIELDS.get(section, {"*": "student"}).items()
        }
    return PERSONAL_FIELDS.get(event_type, {})
