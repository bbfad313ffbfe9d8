"""One OpenAPI document for the whole gateway, from the services' own documents."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.gateway.clients import ServiceClients

PUBLISHED_SERVICES = ("missions", "notifications")


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
    return document
