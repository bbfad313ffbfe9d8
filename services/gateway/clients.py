"""HTTP clients of the services: in process (embedded) or over the network."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from shared.platform.actors import ACTOR_HEADER, Actor, sign_actor
from shared.platform.errors import CampusError, NotFoundError
from shared.platform.observability import request_id_headers

SERVICES = ("missions", "documents", "notifications", "evaluations")


class ServiceUnavailableError(CampusError):
    status = 503
    code = "service_unavailable"


class ServiceClients:
    def __init__(self, clients: dict[str, httpx.AsyncClient], secret: str) -> None:
        self._clients = clients
        self._secret = secret

    @classmethod
    def in_process(cls, apps: dict[str, Any], secret: str) -> ServiceClients:
        return cls(
            {
                name: httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url=f"http://{name}"
                )
                for name, app in apps.items()
            },
            secret,
        )

    @classmethod
    def over_http(cls, urls: dict[str, str], secret: str) -> ServiceClients:
        missing = [name for name in SERVICES if name not in urls]
        if missing:
            raise ValueError(f"CAMPUS_SERVICE_URLS lacks {', '.join(missing)}")
        return cls(
            {
                name: httpx.AsyncClient(base_url=urls[name], timeout=30)
                for name in SERVICES
            },
            secret,
        )

    def headers(self, actor: Actor | None) -> dict[str, str]:
        return {ACTOR_HEADER: sign_actor(actor, self._secret)} if actor else {}

    async def request(
        self,
        service: str,
        method: str,
        path: str,
        actor: Actor | None,
        **kwargs: Any,
    ) -> httpx.Response:
        return await self._send(service, method, path, actor, False, **kwargs)

    async def stream(
        self,
        service: str,
        method: str,
        path: str,
        actor: Actor | None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request and return as soon as the response's head arrives.

        The body is read with `relay_stream`, which closes the response; a
        long list then passes through the gateway without being held whole.
        """
        return await self._send(service, method, path, actor, True, **kwargs)

    async def _send(
        self,
        service: str,
        method: str,
        path: str,
        actor: Actor | None,
        streamed: bool,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = {
            **kwargs.pop("headers", {}),
            **self.headers(actor),
            **request_id_headers(),
        }
        client = self._clients[service]
        try:
            request = client.build_request(method, path, headers=headers, **kwargs)
            return await client.send(request, stream=streamed)
        except httpx.InvalidURL as error:
            raise NotFoundError(f"no endpoint {path!r}") from error
        except httpx.TransportError as error:
            raise ServiceUnavailableError(
                f"the {service} service did not respond; try again in a moment"
            ) from error

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()


RELAYED_HEADERS = ("content-type", "content-disposition", "location", "link")


def _relayed_headers(response: httpx.Response) -> dict[str, str]:
    return {
        name: response.headers[name]
        for name in RELAYED_HEADERS
        if name in response.headers
    }


def relay_response(response: httpx.Response) -> Response:
    """Pass a service's response on to the browser or script unchanged."""
    return Response(
        response.content,
        status_code=response.status_code,
        headers=_relayed_headers(response),
    )


def relay_stream(response: httpx.Response) -> StreamingResponse:
    """Pass on a response opened by `ServiceClients.stream` as its body arrives."""
    return StreamingResponse(
        response.aiter_bytes(),
        status_code=response.status_code,
        headers=_relayed_headers(response),
        background=BackgroundTask(response.aclose),
    )
