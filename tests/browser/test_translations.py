"""Every page exists in French and English, with nothing left untranslated.

The catalogs must hold every message of the code with a translation, and each
page, rendered in one language, must show no sentence of the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.routing import Route

from services.gateway.catalogs import load, problems
from services.gateway.i18n import LANGUAGE_COOKIE, catalog_files
from services.gateway.web import (
    admin,
    common,
    company,
    evaluations,
    mission,
    oidc,
    staff,
    student,
)
from tests.e2e.journey import (
    ABROAD,
    CAREER_SERVICE,
    FRANCE,
    Journey,
    approve,
    company_completes,
    reach_company_completed,
    send_to_company,
    start_mission,
)
from tests.harness.campus import EmbeddedCampus, User

ADMIN = "admin@ecole-campus.fr"
PAGE_MODULES = (common, oidc, student, mission, evaluations, company, staff, admin)


@dataclass(frozen=True)
class Page:
    route: str
    path: str
    viewer: User


VOID_TAGS = {"area", "br", "col", "hr", "img", "input", "link", "meta", "source", "wbr"}


class VisibleText(HTMLParser):
    """Collect the text a reader sees and the labels read aloud.

    Scripts, styles and elements marked `translate="no"` (text in its own
    language, such as an email) are left out.
    """

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipped_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_TAGS:
            if not self._skipped_depth:
                self._labels(attrs)
            return
        if self._skipped_depth:
            self._skipped_depth += 1
            return
        if tag in ("script", "style") or ("translate", "no") in attrs:
            self._skipped_depth = 1
            return
        self._labels(attrs)

    def _labels(self, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if self._skipped_depth and tag not in VOID_TAGS:
            self._skipped_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipped_depth:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = VisibleText()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def phrases(message: str | tuple[str, ...] | list[str]) -> Iterator[str]:
    """Yield the literal parts of a message of two words or more."""
    texts = [message] if isinstance(message, str) else list(message)
    for text in texts:
        for chunk in re.split(r"%\(\w+\)[sd]", text):
            chunk = " ".join(chunk.split()).strip(" .,:;")
            if len(chunk.split()) >= 2:
                yield chunk


def foreign_phrases(language: str) -> set[str]:
    """Phrases of the other language that must not show on a page in `language`."""
    own: set[str] = set()
    other: set[str] = set()
    areas = {path.stem for path in _catalog_paths()}
    for area in areas:
        for entry in load("fr", area):
            if not entry.id:
                continue
            english = set(phrases(entry.id))
            french = set(phrases(entry.string)) if entry.string else set()
            if language == "fr":
                own |= french
                other |= english
            else:
                own |= english
                other |= french
    return other - own


def _catalog_paths() -> list[Path]:
    return catalog_files("fr")


def page_routes() -> set[str]:
    """Every page the gateway serves to a browser with GET."""
    routes = set()
    for module in PAGE_MODULES:
        for route in module.router.routes:
            if isinstance(route, Route) and "GET" in (route.methods or set()):
                routes.add(route.path)
    return routes


def test_catalogs_complete() -> None:
    assert list(problems()) == []


@pytest.fixture(scope="module")
def pages(web_campus: EmbeddedCampus) -> list[Page]:
    """Missions in the states the pages show, and each page with its viewer."""
    draft = start_mission(web_campus, FRANCE)
    completed = reach_company_completed(web_campus)
    abroad = start_mission(web_campus, ABROAD)
    company_completes(abroad, send_to_company(abroad))
    approve(abroad)
    sent = start_mission(web_campus, FRANCE)
    token = send_to_company(sent)
    anyone = User(web_campus)
    listed = [
        Page("/signin", "/signin", anyone),
        Page("/company/{token}", f"/company/{token}", anyone),
        Page("/missions/new", "/missions/new", draft.student),
        Page("/abroad-steps", "/abroad-steps", draft.student),
        Page("/mailbox", "/mailbox", draft.student),
        Page("/language/{language}", "/language/{language}?next=/signin", anyone),
        Page(
            "/missions/{mission_id}/dates",
            f"/missions/{draft.mission_id}/dates",
            draft.student,
        ),
    ]
    listed.append(
        Page(
            "/missions/{mission_id}/evaluations",
            f"/missions/{abroad.mission_id}/evaluations",
            abroad.student,
        )
    )
    for section in ("student", "organisation", "supervisor", "mission", "terms"):
        listed.append(
            Page(
                "/missions/{mission_id}/edit/{section}",
                f"/missions/{draft.mission_id}/edit/{section}",
                draft.student,
            )
        )
    for journey in (draft, completed, abroad):
        listed += [
            Page("/", "/", journey.student),
            Page("/agreements", "/agreements", journey.student),
            Page(
                "/missions/{mission_id}",
                f"/missions/{journey.mission_id}",
                journey.student,
            ),
            Page(
                "/missions/{mission_id}/review",
                f"/missions/{journey.mission_id}/review",
                journey.student,
            ),
        ]
    reviewed = reach_company_completed(web_campus)
    tutor = User(web_campus, completed_tutor(reviewed))
    career = User(web_campus, CAREER_SERVICE)
    admin_user = User(web_campus, ADMIN)
    listed += [
        Page("/tutor", "/tutor", tutor),
        Page("/missions/{mission_id}", f"/missions/{reviewed.mission_id}", tutor),
        Page("/career", "/career", career),
        Page("/career/derogations", "/career/derogations", career),
        Page("/career/at-risk", "/career/at-risk", career),
        Page("/career/emails", "/career/emails", career),
        Page("/missions/{mission_id}", f"/missions/{abroad.mission_id}", career),
        Page("/missions/{mission_id}", f"/missions/{completed.mission_id}", career),
        Page("/admin/programs", "/admin/programs", admin_user),
        Page("/admin/tutors", "/admin/tutors", admin_user),
    ]
    return listed


def completed_tutor(journey: Journey) -> str:
    """Confirm a completed sheet so that a tutor has it to review; return them."""
    confirmed = journey.student.post(f"/missions/{journey.mission_id}/confirm", {})
    assert confirmed.status_code == 200, confirmed.text
    email: str = confirmed.json()["tutor"]["email"]
    return email


# The first is reached only from an email sent weeks after approval, the
# others only through the school's OpenID provider: the evaluation and
# single sign-on tests render them in both languages.
NOT_LISTED = {
    "/company/evaluation/{token}",
    "/signin/oidc",
    "/signin/oidc/callback",
}


def test_every_page_listed(pages: list[Page]) -> None:
    listed = {page.route for page in pages}

    assert page_routes() - NOT_LISTED - listed == set()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_pages_fully_translated(pages: list[Page], language: str) -> None:
    foreign = foreign_phrases(language)
    found: dict[str, list[str]] = {}
    for page in pages:
        page.viewer.http.cookies.delete(LANGUAGE_COOKIE)
        page.viewer.http.cookies.set(LANGUAGE_COOKIE, language)
        path = page.path.replace("{language}", language)
        response = page.viewer.http.get(path, follow_redirects=True)
        assert response.status_code == 200, (path, response.text[:500])
        assert f'<html lang="{language}"' in response.text
        text = visible_text(response.text)
        leaks = sorted(phrase for phrase in foreign if phrase in text)
        if leaks:
            found[path] = leaks

    assert found == {}


# Words that read the same in both languages: the product's name and the
# languages' own names on the switch.
SAME_IN_BOTH = {"Campus", "FR", "EN", "Français", "English"}
TEMPLATES = Path(__file__).resolve().parents[2] / "services/gateway/templates/gateway"


def hard_coded_words(source: str) -> set[str]:
    """Return the words of a template shown to a reader but written outside `_()`."""
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", source, flags=re.DOTALL)
    labels = re.findall(r'(?:aria-label|title|placeholder|alt)="([^"]*)"', text)
    text = re.sub(r"<[^>]*>", " ", text)
    words = set(re.findall(r"[^\W\d_]{2,}", " ".join([text, *labels])))
    return words - SAME_IN_BOTH


def test_templates_have_no_hard_coded_text() -> None:
    found = {
        str(path.relative_to(TEMPLATES)): words
        for path in sorted(TEMPLATES.rglob("*.html"))
        if (words := hard_coded_words(path.read_text(encoding="utf-8")))
    }

    assert found == {}


def test_hard_coded_text_detected() -> None:
    assert hard_coded_words('<p title="Aide">{{ _("Help") }} Bonjour</p>') == {
        "Aide",
        "Bonjour",
    }
