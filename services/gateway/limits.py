"""A limit on request bodies, so that one request cannot fill the memory."""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Routes that receive an uploaded file, by the end of their path under
# /api/v1/missions/.
UPLOAD_PATH_SUFFIXES = ("/convention/scan", "/insurance", "/certificate", "/report")
UPLOAD_PATH_PREFIXES = ("/api/v1/missions/", "/api/v1/company/evaluation/")
# Room for the multipart boundaries and part headers around the file itself.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class BodyTooLargeError(Exception):
    pass


def upload_body_max_bytes(upload_max_bytes: Mapping[str, int]) -> int:
    """Return the body limit of upload routes: the largest file, plus multipart."""
    return max(upload_max_bytes.values()) + MULTIPART_OVERHEAD_BYTES


def _declared_length(scope: Scope) -> int:
    """Return the request's Content-Length, or 0 when it has none or no number."""
    declared = dict(scope["headers"]).get(b"content-length")
    return int(declared) if declared is not None and declared.isdigit() else 0


class BodySizeLimit:
    """Return 413 for a request whose body is larger than its route's limit.

    Upload routes may receive `upload_max_bytes`, every other route
    `max_bytes`. A declared Content-Length is checked before anything is read.
    A chunked body is counted as it arrives. Once it passes the limit, the 413
    replaces whatever response the route sends, because FastAPI turns an error
    raised while it reads the body into a 400.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes

    def limit_for(self, path: str) -> int:
        if path.startswith(UPLOAD_PATH_PREFIXES) and path.endswith(
            UPLOAD_PATH_SUFFIXES
        ):
            return self.upload_max_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        if _declared_length(scope) > limit:
            await self._reject(send, limit)
            return
        received = 0
        exceeded = False
        rejected = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                exceeded = True
                raise BodyTooLargeError
            return message

        async def checked_send(message: Message) -> None:
            nonlocal rejected
            if not exceeded:
                await send(message)
            elif not rejected and message["type"] == "http.response.start":
                rejected = True
                await self._reject(send, limit)

        try:
            await self.app(scope, counting_receive, checked_send)
        except BodyTooLargeError:
            if not rejected:
                await self._reject(send, limit)

    async def _reject(self, send: Send, limit: int) -> None:
        body = json.dumps(
            {
                "code": "body_too_large",
                "message": f"the request body is larger than {limit} bytes",
                "field": None,
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
