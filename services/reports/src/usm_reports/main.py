"""The reports service's app factory."""

from fastapi import FastAPI

from usm_reports import SERVICE_NAME
from usm_reports.categories.endpoints import router as categories_router
from usm_reports.config import ReportsSettings
from usm_reports.events.handlers import SUBSCRIPTION
from usm_reports.models import kit_tables
from usm_reports.open311.endpoints import router as open311_router
from usm_reports.open311.routing import install_open311_errors
from usm_reports.reports.endpoints import router as reports_router
from usmkit.app import create_service_app
from usmkit.runtime import ServiceRuntime


def create_app(settings: ReportsSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        service_name=SERVICE_NAME,
        settings=settings or ReportsSettings(),
        tables=kit_tables,
        subscription=SUBSCRIPTION,
    )
    app = create_service_app(
        runtime,
        title="USM reports service",
        description=(
            "Citizen reports: categories per city, submission, districts, tracking codes "
            "and staff lists; moderation workflow; Open311 GeoReport v2 at /open311/v2/."
        ),
        routers=[reports_router, categories_router, open311_router],
    )
    install_open311_errors(app)
    return app
