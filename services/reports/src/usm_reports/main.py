"""The reports service's app factory."""

from fastapi import FastAPI

from usm_reports import SERVICE_NAME
from usm_reports.audit.endpoints import router as audit_router
from usm_reports.categories.endpoints import router as categories_router
from usm_reports.config import ReportsSettings, reports_settings
from usm_reports.duplicates.endpoints import router as duplicates_router
from usm_reports.events.handlers import SUBSCRIPTION
from usm_reports.exports.endpoints import router as exports_router
from usm_reports.maps.endpoints import router as maps_router
from usm_reports.models import kit_tables
from usm_reports.open311.endpoints import router as open311_router
from usm_reports.open311.routing import install_open311_errors
from usm_reports.reports.endpoints import router as reports_router
from usm_reports.reports.intake import Intake
from usm_reports.reports.lane import INTAKE, intake_lane
from usm_reports.retention.schedule import scheduled_retention
from usm_reports.sms.endpoints import router as sms_router
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
        routers=[
            reports_router,
            duplicates_router,
            categories_router,
            audit_router,
            maps_router,
            exports_router,
            sms_router,
            open311_router,
        ],
        lanes={INTAKE: intake_lane},
    )
    install_open311_errors(app)
    app.state.intake = Intake.from_settings(reports_settings(runtime))
    runtime.repeat(scheduled_retention(runtime, reports_settings(runtime)))
    return app
