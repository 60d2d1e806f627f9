"""The app factory every service uses: middleware, errors, health, metrics, lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from starlette.responses import Response

from usmkit.admission import AdmissionLimit
from usmkit.lanes import Lane, Lanes
from usmkit.observability import RequestContextMiddleware, configure_logging, metrics_response
from usmkit.policy import security_openapi
from usmkit.problems import install_problem_handlers, problem_openapi
from usmkit.runtime import RuntimeDep, ServiceRuntime, lifespan_for

READY_TIMEOUT_S = 3.0
# USM configures no OpenTelemetry; FastAPI's native telemetry would still look up the global
# providers on every call.
NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def operation_id(route: APIRoute) -> str:
    """Stable ids (`<tag>-<route name>`) keep generated clients readable."""
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"], include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(runtime: RuntimeDep) -> JSONResponse:
        """Ready when the database and the broker both answer."""
        checks: dict[str, str] = {}
        for name, probe in (("database", runtime.database.ping), ("broker", runtime.producer.ping)):
            try:
                await asyncio.wait_for(probe(), READY_TIMEOUT_S)
                checks[name] = "ok"
            except Exception as exc:
                checks[name] = f"unavailable: {type(exc).__name__}"
                if name == "broker":
                    await runtime.producer.discard()
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics")
    async def metrics() -> Response:
        return metrics_response()

    return router


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    lanes: Mapping[tuple[str, str], Lane] | None = None,
) -> FastAPI:
    """A service's app. `lanes` (method and path → lane, see usmkit.lanes) sit innermost: the
    requests they answer still pass the request context and the admission limit."""
    configure_logging(runtime.settings.log_level)
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan_for(runtime),
        generate_unique_id_function=operation_id,
        telemetry=NO_TELEMETRY,
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    problem_openapi(app)
    security_openapi(app)
    if lanes:
        # The handlers' own mapping: handlers installed after this call answer there too.
        app.add_middleware(Lanes, lanes=lanes, exception_handlers=app.exception_handlers)
    app.add_middleware(RequestContextMiddleware, service=runtime.service_name)
    app.add_middleware(AdmissionLimit, limit=runtime.settings.max_concurrent_requests)
    app.include_router(health_router())
    for router in routers:
        app.include_router(router)
    return app
