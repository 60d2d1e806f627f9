"""The network service's app factory."""

from fastapi import FastAPI

from usm_network import SERVICE_NAME
from usm_network.aggregates.endpoints import aggregates_router, benchmarks_router
from usm_network.cities.endpoints import partnerships_router
from usm_network.cities.endpoints import router as cities_router
from usm_network.config import NetworkSettings
from usm_network.events.handlers import SUBSCRIPTION
from usm_network.knowledge.endpoints import router as knowledge_router
from usm_network.models import kit_tables
from usm_network.sync.endpoints import peers_router, sync_router
from usm_network.sync.schedule import scheduled_sync
from usmkit.app import create_service_app
from usmkit.runtime import ServiceRuntime


def create_app(settings: NetworkSettings | None = None) -> FastAPI:
    settings = settings or NetworkSettings()
    runtime = ServiceRuntime(
        service_name=SERVICE_NAME,
        settings=settings,
        tables=kit_tables,
        subscription=SUBSCRIPTION,
    )
    app = create_service_app(
        runtime,
        title="USM network service",
        description=(
            "Member cities of the Global Network on Safer Cities, shared knowledge, and "
            "city-to-city sync between deployments."
        ),
        routers=[
            cities_router,
            partnerships_router,
            knowledge_router,
            aggregates_router,
            benchmarks_router,
            peers_router,
            sync_router,
        ],
    )
    if settings.sync_interval_s > 0:
        runtime.repeat(scheduled_sync(runtime, settings))
    return app
