"""Tokens that prove a page's form was sent from a page Campus served.

The token lives in the signed session cookie and in a hidden field of every
form (or the `X-CSRF-Token` header of a partial update). Another site can make
a browser send the cookie, but cannot read the page to learn the token.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import FormData
from starlette.requests import Request

from shared.platform.errors import ForbiddenError

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SESSION_KEY = "csrf"


class CsrfError(ForbiddenError):
    code = "csrf_failed"


def csrf_token(request: Request) -> str:
    """Return the session's token, creating it on first use."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


async def checked_form(request: Request) -> FormData:
    """Read the posted form, raising CsrfError unless it carries the session's token."""
    form = await request.form()
    sent = form.get(FIELD) or request.headers.get(HEADER)
    expected = request.session.get(SESSION_KEY)
    if not (
        isinstance(sent, str)
        and isinstance(expected, str)
        and secrets.compare_digest(sent, expected)
    ):
        raise CsrfError(
            "the form has no valid security token: reload the page and send it again",
            field=FIELD,
        )
    return form
