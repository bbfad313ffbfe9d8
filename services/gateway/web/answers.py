"""Answers of a form definition, read from a posted HTML form."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData


def answers_from(form: FormData, definition: dict[str, Any]) -> dict[str, object]:
    """Collect each question's posted values; empty ones are left out."""
    answers: dict[str, object] = {}
    for question in definition["questions"]:
        values = [
            value
            for value in form.getlist(f"q.{question['id']}")
            if isinstance(value, str) and value.strip()
        ]
        if question["type"] == "multiple_choice":
            answers[question["id"]] = values
        elif values:
            answers[question["id"]] = values[0]
    return answers
