"""The gateway's app factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.responses import Response

from usm_gateway import SERVICE_NAME
from usm_gateway.config import GatewaySettings
from usm_gateway.openapi import MergedOpenAPI, merge_specs
from usm_gateway.proxy import forward, new_client
from usmkit.app import operation_id
from usmkit.auth import ROLE_SCOPES
from usmkit.events.kafka import ProducerHolder
from usmkit.observability import RequestContextMiddleware, configure_logging, metrics_response
from usmkit.problems import install_problem_handlers, problem_openapi

PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
READY_TIMEOUT_S = 3.0


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    configure_logging(settings.log_level)
    broker = ProducerHolder(settings, client_id=SERVICE_NAME)
    merged_openapi = MergedOpenAPI(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.client = new_client(settings)
        try:
            yield
        finally:
            await app.state.client.aclose()
            await broker.close()

    app = FastAPI(
        title="USM API",
        description=(
            "Urban Safety & Human Security Monitor: one API for indicators, citizen reports, "
            "participatory appraisals and the network of safer cities."
        ),
        version="1.0.0",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    install_problem_handlers(app)
    problem_openapi(app)
    app.add_middleware(RequestContextMiddleware, service=SERVICE_NAME)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        """Ready when every service reports ready and the broker answers."""
        client: httpx.AsyncClient = request.app.state.client

        async def check_service(url: str) -> str:
            try:
                response = await client.get(f"{url}/readyz", timeout=READY_TIMEOUT_S)
            except httpx.HTTPError as exc:
                return f"unavailable: {type(exc).__name__}"
            return "ok" if response.status_code == 200 else f"not ready ({response.status_code})"

        async def check_broker() -> str:
            try:
                await asyncio.wait_for(broker.ping(), READY_TIMEOUT_S)
            except Exception as exc:
                await broker.discard()
                return f"unavailable: {type(exc).__name__}"
            return "ok"

        names = list(settings.service_urls)
        results = await asyncio.gather(
            *(check_service(settings.service_urls[name]) for name in names), check_broker()
        )
        checks = dict(zip([*names, "broker"], results, strict=True))
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return metrics_response()

    @app.get("/api/v1/admin/roles", tags=["admin"])
    async def list_roles() -> dict[str, list[str]]:
        """Roles and the scopes each grants."""
        return {role: sorted(scopes) for role, scopes in ROLE_SCOPES.items()}

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        specs = await merged_openapi.service_specs(request.app.state.client)
        return JSONResponse(merge_specs(app.openapi(), specs))

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="USM API")

    async def proxy(request: Request) -> Response:
        service: str = request.path_params["service"]
        return await forward(
            request, service=service, client=request.app.state.client, settings=settings
        )

    for path in ("/api/v1/{service}", "/api/v1/{service}/{path:path}"):
        app.add_api_route(path, proxy, methods=PROXY_METHODS, include_in_schema=False)

    return app
