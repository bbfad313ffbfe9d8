"""One error base for every service: it carries its HTTP status and code.

Routes and handlers raise these; `install_error_handlers` turns them into the
API's error body `{"code", "message", "field"}`.
"""

from __future__ import annotations

from typing import Any

import psycopg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger()


class CampusError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, field: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "field": self.field}


class NotAuthenticatedError(CampusError):
    status = 401
    code = "not_authenticated"


class ForbiddenError(CampusError):
    status = 403
    code = "forbidden"


class NotFoundError(CampusError):
    status = 404
    code = "not_found"


class ConflictError(CampusError):
    status = 409
    code = "conflict"


class ConcurrencyError(ConflictError):
    code = "concurrent_update"


class InvalidFieldError(CampusError):
    status = 422
    code = "invalid_field"


def _field_of(error: dict[str, Any]) -> str | None:
    location = [str(part) for part in error.get("loc", ()) if part != "body"]
    return ".".join(location) or None


def _message_of(error: dict[str, Any]) -> str:
    field, kind = _field_of(error), error.get("type")
    if kind == "json_invalid":
        detail = error.get("ctx", {}).get("error", "invalid JSON")
        return f"the request body is not valid JSON ({detail})"
    if kind == "missing" and field is None:
        return "the request body is missing: send a JSON object"
    if kind == "missing":
        return f"{field} is required"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{field}: {message}" if field else message


def _validation_body(error: RequestValidationError) -> dict[str, Any]:
    errors = list(error.errors())
    first = errors[0]
    return {
        "code": "invalid_field",
        "message": _message_of(first),
        "field": None if first.get("type") == "json_invalid" else _field_of(first),
        "errors": [{"field": _field_of(e), "message": _message_of(e)} for e in errors],
    }


_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}


def install_error_handlers(app: FastAPI) -> None:
    async def campus_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, CampusError)
        return JSONResponse(error.body(), status_code=error.status)

    async def validation_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return JSONResponse(_validation_body(error), status_code=422)

    async def http_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        body = {
            "code": _HTTP_CODES.get(error.status_code, "http_error"),
            "message": str(error.detail),
            "field": None,
        }
        return JSONResponse(body, status_code=error.status_code, headers=error.headers)

    async def database_unavailable(_: Request, error: Exception) -> JSONResponse:
        # psycopg raises OperationalError when the server is down or restarting,
        # and psycopg_pool's PoolTimeout (a subclass) when no connection comes.
        log.warning("http.database_unavailable", error=str(error))
        body = {
            "code": "database_unavailable",
            "message": "Campus cannot reach its database at the moment; "
            "try again in a minute",
            "field": None,
        }
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})

    async def unexpected_error(_: Request, error: Exception) -> JSONResponse:
        log.exception("http.unexpected_error", error=type(error).__name__)
        body = {
            "code": "internal_error",
            "message": "Campus failed to handle this request; try again in a "
            "moment, and tell the career service if it keeps failing",
            "field": None,
        }
        return JSONResponse(body, status_code=500)

    app.add_exception_handler(Exception, unexpected_error)
    app.add_exception_handler(psycopg.OperationalError, database_unavailable)
    app.add_exception_handler(CampusError, campus_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
