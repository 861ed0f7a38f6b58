"""Operating a deployment: the dashboard's charts (`GET /api/app_metrics/*`, spec/operator.md
§4.6), Prometheus's `GET /metrics`, and the `/api/v1` platform calls of the Settings page
(`pause_deployment`, `unpause_deployment`; `deployment_info` and empty usage limits, §4.9).

Everything needs an admin key, pausing one that may write. `GET /metrics` does too, unless
the server was started with `--metrics` (`ServerState.metrics_without_key`), for a scraper
on a trusted network: upstream serves its metrics unauthenticated on a separate port.
"""

from __future__ import annotations

import logging

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from convexlite.server.errors import HttpError, guarded
from convexlite.server.requests import admin_caller
from convexlite.server.state import ServerState

log = logging.getLogger("convexlite.server")

USAGE_METRICS = {
    "functionCalls": "calls",
    "databaseIoGb": "GB",
    "dataEgressGb": "GB",
    "searchQueryGb": "Query-GB",
    "queryMutationComputeGbHours": "GB-hours",
    "actionComputeConvexGbHours": "GB-hours",
    "actionComputeNodeJsGbHours": "GB-hours",
    "actionComputeCpuGbHours": "GB-hours",
}


class _Connections(Collector):
    def __init__(self, state: ServerState) -> None:
        self._state = state

    def collect(self) -> list[Metric]:
        return [
            GaugeMetricFamily(
                "convex_websocket_connections",
                "Sync WebSocket connections open",
                value=self._state.websocket_connections,
            )
        ]


def routes(state: ServerState) -> list[Route]:
    async def app_metrics(request: Request) -> Response:
        admin_caller(request, state, "Reading metrics", write=False)
        try:
            body = state.backend.app_metrics(
                request.path_params["metric"], dict(request.query_params)
            )
        except KeyError:
            raise HttpError(404, "NotFound", "No such metric") from None
        return JSONResponse(body)

    async def prometheus(request: Request) -> Response:
        if not state.metrics_without_key:
            admin_caller(request, state, "Reading metrics", write=False)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Connections(state))
        registry.register(state.backend.prometheus_collector())
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    def changing_state(paused: bool) -> Route:
        what = "Pausing the deployment" if paused else "Resuming the deployment"

        async def change(request: Request) -> Response:
            admin_caller(request, state, what, write=True)
            await state.backend.set_paused(paused)
            return Response(status_code=200)

        name = "pause_deployment" if paused else "unpause_deployment"
        return Route(f"/api/v1/{name}", guarded(what.lower(), change), methods=["POST"])

    async def deployment_info(request: Request) -> Response:
        return _admin_json(request, state, {"kind": "selfHosted"})

    async def usage_limits(request: Request) -> Response:
        return _admin_json(request, state, {"usageLimits": []})

    async def current_usage(request: Request) -> Response:
        zero = {"current_day": 0, "current_month": 0}
        metrics = {name: {"unit": unit, "usage": zero} for name, unit in USAGE_METRICS.items()}
        return _admin_json(request, state, {"metrics": metrics, "seedStatus": "complete"})

    return [
        Route(
            "/api/app_metrics/{metric}", guarded("reading metrics", app_metrics), methods=["GET"]
        ),
        Route("/metrics", guarded("reading metrics", prometheus), methods=["GET"]),
        changing_state(True),
        changing_state(False),
        *(
            Route(f"/api/v1/{name}", guarded(name, handler), methods=["GET"])
            for name, handler in (
                ("deployment_info", deployment_info),
                ("list_usage_limits", usage_limits),
                ("get_current_usage", current_usage),
            )
        ),
    ]


def _admin_json(request: Request, state: ServerState, body: object) -> Response:
    admin_caller(request, state, "This endpoint", write=False)
    return JSONResponse(body)
