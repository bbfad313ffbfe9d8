"""The JSON shape of an evaluation file, and the career service's overview row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.evaluations.domain import EvaluationFile, FormState
from services.evaluations.forms import FormCatalogue


def report_status(file: EvaluationFile, today: dt.date) -> str:
    """Return the report's status: not_open, open, waiting_for_tutor, refused,
    approved or overdue."""
    if file.report_approved:
        return "approved"
    if file.report_under_review:
        return "waiting_for_tutor"
    if file.deposit_open(today):
        return "refused" if file.reports else "open"
    if file.opens_on is not None and today < file.opens_on:
        return "not_open"
    return "overdue"


def _form(state: FormState, catalogue: FormCatalogue) -> dict[str, Any]:
    definition = catalogue.get(state.form_id, state.version)
    return {
        **state.model_dump(mode="json"),
        "definition": definition.model_dump(mode="json"),
    }


def present(
    file: EvaluationFile, catalogue: FormCatalogue, today: dt.date
) -> dict[str, Any]:
    forms = {kind: _form(state, catalogue) for kind, state in file.forms.items()}
    company = forms.get("company_evaluation")
    if company is not None and company["status"] != "submitted":
        # The student and the tutor see the company's answers once completed.
        company["answers"] = {}
    return {
        "mission_id": file.mission_id,
        "report": {
            "status": report_status(file, today),
            "opens_on": file.opens_on and file.opens_on.isoformat(),
            "closes_on": file.closes_on and file.closes_on.isoformat(),
            "reopened_until": file.reopened_until and file.reopened_until.isoformat(),
            "versions": [report.model_dump(mode="json") for report in file.reports],
        },
        "self_evaluation": forms.get("self_evaluation"),
        "synthesis": forms.get("synthesis"),
        "company_evaluation": company,
        "certificate_file_id": file.certificate_file_id,
    }


def overview_row(file: EvaluationFile, today: dt.date) -> dict[str, Any]:
    return {
        "mission_id": file.mission_id,
        "program_id": file.program_id,
        "student": file.student_name,
        "student_email": file.student_email,
        "tutor_email": file.tutor_email,
        "end_date": file.end_date and file.end_date.isoformat(),
        "report": report_status(file, today),
        "report_closes_on": file.closes_on and file.closes_on.isoformat(),
        **{
            kind: file.forms[kind].status if kind in file.forms else "missing"
            for kind in ("self_evaluation", "synthesis", "company_evaluation")
        },
        "certificate": file.certificate_file_id is not None,
    }
