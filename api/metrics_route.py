"""GET /metrics: the app's Prometheus metrics in the text format.

With METRICS_TOKEN set, only `Authorization: Bearer <token>` reads them. On a public Space
(SPACE_ID set) without a token the route answers 404, as if it did not exist.
"""

from __future__ import annotations

import hmac
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


def metrics_route(metrics: Any, settings: Any) -> Route:
    token = settings.metrics_token.reveal() if settings.metrics_token else ""

    def scrape(request: Request) -> Response:
        if not settings.metrics_exposed:
            return PlainTextResponse("Not Found", status_code=404)
        if token:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return PlainTextResponse("A bearer token is needed.", status_code=401,
                                         headers={"WWW-Authenticate": "Bearer"})
        return Response(metrics.exposition(), media_type=metrics.content_type)

    return Route("/metrics", scrape, methods=["GET"])
