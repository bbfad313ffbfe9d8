"""The JSON shape of a mission, for its readers and for the company's link."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.missions.domain import Mission
from services.missions.programs import Program
from shared.events.sections import (
    REQUIRED_ON_SUBMIT,
    REQUIRED_ON_VALIDATION,
    SECTION_MODELS,
    missing_fields,
)


def reference(mission: Mission) -> str:
    year = mission.created_at.year if mission.created_at else 0
    return f"CAMPUS-{year}-{mission.id[:8].upper()}"


def present(
    mission: Mission,
    program: Program,
    school: dict[str, Any],
    figures: dict[str, Any],
    today: dt.date,
) -> dict[str, Any]:
    """Shape a mission for the API, with its computed figures."""
    data = mission.model_dump(
        mode="json",
        include={
            "id",
            "status",
            "version",
            "program_id",
            "start_date",
            "end_date",
            "location",
            "country",
            "deadline",
            "derogation",
            "sections",
            "tutor_refusal",
            "send_back_reason",
            "cancel_reason",
            "created_at",
            "updated_at",
            "history",
            "abroad_steps_acknowledged_at",
            "originals_received_at",
        },
    )
    sections = {name: mission.sections.get(name, {}) for name in SECTION_MODELS}
    tutor = None
    if mission.tutor_email:
        tutor = {"name": mission.tutor_name, "email": mission.tutor_email}
    data.update(
        reference=reference(mission),
        language=mission.language,
        student={"email": mission.student_email, "name": mission.student_name},
        program={
            "id": program.id,
            "name": program.name,
            "academic_year": program.academic_year,
            "internship_type": program.internship_type,
        },
        school=school,
        sections=sections,
        tutor=tutor,
        missing_for_submission=missing_fields(sections, REQUIRED_ON_SUBMIT),
        missing_for_validation=missing_fields(sections, REQUIRED_ON_VALIDATION),
        # A quick start: the lead time has begun, so the signed originals may
        # not arrive before the start date and a scan is accepted meanwhile.
        quick_start=mission.deadline is not None and today >= mission.deadline,
        **figures,
    )
    return data


def present_for_company(presented: dict[str, Any]) -> dict[str, Any]:
    """Cut a presented mission down to what its link shows: no history or decisions."""
    data = dict(presented)
    for private in (
        "history",
        "derogation",
        "tutor_refusal",
        "send_back_reason",
        "version",
    ):
        data.pop(private, None)
    data["empty_fields"] = [
        f"{name}.{field}"
        for name, model in SECTION_MODELS.items()
        for field in model.model_fields
        if data["sections"][name].get(field) in (None, "")
    ]
    return data
