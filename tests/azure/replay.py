"""A replaying transport for the real Azure SDK clients: recorded ARM responses, no network, fake token.

Used with ``ComputeManagementClient(FakeCredential(), SUBSCRIPTION, transport=ReplayTransport(routes))``:
every request goes through the SDK's real pipeline and deserialisers, and is answered from ``routes`` (method,
a regex on the URL, status, JSON body, headers), in order; a route with ``times`` answers that many requests,
then the next matching route answers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest._http_response_impl import HttpResponseImpl

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"


class FakeCredential:
    """A TokenCredential that never touches the network (and never probes the instance metadata address)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("fake-token-not-a-secret", 4_102_444_800)


@dataclass
class Route:
    method: str
    url: str  # regex searched in the full URL
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1_000_000


class ReplayTransport(HttpTransport):
    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes
        self.requests: list[tuple[str, str]] = []

    def __enter__(self) -> ReplayTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        return None

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def send(self, request: Any, **kwargs: Any) -> HttpResponseImpl:
        self.requests.append((request.method, request.url))
        assert request.url.startswith("https://"), request.url
        for route in self.routes:
            if route.times > 0 and route.method == request.method and re.search(route.url, request.url):
                route.times -= 1
                return _response(request, route.status, route.body, route.headers)
        return _response(
            request,
            404,
            {"error": {"code": "NoRecording", "message": f"no recorded response for {request.url}"}},
            {},
        )


def _response(request: Any, status: int, body: Any, headers: dict[str, str]) -> HttpResponseImpl:
    data = json.dumps(body).encode()
    resp = HttpResponseImpl(
        request=request,
        internal_response=None,
        status_code=status,
        reason="recorded",
        content_type="application/json",
        headers={"Content-Type": "application/json", **headers},
        stream_download_generator=None,
    )
    resp._content = data  # noqa: SLF001 - a fully read, closed response
    resp._is_closed = True  # noqa: SLF001
    resp._is_stream_consumed = True  # noqa: SLF001
    return resp
