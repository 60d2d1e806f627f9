"""The reports service's app factory."""

from fastapi import FastAPI

from usm_reports import SERVICE_NAME
from usm_reports.config import ReportsSettings
from usm_reports.events.handlers import SUBSCRIPTION
from usm_reports.models import kit_tables
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
    return create_service_app(
        runtime,
        title="USM reports service",
        description="Citizen reports: submission, districts, tracking codes and staff lists.",
        routers=[reports_router],
    )
