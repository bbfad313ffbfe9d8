"""PDF rendering of the mission sheet and the internship agreement.

Each document is rendered through xhtml2pdf and read back with pdfplumber, so
the checks read the text and fonts that a PDF viewer displays.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from xhtml2pdf.config.resources import (
    ResourceAccessPolicy,
)

from services.documents import rendering
from services.documents.rendering import (
    RenderingError,
    render_agreement,
    render_mission_sheet,
)
from shared.events.labels import FIELD_LABELS
from shared.events.sections import SECTION_MODELS
from shared.platform.templates import money_filter

Renderer = Callable[[dict[str, Any]], bytes]
RENDERERS = [render_mission_sheet, render_agreement]

MISSION: dict[str, Any] = {
    "id": "3f2b8c4e-9a1d-4f6b-8e2a-5c7d9e0f1a2b",
    "status": "approved",
    "language": "fr",
    "program": {
        "id": "mge-1-2026",
        "name": "Master Grande École, 1re année",
        "academic_year": "2026-2027",
    },
    "student": {"email": "elodie.dupre@campus.example", "name": "Élodie Dupré"},
    "start_date": "2027-04-01",
    "end_date": "2027-07-30",
    "location": "france",
    "country": "FR",
    "deadline": "2027-03-24",
    "tutor": {"name": "Hélène Côté", "email": "helene.cote@campus.example"},
    "school": {
        "name": "École Campus",
        "address": "8 boulevard Saint-Michel, 75006 Paris",
        "representative": "Jérôme Bérard, directeur des études",
    },
    "sections": {
        "student": {
            "first_name": "Élodie",
            "last_name": "Dupré",
            "email": "elodie.dupre@campus.example",
            "student_number": "20260042",
            "address": "14 rue des Écoles\n75005 Paris",
        },
        "organisation": {
            "name": "Société Générale des Eaux",
            "siret": "73282932000074",
            "address": "21 rue de la Boétie, 75008 Paris",
            "country": "FR",
            "sector": "Traitement de l'eau",
            "size": "250 à 499 salariés",
            "representative_name": "Noël Lemaître",
            "representative_position": "Directeur des ressources humaines",
        },
        "supervisor": {
            "first_name": "François",
            "last_name": "Lefèvre",
            "position": "Responsable du contrôle qualité",
            "email": "francois.lefevre@sge.example",
            "phone": "+33 1 42 00 00 00",
        },
        "mission": {
            "title": "Analyse de la qualité de l'eau potable",
            "description": "Suivre les prélèvements et rédiger les rapports.",
            "department": "Laboratoire d'hydrologie",
            "objectives": "Fiabiliser le contrôle des réseaux.",
            "skills": "Chimie analytique, rédaction technique.",
        },
        "terms": {
            "weekly_hours": "35.5",
            "working_days": ["monday", "tuesday", "wednesday", "thursday"],
            "monthly_allowance": "650.00",
            "allowance_payment": "Virement bancaire mensuel",
            "benefits": "Tickets-restaurant, remboursement de 50 % du pass Navigo",
            "leave": "2 jours par mois, à poser en accord avec le tuteur",
            "remote_work": "Un jour par semaine après le premier mois",
        },
    },
    "history": [],
    "reference": "CAMPUS-2027-0001",
}


def make_mission(**changes: Any) -> dict[str, Any]:
    """Return a copy of MISSION with top-level keys replaced."""
    mission = copy.deepcopy(MISSION)
    mission.update(changes)
    return mission


def set_field(mission: dict[str, Any], section: str, field: str, value: Any) -> None:
    mission["sections"][section][field] = value


def pdf_lines(pdf: bytes) -> str:
    """Return the text of every page, one line of the PDF per line."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages)


def flat(text: str) -> str:
    """Collapse every run of whitespace, NBSP included, to one space."""
    return " ".join(text.split())


def pdf_text(pdf: bytes) -> str:
    """Return the text as one line, because where lines wrap is up to the layout."""
    return flat(pdf_lines(pdf))


def pdf_page_texts(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [page.extract_text() or "" for page in document.pages]


def pdf_fonts(pdf: bytes) -> set[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return {char["fontname"] for page in document.pages for char in page.chars}


def rightmost_char_margin(pdf: bytes) -> float:
    """Return the smallest gap, in points, between any glyph and the page edge."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return min(
            float(page.width - char["x1"])
            for page in document.pages
            for char in page.chars
        )


@pytest.fixture(scope="module")
def sheet_text() -> str:
    return pdf_text(render_mission_sheet(make_mission()))


@pytest.fixture(scope="module")
def agreement_text() -> str:
    return pdf_text(render_agreement(make_mission()))


@pytest.fixture(scope="module")
def abroad_agreement_text() -> str:
    mission = make_mission(location="abroad", country="DE")
    set_field(mission, "organisation", "siret", None)
    set_field(mission, "organisation", "identifier", "HRB 731245")
    set_field(mission, "organisation", "country", "DE")
    return pdf_text(render_agreement(mission))


# Mission sheet


def test_mission_sheet_has_bilingual_title(sheet_text: str) -> None:
    assert "Fiche de mission / Mission sheet" in sheet_text


def test_mission_sheet_shows_reference(sheet_text: str) -> None:
    assert "CAMPUS-2027-0001" in sheet_text


def test_mission_sheet_shows_program(sheet_text: str) -> None:
    assert "Master Grande École, 1re année (2026-2027)" in sheet_text


def test_mission_sheet_formats_dates_in_french(sheet_text: str) -> None:
    assert "du 1er avril 2027 au 30 juillet 2027" in sheet_text


def test_mission_sheet_shows_place(sheet_text: str) -> None:
    assert "Lieu France (FR)" in sheet_text


@pytest.mark.parametrize(
    "name",
    ["Élodie", "Dupré", "Société Générale des Eaux", "François", "Lefèvre"],
)
def test_mission_sheet_shows_accented_names(sheet_text: str, name: str) -> None:
    assert name in sheet_text


@pytest.mark.parametrize("character", ["é", "è", "à", "ç", "ô", "É"])
def test_mission_sheet_keeps_accented_letters(sheet_text: str, character: str) -> None:
    assert character in sheet_text


def test_mission_sheet_labels_fields_in_french(sheet_text: str) -> None:
    assert "Numéro d'étudiant 20260042" in sheet_text


def test_mission_sheet_formats_allowance_as_money(sheet_text: str) -> None:
    expected = f"Gratification mensuelle {money_filter('650.00', 'fr')}"
    assert flat(expected) in sheet_text


def test_mission_sheet_formats_weekly_hours(sheet_text: str) -> None:
    assert "Heures de présence par semaine 35,5" in sheet_text


def test_mission_sheet_shows_dash_for_missing_field(sheet_text: str) -> None:
    # The student's phone is not in the fixture.
    assert "Téléphone —" in sheet_text


def test_mission_sheet_shows_dash_for_none_field() -> None:
    mission = make_mission()
    set_field(mission, "mission", "department", None)

    text = pdf_text(render_mission_sheet(mission))

    assert "Service —" in text


def test_mission_sheet_keeps_line_breaks() -> None:
    lines = pdf_lines(render_mission_sheet(make_mission()))

    assert "Adresse 14 rue des Écoles\n75005 Paris" in lines


def test_mission_sheet_uses_english_labels() -> None:
    text = pdf_text(render_mission_sheet(make_mission(language="en")))

    assert "First name Élodie" in text


def test_mission_sheet_formats_dates_in_english() -> None:
    text = pdf_text(render_mission_sheet(make_mission(language="en")))

    assert "from April 1, 2027 to July 30, 2027" in text


def test_mission_sheet_formats_allowance_in_english() -> None:
    text = pdf_text(render_mission_sheet(make_mission(language="en")))

    expected = f"Monthly allowance {money_filter('650.00', 'en')}"
    assert flat(expected) in text


def test_mission_sheet_uses_id_prefix_without_reference() -> None:
    mission = make_mission()
    del mission["reference"]

    text = pdf_text(render_mission_sheet(mission))

    assert "Référence 3f2b8c4e" in text


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_section_field_has_label(language: str) -> None:
    for section, model in SECTION_MODELS.items():
        labels = FIELD_LABELS[language][section]
        assert set(model.model_fields) <= set(labels), f"{language} {section}"


# Agreement


def test_agreement_has_french_title(agreement_text: str) -> None:
    assert "Convention de stage" in agreement_text


def test_agreement_names_school(agreement_text: str) -> None:
    assert "École Campus" in agreement_text


def test_agreement_names_school_representative(agreement_text: str) -> None:
    assert "Jérôme Bérard, directeur des études" in agreement_text


def test_agreement_names_host_organisation(agreement_text: str) -> None:
    assert "Société Générale des Eaux" in agreement_text


def test_agreement_names_host_representative(agreement_text: str) -> None:
    assert "Noël Lemaître" in agreement_text


def test_agreement_shows_siret_of_french_host(agreement_text: str) -> None:
    assert "numéro SIRET 73282932000074" in agreement_text


def test_agreement_names_student(agreement_text: str) -> None:
    assert "Élodie Dupré" in agreement_text


def test_agreement_names_school_tutor(agreement_text: str) -> None:
    expected = "Enseignant référent de l'établissement : Hélène Côté"
    assert expected in agreement_text


def test_agreement_names_host_supervisor(agreement_text: str) -> None:
    assert "Tuteur dans l'organisme d'accueil : François Lefèvre" in agreement_text


def test_agreement_names_program(agreement_text: str) -> None:
    assert "Master Grande École, 1re année" in agreement_text


def test_agreement_shows_dates_in_french(agreement_text: str) -> None:
    assert "du 1er avril 2027 au 30 juillet 2027" in agreement_text


def test_agreement_shows_weekly_hours(agreement_text: str) -> None:
    assert "35,5 heures" in agreement_text


def test_agreement_shows_working_days(agreement_text: str) -> None:
    assert "lundi, mardi, mercredi, jeudi" in agreement_text


def test_agreement_shows_allowance(agreement_text: str) -> None:
    expected = f"gratification mensuelle de {money_filter('650.00', 'fr')}"
    assert flat(expected) in agreement_text


def test_agreement_shows_allowance_payment(agreement_text: str) -> None:
    assert "Virement bancaire mensuel" in agreement_text


@pytest.mark.parametrize(
    "heading",
    [
        "Protection sociale",
        "Suspension et fin anticipée",
        "Évaluation",
        "Attestation de stage",
        "Signatures",
    ],
)
def test_agreement_has_clause(agreement_text: str, heading: str) -> None:
    assert heading in agreement_text


def test_agreement_in_france_has_no_english_version(agreement_text: str) -> None:
    assert "Internship agreement" not in agreement_text


def test_agreement_defaults_school_to_ecole() -> None:
    mission = make_mission()
    del mission["school"]

    text = pdf_text(render_agreement(mission))

    assert "École, représenté par —" in text


def test_agreement_footer_numbers_every_page() -> None:
    mission = make_mission()
    set_field(mission, "mission", "description", "Analyse des prélèvements. " * 400)

    pdf = render_agreement(mission)

    pages = [flat(text) for text in pdf_page_texts(pdf)]

    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert f"CAMPUS-2027-0001 — page {number} / {len(pages)}" in text


def test_abroad_agreement_keeps_french_version(abroad_agreement_text: str) -> None:
    assert "Convention de stage" in abroad_agreement_text


def test_abroad_agreement_adds_english_version(abroad_agreement_text: str) -> None:
    assert "Internship agreement" in abroad_agreement_text


def test_abroad_agreement_puts_english_after_french(
    abroad_agreement_text: str,
) -> None:
    french = abroad_agreement_text.index("Convention de stage")
    english = abroad_agreement_text.index("Internship agreement")
    assert french < english


def test_abroad_agreement_formats_english_dates(abroad_agreement_text: str) -> None:
    assert "from April 1, 2027 to July 30, 2027" in abroad_agreement_text


def test_abroad_agreement_formats_english_allowance(
    abroad_agreement_text: str,
) -> None:
    expected = f"monthly allowance of {money_filter('650.00', 'en')}"
    assert flat(expected) in abroad_agreement_text


def test_abroad_agreement_shows_legal_identifier(abroad_agreement_text: str) -> None:
    assert "identifiant légal HRB 731245" in abroad_agreement_text


# Both documents


@pytest.mark.parametrize("render", RENDERERS)
def test_pdf_embeds_only_dejavu_fonts(render: Renderer) -> None:
    fonts = pdf_fonts(render(make_mission()))

    assert fonts
    assert all("DejaVuSans" in font for font in fonts), fonts


@pytest.mark.parametrize("render", RENDERERS)
def test_rendering_escapes_script_tag(render: Renderer) -> None:
    mission = make_mission()
    set_field(mission, "mission", "title", "<script>alert('x')</script>")

    text = pdf_text(render(mission))

    assert "<script>alert('x')</script>" in text


@pytest.mark.parametrize("render", RENDERERS)
def test_rendering_shows_markup_as_text(render: Renderer) -> None:
    mission = make_mission()
    set_field(mission, "mission", "title", "Contrôle <b>qualité</b> & <i>suivi</i>")

    text = pdf_text(render(mission))

    assert "Contrôle <b>qualité</b> & <i>suivi</i>" in text


def test_agreement_escapes_markup_in_party_details() -> None:
    mission = make_mission()
    set_field(mission, "supervisor", "position", "<b>Chef</b> & adjoint")

    text = pdf_text(render_agreement(mission))

    assert "François Lefèvre, <b>Chef</b> & adjoint" in text


@pytest.mark.parametrize("render", RENDERERS)
def test_long_description_wraps_inside_page(render: Renderer) -> None:
    description = ("Suivi hebdomadaire des analyses de réseau. " * 70)[:3000]
    mission = make_mission()
    set_field(mission, "mission", "description", description)

    pdf = render(mission)

    assert rightmost_char_margin(pdf) > 20


@pytest.mark.parametrize("render", RENDERERS)
def test_long_description_is_complete(render: Renderer) -> None:
    description = " ".join(f"mot{n}" for n in range(600))
    mission = make_mission()
    set_field(mission, "mission", "description", description)

    words = pdf_text(render(mission)).split(" ")

    for word in ("mot0", "mot299", "mot599"):
        assert word in words


@pytest.mark.parametrize("render", RENDERERS)
def test_long_word_is_split_inside_page(render: Renderer) -> None:
    mission = make_mission()
    set_field(mission, "mission", "description", "é" * 300)

    pdf = render(mission)

    assert rightmost_char_margin(pdf) > 20


@pytest.mark.parametrize("render", RENDERERS)
def test_long_word_keeps_every_letter(render: Renderer) -> None:
    mission = make_mission()
    set_field(mission, "mission", "description", "é" * 300)

    text = pdf_text(render(mission))

    assert "é" * 300 in text.replace(" ", "")


@pytest.mark.parametrize("render", RENDERERS)
def test_rendering_accepts_minimal_mission(render: Renderer) -> None:
    text = pdf_text(render({"id": "9c1e5a7b-0000-4000-8000-000000000000"}))

    assert "9c1e5a7b" in text


@pytest.mark.parametrize("render", RENDERERS)
def test_rendering_rejects_invalid_date(render: Renderer) -> None:
    with pytest.raises(RenderingError, match="Invalid isoformat"):
        render(make_mission(start_date="1er avril"))


@pytest.mark.parametrize("render", RENDERERS)
def test_rendering_rejects_invalid_amount(render: Renderer) -> None:
    mission = make_mission()
    set_field(mission, "terms", "monthly_allowance", "six cents")

    with pytest.raises(RenderingError):
        render(mission)


def test_rendering_fails_when_font_is_blocked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocking_policy = ResourceAccessPolicy.server(tmp_path, allow_remote=False)
    monkeypatch.setattr(rendering, "_RESOURCE_POLICY", blocking_policy)

    with pytest.raises(RenderingError, match="@font-face"):
        render_mission_sheet(make_mission())


def test_parallel_renders_keep_dejavu_fonts() -> None:
    missions = [make_mission(language=language) for language in ("fr", "en") * 2]
    jobs = [(render, mission) for render in RENDERERS for mission in missions]

    with ThreadPoolExecutor(max_workers=4) as pool:
        pdfs = list(pool.map(lambda job: job[0](job[1]), jobs))

    fonts = set().union(*(pdf_fonts(pdf) for pdf in pdfs))
    assert all("DejaVuSans" in font for font in fonts), fonts
