"""Signed links: bound to one mission, one purpose and one round, and expiring."""

from __future__ import annotations

import pytest

from shared.platform.links import LinkClaims, LinkError, read_link, sign_link

SECRET = "test-secret"
CLAIMS = LinkClaims(mission_id="m-1", purpose="company_completion", round=2)


def test_valid_link_returns_its_claims() -> None:
    token = sign_link(CLAIMS, SECRET)

    claims = read_link(
        token, SECRET, purpose="company_completion", max_age_seconds=3600
    )

    assert claims == CLAIMS


def test_expired_link_rejected() -> None:
    token = sign_link(CLAIMS, SECRET)

    with pytest.raises(LinkError) as raised:
        read_link(token, SECRET, purpose="company_completion", max_age_seconds=-1)

    assert raised.value.code == "link_expired"


def test_link_for_other_purpose_rejected() -> None:
    token = sign_link(
        LinkClaims(mission_id="m-1", purpose="company_evaluation", round=1), SECRET
    )

    with pytest.raises(LinkError) as raised:
        read_link(token, SECRET, purpose="company_completion", max_age_seconds=3600)

    assert raised.value.code == "link_invalid"
    assert "another purpose" in raised.value.message


def test_link_signed_with_other_secret_rejected() -> None:
    token = sign_link(CLAIMS, "another-secret")

    with pytest.raises(LinkError) as raised:
        read_link(token, SECRET, purpose="company_completion", max_age_seconds=3600)

    assert raised.value.code == "link_invalid"


def test_truncated_link_rejected() -> None:
    token = sign_link(CLAIMS, SECRET)

    with pytest.raises(LinkError):
        read_link(token[:-3], SECRET, purpose="company_completion", max_age_seconds=60)
