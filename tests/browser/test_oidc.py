"""Single sign-on against a test double of the school's OpenID provider.

The provider (`tests/harness/oidc_provider.py`) runs in this process; Campus
runs as the README's run command with `CAMPUS_OIDC_*` set. Browser tests go
through the provider's login page as a person would. The checks of the ID
token's validation drive the same redirects with an HTTP client.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey
from playwright.sync_api import Page, Route

from tests.browser.conftest import OpenPage
from tests.harness.browser import DESKTOP_WIDTH, PHONE_WIDTH, check_page
from tests.harness.campus import EmbeddedCampus
from tests.harness.oidc_provider import OpenIDProvider, ProviderUser
from tests.harness.processes import free_port

CLIENT_ID = "campus"
CLIENT_SECRET = secrets.token_urlsafe(24)
USERS = [
    ProviderUser(
        "edupre",
        {
            "email": "Elodie.Dupre@etu.ecole-campus.fr",
            "email_verified": True,
            "name": "Élodie Dupré",
            "locale": "fr-FR",
            "campus_role": "student",
        },
    ),
    ProviderUser(
        "hcote",
        {
            "email": "helene.cote@ecole-campus.fr",
            "given_name": "Hélène",
            "family_name": "Côté",
            "locale": "en",
            "campus_role": "tutor",
        },
    ),
    ProviderUser(
        "sbernard",
        {"email": "sophie.bernard@ecole-campus.fr", "name": "Sophie Bernard"},
        userinfo_claims={"campus_role": "career_service"},
    ),
    ProviderUser(
        "nsimon",
        {"email": "nina.simon@ecole-campus.fr", "name": "Nina Simon"},
    ),
    ProviderUser(
        "gvisitor",
        {
            "email": "guest.visitor@ecole-campus.fr",
            "name": "Guest Visitor",
            "campus_role": "visitor",
        },
    ),
]
TITLES = {
    "no_role": {
        "en": "Your school account has no Campus role",
        "fr": "Votre compte de l'école n'a pas de rôle Campus",
    },
    "cancelled": {"en": "Sign-in cancelled", "fr": "Connexion annulée"},
    "state": {
        "en": "Sign-in could not be checked",
        "fr": "Impossible de vérifier la connexion",
    },
}


def oidc_env(provider: OpenIDProvider) -> dict[str, str]:
    return {
        "CAMPUS_OIDC_ISSUER": provider.issuer,
        "CAMPUS_OIDC_CLIENT_ID": CLIENT_ID,
        "CAMPUS_OIDC_CLIENT_SECRET": CLIENT_SECRET,
    }


def start_campus(
    folder: Path, provider: OpenIDProvider, **settings: str
) -> EmbeddedCampus:
    campus = EmbeddedCampus(folder, {**oidc_env(provider), **settings})
    provider.register_client(
        CLIENT_ID, CLIENT_SECRET, f"{campus.base_url}/signin/oidc/callback"
    )
    return campus


@pytest.fixture(scope="module")
def provider() -> Iterator[OpenIDProvider]:
    running = OpenIDProvider(USERS)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def web_campus(
    tmp_path_factory: pytest.TempPathFactory, provider: OpenIDProvider
) -> Iterator[EmbeddedCampus]:
    """Campus with single sign-on and the development login both on."""
    campus = start_campus(tmp_path_factory.mktemp("oidc"), provider)
    yield campus
    campus.stop()


@pytest.fixture
def broken_provider(provider: OpenIDProvider) -> Iterator[OpenIDProvider]:
    """The module's provider, set back to normal after the test breaks it."""
    yield provider
    provider.id_token_changes = {}
    provider.signing_key = None
    provider.token_error = None


def sign_in_at_school(page: Page, username: str, start: str = "/signin") -> None:
    """Follow the single sign-on button, then type a username at the provider."""
    page.goto(start)
    if start.startswith("/signin?") or start == "/signin":
        page.locator('a[href^="/signin/oidc"]').click()
    page.locator("#username").press_sequentially(username)
    page.get_by_role("button", name="Sign in", exact=True).click()


def english_client(campus: EmbeddedCampus) -> httpx.Client:
    return httpx.Client(base_url=campus.base_url, headers={"accept-language": "en"})


def school_sign_in(
    http: httpx.Client, provider: OpenIDProvider, username: str, action: str = "sign-in"
) -> httpx.Response:
    """Run the redirects of one sign-in with an HTTP client; return the callback's
    response."""
    start = http.get("/signin/oidc")
    assert start.status_code == 302, start.text
    location = start.headers["location"]
    assert location.startswith(f"{provider.issuer}/authorize?")
    params = dict(parse_qsl(urlsplit(location).query))
    login = httpx.post(
        f"{provider.issuer}/authorize",
        data={**params, "username": username, "action": action},
    )
    assert login.status_code == 303, login.text
    return http.get(login.headers["location"])


def test_student_lands_on_home(open_page: OpenPage, web_campus: EmbeddedCampus) -> None:
    page = open_page(language="en")
    sign_in_at_school(page, "edupre")
    page.wait_for_url(f"{web_campus.base_url}/")

    assert page.locator(".topbar .who").inner_text() == "Élodie Dupré"
    # The locale claim fr-FR makes French the account's language.
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Mes fiches de mission"


def test_tutor_lands_on_tutor_page(
    open_page: OpenPage, web_campus: EmbeddedCampus
) -> None:
    page = open_page(language="en")
    sign_in_at_school(page, "hcote")
    page.wait_for_url(f"{web_campus.base_url}/tutor")

    assert page.locator(".topbar .who").inner_text() == "Hélène Côté"
    assert page.locator("html").get_attribute("lang") == "en"


@pytest.mark.parametrize("width", [PHONE_WIDTH, DESKTOP_WIDTH])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_missing_role_refused(open_page: OpenPage, language: str, width: int) -> None:
    page = open_page(language=language, width=width)
    with page.expect_response(re.compile(r"/signin/oidc/callback")) as callback:
        sign_in_at_school(page, "nsimon")

    assert callback.value.status == 403
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("h1").inner_text() == TITLES["no_role"][language]
    text = page.locator("main").inner_text()
    assert "campus_role" in text
    assert "nina.simon@ecole-campus.fr" in text
    assert "scs@ecole-campus.fr" in text
    assert page.locator(".topbar .who").count() == 0
    assert page.request.get("/api/v1/missions").status == 401
    check_page(page, f"oidc-no-role-{language}")


def test_role_from_userinfo_accepted(
    web_campus: EmbeddedCampus, provider: OpenIDProvider
) -> None:
    with english_client(web_campus) as http:
        response = school_sign_in(http, provider, "sbernard")
        assert response.status_code == 303
        home = http.get(response.headers["location"])

        assert home.status_code == 303
        assert home.headers["location"] == "/career"


def test_unknown_role_named(
    web_campus: EmbeddedCampus, provider: OpenIDProvider
) -> None:
    with english_client(web_campus) as http:
        response = school_sign_in(http, provider, "gvisitor")

        assert response.status_code == 403
        assert "visitor" in response.text
        assert "campus_role" in response.text
        assert http.get("/api/v1/missions").status_code == 401


def test_tampered_state_refused(
    open_page: OpenPage, web_campus: EmbeddedCampus, provider: OpenIDProvider
) -> None:
    page = open_page(language="en")
    redirects: list[str] = []

    def hold_redirect(route: Route) -> None:
        """Keep the provider's redirect back to Campus instead of following it."""
        if route.request.method != "POST":
            route.continue_()
            return
        answer = route.fetch(max_redirects=0)
        redirects.append(answer.headers["location"])
        route.fulfill(status=200, body="held", content_type="text/plain")

    page.route(f"{provider.issuer}/authorize", hold_redirect)
    sign_in_at_school(page, "edupre")
    page.wait_for_load_state()
    assert len(redirects) == 1
    query = dict(parse_qsl(urlsplit(redirects[0]).query))
    query["state"] = query["state"][:-4] + "AAAA"
    response = page.goto(f"/signin/oidc/callback?{urlencode(query)}")

    assert response is not None
    assert response.status == 400
    assert page.locator("h1").inner_text() == TITLES["state"]["en"]
    assert page.request.get("/api/v1/missions").status == 401


@pytest.mark.parametrize(
    "next_path",
    [
        "http://127.0.0.1:{port}/elsewhere",
        "//127.0.0.1:{port}/elsewhere",
        "/\\127.0.0.1:{port}/elsewhere",
    ],
)
def test_next_to_other_host_ignored(
    open_page: OpenPage, web_campus: EmbeddedCampus, next_path: str
) -> None:
    page = open_page(language="en")
    # A closed port on loopback: if the check failed, the browser would go there.
    target = next_path.format(port=free_port())
    sign_in_at_school(
        page, "edupre", start=f"/signin/oidc?{urlencode({'next': target})}"
    )
    page.wait_for_url(re.compile(r"/signin/oidc/callback|/$"))
    page.wait_for_load_state()

    assert page.url == f"{web_campus.base_url}/"


def test_local_next_followed(open_page: OpenPage, web_campus: EmbeddedCampus) -> None:
    page = open_page(language="en")
    sign_in_at_school(page, "hcote", start="/signin?next=/tutor%3Ftab%3Ddone")
    page.wait_for_url(f"{web_campus.base_url}/tutor?tab=done")


@pytest.mark.parametrize("width", [PHONE_WIDTH, DESKTOP_WIDTH])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_cancel_page_readable(open_page: OpenPage, language: str, width: int) -> None:
    page = open_page(language=language, width=width)
    page.goto("/signin")
    page.locator('a[href^="/signin/oidc"]').click()
    with page.expect_response(re.compile(r"/signin/oidc/callback")) as callback:
        page.get_by_role("button", name="Cancel", exact=True).click()

    assert callback.value.status == 403
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("h1").inner_text() == TITLES["cancelled"][language]
    check_page(page, f"oidc-cancelled-{language}")


def test_cancel_at_provider_refused(
    web_campus: EmbeddedCampus, provider: OpenIDProvider
) -> None:
    with english_client(web_campus) as http:
        response = school_sign_in(http, provider, "edupre", action="cancel")

        assert response.status_code == 403
        assert "Sign-in cancelled" in response.text
        assert http.get("/api/v1/missions").status_code == 401


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "another-client"},
        {"iss": "http://127.0.0.1:1"},
        {"exp": 1_000_000_000},
        {"nonce": "replayed-nonce"},
    ],
    ids=["audience", "issuer", "expired", "nonce"],
)
def test_invalid_id_token_refused(
    web_campus: EmbeddedCampus,
    broken_provider: OpenIDProvider,
    changes: dict[str, object],
) -> None:
    broken_provider.id_token_changes = changes
    with english_client(web_campus) as http:
        response = school_sign_in(http, broken_provider, "edupre")

        assert response.status_code == 502
        assert http.get("/api/v1/missions").status_code == 401


def test_foreign_signature_refused(
    web_campus: EmbeddedCampus, broken_provider: OpenIDProvider
) -> None:
    # Another key under the same key id: the JWKS cannot verify the signature.
    broken_provider.signing_key = RSAKey.generate_key(
        2048, parameters={"kid": broken_provider.key_id}
    )
    with english_client(web_campus) as http:
        response = school_sign_in(http, broken_provider, "edupre")

        assert response.status_code == 502
        assert http.get("/api/v1/missions").status_code == 401


def test_token_exchange_error_refused(
    web_campus: EmbeddedCampus, broken_provider: OpenIDProvider
) -> None:
    broken_provider.token_error = "invalid_grant"
    with english_client(web_campus) as http:
        response = school_sign_in(http, broken_provider, "edupre")

        assert response.status_code == 502
        assert http.get("/api/v1/missions").status_code == 401
    log = (web_campus.log_path).read_text()
    assert "invalid_grant" in log


def test_signin_logged_without_tokens(
    web_campus: EmbeddedCampus, provider: OpenIDProvider
) -> None:
    with english_client(web_campus) as http:
        response = school_sign_in(http, provider, "hcote")
        assert response.status_code == 303
        assert http.get("/api/v1/missions").status_code == 200

    log = web_campus.log_path.read_text()
    assert "oidc.signed_in" in log
    assert "helene.cote@ecole-campus.fr" in log
    assert not re.search(r"eyJ[\w-]+\.eyJ", log), "an ID token was logged"
    for token in provider.issued_access_tokens():
        assert token not in log


@pytest.fixture(scope="module")
def production_provider() -> Iterator[OpenIDProvider]:
    running = OpenIDProvider(USERS)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def production_campus(
    tmp_path_factory: pytest.TempPathFactory, production_provider: OpenIDProvider
) -> Iterator[EmbeddedCampus]:
    campus = start_campus(
        tmp_path_factory.mktemp("oidc-production"),
        production_provider,
        CAMPUS_ENVIRONMENT="production",
        CAMPUS_SECRET_KEY=secrets.token_urlsafe(48),
        CAMPUS_DEV_LOGIN="false",
    )
    yield campus
    campus.stop()


def test_production_offers_only_school_signin(
    open_page: OpenPage, production_campus: EmbeddedCampus
) -> None:
    page = open_page(language="en")
    page.goto(f"{production_campus.base_url}/signin")

    assert page.locator('a[href^="/signin/oidc"]').count() == 1
    assert page.locator("form[action='/login']").count() == 0
    assert page.locator("select").count() == 0
    assert page.locator("#dev-login").count() == 0
    assert page.locator('a[href="/mailbox"]').count() == 0
    dev_login = page.request.post(
        f"{production_campus.base_url}/api/v1/dev/login",
        data={"email": "elodie.dupre@etu.ecole-campus.fr"},
    )
    assert dev_login.status == 404


def test_production_school_signin(
    production_campus: EmbeddedCampus, production_provider: OpenIDProvider
) -> None:
    with english_client(production_campus) as http:
        response = school_sign_in(http, production_provider, "edupre")

        assert response.status_code == 303
        assert response.headers["location"] == "/"
        assert http.get("/api/v1/missions").status_code == 200


def test_provider_down_explained(
    production_campus: EmbeddedCampus, production_provider: OpenIDProvider
) -> None:
    with english_client(production_campus) as http:
        start = http.get("/signin/oidc")
        assert start.status_code == 302
        state = dict(parse_qsl(urlsplit(start.headers["location"]).query))["state"]
        production_provider.stop()
        response = http.get(
            "/signin/oidc/callback", params={"code": "any", "state": state}
        )

        assert response.status_code == 502
        assert "School sign-in unavailable" in response.text
        assert http.get("/api/v1/missions").status_code == 401
