"""The network service's app factory."""

from fastapi import FastAPI

from usm_network import SERVICE_NAME
from usm_network.cities.endpoints import router as cities_router
from usm_network.config import NetworkSettings
from usm_network.events.handlers import SUBSCRIPTION
from usm_network.knowledge.endpoints import router as knowledge_router
from usm_network.models import kit_tables
from usmkit.app import create_service_app
from usmkit.runtime import ServiceRuntime


def create_app(settings: NetworkSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        service_name=SERVICE_NAME,
        settings=settings or NetworkSettings(),
        tables=kit_tables,
        subscription=SUBSCRIPTION,
    )
    return create_service_app(
        runtime,
        title="USM network service",
        description="Member cities of the Global Network on Safer Cities and shared knowledge.",
        routers=[cities_router, knowledge_router],
    )
