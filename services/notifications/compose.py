"""Turn an outgoing email into a subject, a plain-text part and an HTML part."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.notifications.rules import OutgoingEmail
from shared.platform.templates import template_environment

BUTTONS = {"fr": "Ouvrir dans Campus", "en": "Open in Campus"}
FOOTERS = {
    "fr": "message automatique, merci de ne pas y répondre.",
    "en": "automatic message, please do not reply.",
}


@dataclass(frozen=True)
class ComposedEmail:
    subject: str
    text: str
    html: str


def _names(contacts: dict[str, Any]) -> dict[str, str]:
    supervisor = contacts.get("supervisor", {})
    supervisor_name = " ".join(
        part
        for part in (supervisor.get("first_name"), supervisor.get("last_name"))
        if part
    )
    return {
        "student_name": contacts.get("student_name", ""),
        "program_name": contacts.get("program_name", ""),
        "supervisor_name": supervisor_name,
        "organisation_name": contacts.get("organisation", {}).get("name", ""),
        "mission_title": contacts.get("mission", {}).get("title", ""),
        "tutor_name": contacts.get("tutor_name", ""),
    }


def compose(email: OutgoingEmail, contacts: dict[str, Any]) -> ComposedEmail:
    environment = template_environment()
    lang = email.language if email.language in BUTTONS else "fr"
    context = {**_names(contacts), "message": None, "link": None, **email.context}
    rendered = environment.get_template(
        f"notifications/emails/{email.kind}.txt"
    ).render(lang=lang, **context)
    subject, _, body = rendered.strip().partition("\n")
    text = body.strip() + "\n"
    paragraphs = [block.splitlines() for block in text.split("\n\n") if block.strip()]
    html = environment.get_template("notifications/layout.html").render(
        lang=lang,
        subject=subject,
        paragraphs=paragraphs,
        link=context.get("link"),
        button=BUTTONS[lang],
        footer=FOOTERS[lang],
    )
    return ComposedEmail(subject=subject.strip(), text=text, html=html)
