"""PDF documents of a mission: the mission sheet and the internship agreement.

Both are Jinja2 templates under `templates/documents/`, rendered by xhtml2pdf
with the DejaVu Sans font embedded from `fonts/`, so that accented names come
out as typed. Rendering is synchronous and CPU-bound: callers run it in a
worker thread.

NOTE: DejaVu Sans draws Latin, Greek and Cyrillic letters but no Chinese,
Japanese or Korean ones. xhtml2pdf 0.2.28 logs a warning for each such
character and draws it blank or as a box, so a CJK name is lost from the PDF.
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from jinja2 import TemplateError
from PIL import Image
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from shared.events.labels import FIELD_LABELS, SECTION_TITLES
from shared.events.sections import SECTION_MODELS
from shared.platform.templates import template_environment

log = logging.getLogger(__name__)

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILES = frozenset({"DejaVuSans.ttf", "DejaVuSans-Bold.ttf"})

# The templates name their fonts `fonts/<file>`, which _resolve_font maps into
# FONTS_DIR. xhtml2pdf 0.2.28 reads local files only inside the directories of
# its resource policy and drops a font or an image outside them with just a
# warning. This policy allows the fonts folder alone, and no network access;
# _resource_policy adds the logo's folder when a document shows a logo.
_RESOURCE_POLICY = ResourceAccessPolicy.server(FONTS_DIR, allow_remote=False)

LOGO_FORMATS = frozenset({"PNG", "JPEG"})
# The logo is drawn 1.2 cm high in the page header, or smaller when it would
# be wider than 6 cm, so that it leaves room for the school's name.
LOGO_HEIGHT_CM = 1.2
LOGO_MAX_WIDTH_CM = 6.0

# xhtml2pdf 0.2.28 already serialises conversions with a lock of its own,
# because ReportLab keeps fonts in module globals. This lock keeps rendering
# safe if another version drops that lock.
_RENDER_LOCK = threading.Lock()

DEFAULT_SCHOOL_NAME = "École"
LANGUAGES = ("fr", "en")

SHEET_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "reference": "Référence",
        "program": "Formation",
        "dates": "Dates",
        "from": "du",
        "to": "au",
        "place": "Lieu",
        "france": "France",
        "abroad": "Étranger",
        "duration": "Durée de présence",
        "hours": "heures",
        "days": "jours",
        "months": "mois",
        "allowance": "Gratification minimale",
        "per_month": "par mois",
        "not_required": "non obligatoire (présence de deux mois au plus)",
        "yes": "oui",
        "no": "non",
        "per_week": "h par semaine",
    },
    "en": {
        "reference": "Reference",
        "program": "Program",
        "dates": "Dates",
        "from": "from",
        "to": "to",
        "place": "Place",
        "france": "France",
        "abroad": "Abroad",
        "duration": "Presence",
        "hours": "hours",
        "days": "days",
        "months": "months",
        "allowance": "Minimum allowance",
        "per_month": "per month",
        "not_required": "not required (two months of presence or less)",
        "yes": "yes",
        "no": "no",
        "per_week": "h a week",
    },
}

FIELD_KINDS: dict[str, str] = {
    "student.address": "long",
    "organisation.address": "long",
    "mission.description": "long",
    "mission.objectives": "long",
    "mission.skills": "long",
    "terms.weekly_hours": "number",
    "terms.working_days": "weekdays",
    "terms.periods": "periods",
    "terms.interruptions": "interruptions",
    "terms.holidays_worked": "bool",
    "terms.monthly_allowance": "money",
    "terms.benefits": "long",
    "terms.leave": "long",
    "terms.remote_work": "long",
}


class RenderingError(Exception):
    """A document could not be converted to PDF."""


def render_mission_sheet(mission: dict[str, Any], logo: Path | None = None) -> bytes:
    """Render the mission sheet, labelled in the mission's language, as PDF.

    `logo` is the path of the school's logo, a PNG or JPEG image shown in the
    header of every page. RenderingError is raised when it cannot be read.
    """
    language = _language_of(mission)
    context = {
        **_document_context(mission, logo),
        "locale": language,
        "labels": SHEET_LABELS[language],
        "sheet_sections": _sheet_sections(mission, language),
    }
    return _render_pdf("documents/mission_sheet.html", context, logo)


AGREEMENT_TEMPLATE = "documents/agreement.html"


def render_agreement(mission: dict[str, Any], logo: Path | None = None) -> bytes:
    """Render the internship agreement as PDF.

    The agreement is in French, followed by an English translation when the
    internship takes place abroad. `logo` is as for render_mission_sheet.
    """
    return _render_pdf(AGREEMENT_TEMPLATE, _agreement_context(mission, logo), logo)


def agreement_html(mission: dict[str, Any], logo: Path | None = None) -> str:
    """Render the agreement's HTML, the input that `render_agreement` converts.

    Its font URLs are relative to `FONTS_DIR.parent`; the logo path is absolute.
    """
    context = _agreement_context(mission, logo)
    document = f"{AGREEMENT_TEMPLATE} for mission {mission['id']}"
    return _render_html(AGREEMENT_TEMPLATE, context, document)


def _agreement_context(mission: dict[str, Any], logo: Path | None) -> dict[str, Any]:
    sections = _sections_of(mission)
    return {
        **_document_context(mission, logo),
        "with_english_version": mission.get("location") == "abroad",
        "presence_times": _presence_times(sections["terms"]),
    }


def _document_context(mission: dict[str, Any], logo: Path | None) -> dict[str, Any]:
    """Collect the values both documents show, with fallbacks for gaps."""
    sections = _sections_of(mission)
    account = mission.get("student") or {}
    organisation = sections["organisation"]
    return {
        "mission": mission,
        "logo": _logo_of(logo),
        "reference": _reference_of(mission),
        "program": mission.get("program") or {},
        "school": _school_of(mission),
        "tutor": mission.get("tutor") or {},
        "sections": sections,
        "student_name": _full_name(sections["student"]) or account.get("name"),
        "supervisor_name": _full_name(sections["supervisor"]),
        "country": mission.get("country") or organisation.get("country"),
    }


def _language_of(mission: dict[str, Any]) -> str:
    language = mission.get("language")
    return language if language in LANGUAGES else "fr"


def _reference_of(mission: dict[str, Any]) -> str:
    reference = mission.get("reference")
    return str(reference) if reference else str(mission["id"])[:8]


def _school_of(mission: dict[str, Any]) -> dict[str, Any]:
    school = mission.get("school") or {}
    return {
        "name": school.get("name") or DEFAULT_SCHOOL_NAME,
        "address": school.get("address"),
        "representative": school.get("representative"),
    }


def _logo_of(logo: Path | None) -> dict[str, str] | None:
    """Check that the logo is a PNG or JPEG image and size it for the header."""
    if logo is None:
        return None
    path = logo.resolve()
    try:
        with Image.open(path) as image:
            image_format = image.format
            width, height = image.size
    except (OSError, Image.DecompressionBombError) as error:
        message = f"reading the logo {path} failed: {error}. Give a PNG or JPEG image."
        raise RenderingError(message) from error
    if image_format not in LOGO_FORMATS:
        message = (
            f"the logo {path} is a {image_format} image, but only PNG and JPEG"
            " images are supported"
        )
        raise RenderingError(message)
    scale = min(LOGO_HEIGHT_CM / height, LOGO_MAX_WIDTH_CM / width)
    return {
        "path": path.as_posix(),
        "width": f"{width * scale:.2f}cm",
        "height": f"{height * scale:.2f}cm",
    }


def _presence_times(terms: dict[str, Any]) -> dict[str, bool]:
    """Tell whether the schedule plans presence at night, at weekends or on holidays.

    The weekdays come from the periods when the terms have any, because presence
    is then counted from the periods only. The terms have no field for night
    presence, so the agreement states that none is planned.
    """
    periods = terms.get("periods") or []
    if periods:
        days = {day for period in periods for day in period.get("working_days") or []}
    else:
        days = set(terms.get("working_days") or [])
    return {
        "night": False,
        "saturday": "saturday" in days,
        "sunday": "sunday" in days,
        "public_holidays": bool(terms.get("holidays_worked")),
    }


def _sections_of(mission: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return every section, as an empty dict when the mission has none."""
    stored_sections = mission.get("sections") or {}
    return {name: stored_sections.get(name) or {} for name in SECTION_MODELS}


def _full_name(person: dict[str, Any]) -> str | None:
    parts = [person.get("first_name"), person.get("last_name")]
    name = " ".join(str(part) for part in parts if part)
    return name or None


def _sheet_sections(mission: dict[str, Any], language: str) -> list[dict[str, Any]]:
    """List each section's title and its rows, every field in form order."""
    sections = _sections_of(mission)
    titles = SECTION_TITLES[language]
    sheet_sections: list[dict[str, Any]] = []
    for name, model in SECTION_MODELS.items():
        labels = FIELD_LABELS[language][name]
        rows = [
            {
                # A field added to the shared model before it has a label
                # still shows, under its own name.
                "label": labels.get(field, field.replace("_", " ")),
                "value": sections[name].get(field),
                "kind": FIELD_KINDS.get(f"{name}.{field}", "text"),
            }
            for field in model.model_fields
        ]
        sheet_sections.append({"title": titles[name], "rows": rows})
    return sheet_sections


def _render_pdf(
    template_name: str, context: dict[str, Any], logo: Path | None
) -> bytes:
    document = f"{template_name} for mission {context['mission']['id']}"
    html = _render_html(template_name, context, document)
    output = io.BytesIO()
    with _RENDER_LOCK:
        try:
            status = pisa.CreatePDF(
                html,
                dest=output,
                encoding="utf-8",
                link_callback=_resolve_font,
                resource_policy=_resource_policy(logo),
            )
        except Exception as error:
            message = f"converting {document} to PDF failed: {error}"
            raise RenderingError(message) from error
    _check_status(document, status)
    return output.getvalue()


def _render_html(template_name: str, context: dict[str, Any], document: str) -> str:
    """Render the template, raising RenderingError on a value it cannot show."""
    template = template_environment().get_template(template_name)
    try:
        return template.render(context)
    except (TemplateError, ValueError, ArithmeticError) as error:
        # ValueError: a date that is not ISO 8601. ArithmeticError: Decimal's
        # InvalidOperation, for an amount or a number of hours that is not one.
        message = (
            f"rendering {document} failed: {error}. Dates must be ISO 8601"
            " (YYYY-MM-DD) and amounts and hours decimal numbers."
        )
        raise RenderingError(message) from error


def _resource_policy(logo: Path | None) -> ResourceAccessPolicy:
    """Allow the fonts folder and, when there is a logo, the logo's folder."""
    if logo is None:
        return _RESOURCE_POLICY
    return replace(_RESOURCE_POLICY, extra_roots=(logo.resolve().parent,))


def _resolve_font(uri: str, relative_to: str | None) -> str | None:
    """Map `fonts/<file>` to the bundled font; leave any other URI unchanged."""
    name = uri.removeprefix("fonts/")
    if name in FONT_FILES:
        return str(FONTS_DIR / name)
    return None


def _check_status(document: str, status: Any) -> None:
    """Raise RenderingError on pisa errors, a font or a logo left out.

    Other warnings, such as a character no embedded font can draw, are logged
    and the PDF is kept.
    """
    problems: list[str] = []
    for level, line, message, _fragment in status.log:
        log.warning("xhtml2pdf %s in %s, line %s: %s", level, document, line, message)
        # xhtml2pdf 0.2.28 starts this message with "@font-face" when it
        # cannot read a font, and then draws the text in Helvetica. Its
        # warnings about an image contain the word "image", and the logo is
        # the only image that the templates draw.
        if (
            level == "error"
            or message.startswith("@font-face")
            or "image" in message.lower()
        ):
            problems.append(message)
    if status.err or problems:
        details = "; ".join(problems) or f"{status.err} error(s)"
        message = f"converting {document} to PDF failed: {details}"
        raise RenderingError(message)
