"""The gateway's app factory."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from usm_gateway import SERVICE_NAME
from usm_gateway.config import GatewaySettings
from usm_gateway.keys.endpoints import router as keys_router
from usm_gateway.models import idempotency_keys
from usm_gateway.openapi import merge_specs
from usm_gateway.proxy import PROXY_METHODS, ProxyApp
from usm_gateway.state import Gateway, GatewayDep
from usm_gateway.upstream import UpstreamError
from usmkit.app import NO_TELEMETRY, operation_id
from usmkit.auth import ROLE_SCOPES
from usmkit.housekeeping import idempotency_expiry
from usmkit.observability import RequestContextMiddleware, configure_logging, metrics_response
from usmkit.open311 import Open311Error, format_of_path, render_error
from usmkit.policy import OPEN311_PREFIX, security_openapi
from usmkit.problems import (
    PayloadTooLarge,
    ProblemError,
    install_problem_handlers,
    problem_openapi,
    problem_response,
)
from usmkit.runtime import Background, housekeeping, settle_garbage_collection

READY_TIMEOUT_S = 3.0
ADMIN_PREFIX = "/api/v1/admin/"
# Admin bodies are a few hundred bytes; anything near this is not a client or a key.
ADMIN_MAX_BODY_BYTES = 64 * 1024
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"cross-origin-resource-policy", b"same-site"),
]
access_log = logging.getLogger("usm.gateway.access")


class EdgeMiddleware:
    """Security headers on every response, and one access-log line per request
    (path without query string: Open311 puts `api_key` there)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_secured(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        try:
            await self.app(scope, receive, send_secured)
        finally:
            state = scope.get("state", {})
            access_log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "status": status,
                    "client_id": state.get("client_id"),
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


class AdminBodyLimitMiddleware:
    """The gateway's own routes (the admin API) refuse big bodies as they arrive, before
    anything reads them whole: 413 problem+json. Proxied routes apply their limits in
    `proxy.read_body`."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = ADMIN_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        too_large = PayloadTooLarge(f"The body may be at most {self.max_body_bytes} bytes.")
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            response = problem_response(too_large.to_problem(scope["path"]))
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                raise too_large
            return message

        await self.app(scope, counted, send)


def install_open311_errors(app: FastAPI) -> None:
    """Open311 clients expect the spec's error documents, and 403 for a missing or wrong
    `api_key`; other paths keep problem+json."""

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        if not request.url.path.startswith(OPEN311_PREFIX):
            return problem_response(exc.to_problem(request.url.path), exc.headers)
        status = 403 if exc.status == 401 else exc.status
        error = Open311Error(status, exc.detail or exc.title)
        response = render_error(format_of_path(request.url.path), error)
        response.headers.update(exc.headers)
        return response

    app.add_exception_handler(ProblemError, on_problem)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    configure_logging(settings.log_level)
    gateway = Gateway(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settle_garbage_collection(settings.environment)
        background = Background("gateway")
        # The gateway's one kit table: the answers it keeps for Idempotency-Key.
        background.repeat(
            housekeeping(
                gateway.database,
                (idempotency_expiry(idempotency_keys, settings),),
                settings.housekeeping_interval_s,
            )
        )
        try:
            yield
        finally:
            await background.stop()
            await gateway.close()

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
        telemetry=NO_TELEMETRY,
    )
    app.state.gateway = gateway
    install_problem_handlers(app)
    install_open311_errors(app)
    problem_openapi(app)
    security_openapi(app)
    # Innermost: proxied calls still pass CORS, the request context and the edge layer.
    app.add_middleware(
        ProxyApp,
        client=gateway.client,
        settings=settings,
        authenticator=gateway.authenticator,
        limiter=gateway.limiter,
        exception_handlers=app.exception_handlers,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=PROXY_METHODS,
            allow_headers=[
                "authorization",
                "content-type",
                "idempotency-key",
                "if-match",
                "x-api-key",
                "x-request-id",
                "accept-language",
            ],
            expose_headers=[
                "etag",
                "x-request-id",
                "retry-after",
                "ratelimit-limit",
                "ratelimit-remaining",
                "ratelimit-reset",
            ],
        )
    app.add_middleware(AdminBodyLimitMiddleware)
    app.add_middleware(EdgeMiddleware)
    app.add_middleware(RequestContextMiddleware, service=SERVICE_NAME)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(gateway: GatewayDep) -> JSONResponse:
        """Ready when its database, every service and the broker answer."""

        async def check_service(url: str) -> str:
            try:
                answer = await gateway.client.request(
                    "GET", f"{url}/readyz", timeout_s=READY_TIMEOUT_S
                )
            except UpstreamError as exc:
                return f"unavailable: {type(exc).__name__}"
            return "ok" if answer.status == 200 else f"not ready ({answer.status})"

        async def check(
            probe: Callable[[], Awaitable[None]],
            on_failure: Callable[[], Awaitable[None]] | None = None,
        ) -> str:
            try:
                await asyncio.wait_for(probe(), READY_TIMEOUT_S)
            except Exception as exc:
                if on_failure is not None:
                    await on_failure()
                return f"unavailable: {type(exc).__name__}"
            return "ok"

        names = list(settings.service_urls)
        results = await asyncio.gather(
            *(check_service(settings.service_urls[name]) for name in names),
            check(gateway.broker.ping, gateway.broker.discard),
            check(gateway.database.ping),
        )
        checks = dict(zip([*names, "broker", "database"], results, strict=True))
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
        """Roles and the scopes each grants (public: the mapping is data, not a secret)."""
        return {role: sorted(scopes) for role, scopes in ROLE_SCOPES.items()}

    app.include_router(keys_router)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(gateway: GatewayDep) -> JSONResponse:
        specs = await gateway.openapi.service_specs(gateway.client)
        return JSONResponse(merge_specs(app.openapi(), specs))

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="USM API")

    return app
