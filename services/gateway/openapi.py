"""One OpenAPI document for the whole gateway, from the services' own documents."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.gateway.clients import ServiceClients

PUBLISHED_SERVICES = ("missions", "notifications")

# The body of every error, as `shared.platform.errors` writes it.
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "Stable error code."},
        "message": {"type": "string", "description": "What failed, and the fix."},
        "field": {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": "The field at fault, as section.field, if any.",
        },
        "errors": {
            "type": "array",
            "description": "Every invalid field of a 422, the first one above.",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
ERROR_RESPONSE = {
    "description": "An error: 401 not signed in, 403 not allowed, 404 not found "
    "or not visible, 409 wrong status, 413 body too large, 422 invalid field, "
    "429 too many failed attempts.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _document_errors(paths: dict[str, Any]) -> None:
    """Give every operation the error body that Campus really returns.

    FastAPI documents its own 422 body, which Campus replaces with its error
    body; each operation can also return any other 4xx status.
    """
    for operations in paths.values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses["422"] = ERROR_RESPONSE
            responses["4XX"] = ERROR_RESPONSE


async def fetch_service_documents(clients: ServiceClients) -> list[dict[str, Any]]:
    documents = []
    for service in PUBLISHED_SERVICES:
        response = await clients.request(service, "GET", "/api/v1/openapi.json", None)
        response.raise_for_status()
        documents.append(response.json())
    return documents


def merged_openapi(
    app: FastAPI, service_documents: list[dict[str, Any]]
) -> dict[str, Any]:
    document = get_openapi(
        title="Campus",
        version="1.0.0",
        description="The public HTTP API of Campus, served by its gateway.",
        routes=app.routes,
    )
    paths = document.setdefault("paths", {})
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for service_document in service_documents:
        for path, operations in service_document.get("paths", {}).items():
            if path.startswith("/api/v1/") and path not in paths:
                paths[path] = operations
        schemas.update(service_document.get("components", {}).get("schemas", {}))
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    _document_errors(paths)
    return document
