"""Languages of the pages: Babel message catalogs and one Jinja2 environment each.

Message ids are the English text. Each language has a folder of `.po`
catalogs, one per part of the site, merged when loaded, so that two people
adding pages to different parts do not edit the same file.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from io import BytesIO
from pathlib import Path

import pycountry
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment
from starlette.requests import Request

from shared.platform.templates import new_environment

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGE_COOKIE = "campus_lang"


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def catalog_files(language: str) -> list[Path]:
    return sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"))


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> Translations:
    """Load and merge every catalog of one language."""
    merged = Translations()
    for path in catalog_files(language):
        with path.open("rb") as file:
            catalog = read_po(file, locale=language)
        compiled = BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        merged.merge(Translations(compiled))
    return merged


def gettext(language: str, message: str) -> str:
    return translations(language).gettext(message)


@lru_cache(maxsize=len(LANGUAGES))
def page_environment(language: str) -> Environment:
    environment = new_environment(("jinja2.ext.i18n",))
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        translations(language), newstyle=True
    )
    environment.globals["language"] = language
    environment.globals["country_name"] = lambda code: country_names(language).get(
        code or "", code or ""
    )
    return environment


@lru_cache(maxsize=len(LANGUAGES))
def country_names(language: str) -> dict[str, str]:
    """Name each ISO 3166-1 alpha-2 country in the language, sorted by name."""
    territories = Locale.parse(language).territories
    names = {
        country.alpha_2: str(territories.get(country.alpha_2, country.name))
        for country in pycountry.countries
    }
    return dict(sorted(names.items(), key=lambda item: _sort_key(item[1])))


def _sort_key(name: str) -> str:
    """Sort É with E and Î with I, as a reader expects."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def accepted_language(header: str | None) -> str | None:
    """Pick French or English from an Accept-Language header, if it names one."""
    if not header:
        return None
    preferred = []
    for part in header.split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        preferred.append((weight, tag.strip().replace("-", "_")))
    ordered = [tag for _, tag in sorted(preferred, key=lambda item: -item[0])]
    chosen = Locale.negotiate(ordered, list(LANGUAGES), sep="_")
    return chosen.language if chosen is not None else None


def page_language(request: Request, default: str | None = None) -> str:
    """Choose the page's language: a link's `lang`, the visitor's choice, then
    `default`, then the browser's preference, then French."""
    linked = request.query_params.get("lang")
    if linked in LANGUAGES:
        return linked
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    if default in LANGUAGES:
        return default
    return accepted_language(request.headers.get("accept-language")) or (
        DEFAULT_LANGUAGE
    )
