"""One error base for every service: it carries its HTTP status and code.

Routes and handlers raise these; `install_error_handlers` turns them into the
API's error body `{"code", "message", "field"}`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


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


def _validation_body(error: RequestValidationError) -> dict[str, Any]:
    first = error.errors()[0]
    location = [str(part) for part in first.get("loc", ()) if part != "body"]
    field = ".".join(location) or None
    message = first.get("msg", "invalid value")
    if first.get("type") == "missing":
        message = f"{field} is required"
    elif field:
        message = f"{field}: {message}"
    return {
        "code": "invalid_field",
        "message": message,
        "field": field,
        "errors": [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                "message": e.get("msg"),
            }
            for e in error.errors()
        ],
    }


def install_error_handlers(app: FastAPI) -> None:
    async def campus_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, CampusError)
        return JSONResponse(error.body(), status_code=error.status)

    async def validation_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return JSONResponse(_validation_body(error), status_code=422)

    app.add_exception_handler(CampusError, campus_error)
    app.add_exception_handler(RequestValidationError, validation_error)
