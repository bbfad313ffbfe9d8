"""Signed links for people without an account, such as a company contact.

A link token names one mission, one purpose and one round (the number of
times the sheet went to the company), and expires. The service that honours
it also checks the round against the mission, so a link stops working once
the company validated or a newer link was sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from shared.platform.errors import CampusError

# Rejected links are logged with their reason and mission, never the token:
# a valid token in a log would let whoever reads the log act as the company.
log = structlog.get_logger()


class LinkError(CampusError):
    status = 401
    code = "link_invalid"


class LinkUsedError(CampusError):
    status = 409
    code = "link_used"


@dataclass(frozen=True)
class LinkClaims:
    mission_id: str
    purpose: str
    round: int


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="campus.link")


def sign_link(claims: LinkClaims, secret: str) -> str:
    return _serializer(secret).dumps(
        {"m": claims.mission_id, "p": claims.purpose, "r": claims.round}
    )


def read_link(
    token: str, secret: str, *, purpose: str, max_age_seconds: int
) -> LinkClaims:
    """Return the claims of a valid token for `purpose`, or raise `LinkError`."""
    try:
        payload = _serializer(secret).loads(token, max_age=max_age_seconds)
    except SignatureExpired as error:
        log.warning("link.rejected", reason="expired", purpose=purpose)
        raise LinkError(
            "this link has expired: ask the student or the career service "
            "for a new one",
            code="link_expired",
        ) from error
    except BadSignature as error:
        log.warning("link.rejected", reason="bad_signature", purpose=purpose)
        raise LinkError(
            "this link is not valid: check that it was copied whole"
        ) from error
    if not isinstance(payload, dict) or payload.get("p") != purpose:
        log.warning("link.rejected", reason="other_purpose", purpose=purpose)
        raise LinkError("this link was made for another purpose")
    if not isinstance(payload.get("m"), str) or type(payload.get("r")) is not int:
        log.warning("link.rejected", reason="bad_claims", purpose=purpose)
        raise LinkError("this link is not valid: check that it was copied whole")
    return LinkClaims(
        mission_id=str(payload["m"]), purpose=purpose, round=int(payload["r"])
    )


def used_link_error(message: str, claims: LinkClaims) -> LinkUsedError:
    """Log a link used again after its round ended, and return its error."""
    log.warning(
        "link.rejected",
        reason="used",
        purpose=claims.purpose,
        mission_id=claims.mission_id,
        round=claims.round,
    )
    return LinkUsedError(message)
