"""Page layout of the agreement: wrapping, page numbers, names and the logo.

The PDFs are read back with pdfplumber for text and glyph positions, and with
pypdf for the images each page draws.
"""

from __future__ import annotations

import io
from itertools import cycle
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from PIL import Image
from pypdf import PdfReader

from services.documents import rendering
from services.documents.rendering import (
    RenderingError,
    render_agreement,
    render_mission_sheet,
)
from tests.documents.test_rendering import (
    CM,
    FIGURES,
    abroad_mission,
    flat,
    make_mission,
    pdf_body_text,
    pdf_page_texts,
    pdf_text,
    set_field,
)

LOGO = Path(__file__).resolve().parents[2] / "seed" / "logo.png"

# The @page margins of _base.html: 2 cm on the left and on the right.
SIDE_MARGIN = 2 * CM
# Glyph boxes may reach a fraction of a point past the frame edge.
TOLERANCE = 0.5

DESCRIPTION_SENTENCES = [
    "Le stagiaire participe aux campagnes de prélèvement sur le réseau d'eau "
    "potable de la métropole, en binôme avec un technicien du laboratoire.",
    "Il prépare les flacons, étiquette les échantillons et renseigne la fiche "
    "de traçabilité de chaque point de mesure.",
    "Au laboratoire, il réalise les analyses physico-chimiques courantes : pH, "
    "conductivité, turbidité, chlore libre et chlore total.",
    "Il saisit les résultats dans le système de gestion du laboratoire et "
    "signale au responsable tout dépassement des seuils réglementaires.",
    "Il contribue à la mise à jour des modes opératoires et à la préparation "
    "de l'audit annuel d'accréditation.",
    "Chaque semaine, il présente une synthèse des écarts observés à l'équipe "
    "qualité et propose des actions correctives.",
]
LAST_WORD = "Kerguelen"


def long_description(length: int = 5000) -> str:
    """Return realistic French text of at least `length` characters."""
    ending = f" Restitution finale devant le comité {LAST_WORD}."
    sentences: list[str] = []
    total = len(ending)
    for sentence in cycle(DESCRIPTION_SENTENCES):
        if total >= length:
            break
        sentences.append(sentence)
        total += len(sentence) + 1
    return " ".join(sentences) + ending


LONG_DESCRIPTION = long_description()
UNBROKEN_TOKEN = "".join(f"lot{number:03d}" for number in range(50))


def glyphs_outside_margins(pdf: bytes) -> list[str]:
    """List the visible glyphs that pass the left or right page margin.

    A space that ends a line may pass the margin, but nothing is drawn there.
    """
    outside: list[str] = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for number, page in enumerate(document.pages, start=1):
            right_edge = float(page.width) - SIDE_MARGIN + TOLERANCE
            left_edge = SIDE_MARGIN - TOLERANCE
            outside.extend(
                f"page {number}: {char['text']!r} at x1={char['x1']:.1f}"
                for char in page.chars
                if not char["text"].isspace()
                and (char["x1"] > right_edge or char["x0"] < left_edge)
            )
    return outside


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def images_per_page(pdf: bytes) -> list[int]:
    return [len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def long_agreement() -> bytes:
    mission = make_mission(**FIGURES)
    set_field(mission, "mission", "description", LONG_DESCRIPTION)
    return render_agreement(mission, logo=LOGO)


@pytest.fixture(scope="module")
def abroad_agreement() -> bytes:
    mission = abroad_mission()
    set_field(mission, "mission", "description", LONG_DESCRIPTION)
    return render_agreement(mission, logo=LOGO)


# Long text


def test_long_description_is_long_enough() -> None:
    assert len(LONG_DESCRIPTION) >= 5000


def test_long_description_stays_inside_margins(long_agreement: bytes) -> None:
    assert glyphs_outside_margins(long_agreement) == []


def test_long_description_adds_pages(long_agreement: bytes) -> None:
    short = render_agreement(make_mission(**FIGURES), logo=LOGO)

    assert page_count(long_agreement) > page_count(short)


def test_long_description_keeps_last_word(long_agreement: bytes) -> None:
    assert LAST_WORD in pdf_text(long_agreement)


def test_long_description_keeps_every_word(long_agreement: bytes) -> None:
    assert flat(LONG_DESCRIPTION) in pdf_body_text(long_agreement)


@pytest.mark.parametrize("render", [render_agreement, render_mission_sheet])
def test_unbroken_token_stays_inside_margins(render: Any) -> None:
    mission = make_mission(**FIGURES)
    set_field(mission, "mission", "description", UNBROKEN_TOKEN)

    assert glyphs_outside_margins(render(mission)) == []


@pytest.mark.parametrize("render", [render_agreement, render_mission_sheet])
def test_unbroken_token_keeps_every_character(render: Any) -> None:
    mission = make_mission(**FIGURES)
    set_field(mission, "mission", "description", UNBROKEN_TOKEN)

    text = pdf_text(render(mission))

    assert UNBROKEN_TOKEN in text.replace(" ", "")


# Names in other scripts


def international_mission() -> dict[str, Any]:
    mission = abroad_mission()
    set_field(mission, "student", "first_name", "Ελένη")
    set_field(mission, "student", "last_name", "Παπαδοπούλου")
    set_field(mission, "supervisor", "first_name", "Дмитрий")
    set_field(mission, "supervisor", "last_name", "Иванов")
    set_field(mission, "organisation", "name", "L'Œuvre d'Ève Ærø")
    mission["tutor"] = {"name": "Siobhán O'Brien-Lefèvre"}
    return mission


@pytest.fixture(scope="module")
def international_text() -> str:
    return pdf_text(render_agreement(international_mission(), logo=LOGO))


@pytest.mark.parametrize(
    "name",
    [
        "Ελένη Παπαδοπούλου",
        "Дмитрий Иванов",
        "Siobhán O'Brien-Lefèvre",
        "L'Œuvre d'Ève Ærø",
    ],
)
def test_agreement_keeps_name(international_text: str, name: str) -> None:
    assert name in international_text


@pytest.mark.parametrize(
    "name",
    [
        "Enseignant référent de l'établissement : Siobhán O'Brien-Lefèvre",
        "Tuteur dans l'organisme d'accueil : Дмитрий Иванов",
        "Tutor at the school: Siobhán O'Brien-Lefèvre",
        "Supervisor at the host organisation: Дмитрий Иванов",
    ],
)
def test_agreement_keeps_name_in_clause(international_text: str, name: str) -> None:
    assert name in international_text


@pytest.mark.parametrize("name", ["Ελένη", "Παπαδοπούλου", "Дмитрий", "Иванов"])
def test_mission_sheet_keeps_name(name: str) -> None:
    text = pdf_text(render_mission_sheet(international_mission()))

    assert name in text


# Page numbers


def test_abroad_agreement_has_six_pages_or_more(abroad_agreement: bytes) -> None:
    assert page_count(abroad_agreement) >= 6


def test_every_page_has_reference_and_number(abroad_agreement: bytes) -> None:
    pages = [flat(text) for text in pdf_page_texts(abroad_agreement)]

    for number, text in enumerate(pages, start=1):
        assert f"CAMPUS-2027-0001 — page {number} / {len(pages)}" in text


def test_every_page_has_school_name(abroad_agreement: bytes) -> None:
    for text in pdf_page_texts(abroad_agreement):
        assert "École Campus" in text


# Logo


def test_seed_logo_is_small_png() -> None:
    with Image.open(LOGO) as image:
        assert image.format == "PNG"
        assert image.size == (300, 90)
    assert LOGO.stat().st_size < 20_000


@pytest.mark.parametrize("render", [render_agreement, render_mission_sheet])
def test_logo_is_on_first_page(render: Any) -> None:
    pdf = render(make_mission(**FIGURES), logo=LOGO)

    assert images_per_page(pdf)[0] == 1


def test_logo_is_on_every_page(abroad_agreement: bytes) -> None:
    assert all(count == 1 for count in images_per_page(abroad_agreement))


@pytest.mark.parametrize("render", [render_agreement, render_mission_sheet])
def test_rendering_without_logo_has_no_image(render: Any) -> None:
    pdf = render(make_mission(**FIGURES))

    assert images_per_page(pdf) == [0] * page_count(pdf)


def test_logo_may_be_jpeg(tmp_path: Path) -> None:
    jpeg = tmp_path / "logo.jpg"
    with Image.open(LOGO) as image:
        image.convert("RGB").save(jpeg, "JPEG")

    pdf = render_agreement(make_mission(**FIGURES), logo=jpeg)

    assert images_per_page(pdf)[0] == 1


def test_logo_is_sized_for_header() -> None:
    pdf = render_agreement(make_mission(**FIGURES), logo=LOGO)

    with pdfplumber.open(io.BytesIO(pdf)) as document:
        image = document.pages[0].images[0]
    assert image["height"] == pytest.approx(1.2 * CM, abs=0.5)
    assert image["width"] == pytest.approx(4 * CM, abs=0.5)


def test_wide_logo_is_narrowed(tmp_path: Path) -> None:
    wide = tmp_path / "wide.png"
    Image.new("RGB", (1200, 60), (31, 78, 121)).save(wide)

    pdf = render_agreement(make_mission(**FIGURES), logo=wide)

    with pdfplumber.open(io.BytesIO(pdf)) as document:
        image = document.pages[0].images[0]
    assert image["width"] == pytest.approx(6 * CM, abs=0.5)


def test_missing_logo_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(RenderingError, match="PNG or JPEG"):
        render_agreement(make_mission(), logo=tmp_path / "missing.png")


def test_logo_that_is_not_image_is_rejected(tmp_path: Path) -> None:
    fake = tmp_path / "logo.png"
    fake.write_text("not an image")

    with pytest.raises(RenderingError, match="PNG or JPEG"):
        render_agreement(make_mission(), logo=fake)


def test_gif_logo_is_rejected(tmp_path: Path) -> None:
    gif = tmp_path / "logo.gif"
    Image.new("RGB", (30, 9)).save(gif, "GIF")

    with pytest.raises(RenderingError, match="GIF"):
        render_agreement(make_mission(), logo=gif)


def test_policy_allows_fonts_folder_only() -> None:
    policy = rendering._resource_policy(None)

    assert policy.roots == (rendering.FONTS_DIR.resolve(),)


def test_policy_adds_logo_folder() -> None:
    policy = rendering._resource_policy(LOGO)

    assert policy.roots == (rendering.FONTS_DIR.resolve(), LOGO.parent)


def test_policy_keeps_network_off() -> None:
    assert rendering._resource_policy(LOGO).allow_remote is False
