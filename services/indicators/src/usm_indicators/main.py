"""The indicators service's app factory."""

from fastapi import FastAPI

from usm_indicators import SERVICE_NAME
from usm_indicators.alerts.endpoints import router as alerts_router
from usm_indicators.catalogue.endpoints import router as catalogue_router
from usm_indicators.computed.endpoints import router as computed_router
from usm_indicators.config import IndicatorsSettings
from usm_indicators.events.handlers import subscription
from usm_indicators.gaps.endpoints import router as gaps_router
from usm_indicators.geography.endpoints import router as geography_router
from usm_indicators.models import kit_tables
from usm_indicators.report_counts.endpoints import router as report_counts_router
from usm_indicators.report_counts.schedule import scheduled_announcements
from usm_indicators.sdmx.endpoints import router as sdmx_router
from usm_indicators.targets.endpoints import router as targets_router
from usm_indicators.values.endpoints import router as values_router
from usmkit.app import create_service_app
from usmkit.runtime import ServiceRuntime


def create_app(settings: IndicatorsSettings | None = None) -> FastAPI:
    settings = settings or IndicatorsSettings()
    runtime: ServiceRuntime
    # The recompute after new values writes through this runtime's outbox (bound late).
    runtime = ServiceRuntime(
        service_name=SERVICE_NAME,
        settings=settings,
        tables=kit_tables,
        subscription=subscription(lambda: runtime.outbox),
    )
    runtime.repeat(scheduled_announcements(runtime, settings))
    return create_service_app(
        runtime,
        title="USM indicators service",
        description=(
            "City geography (districts and boundaries), the indicator catalogue, data values, "
            "computed indicators, counts of citizen reports derived from events, and alerts."
        ),
        routers=[
            geography_router,
            catalogue_router,
            values_router,
            computed_router,
            report_counts_router,
            alerts_router,
            gaps_router,
            sdmx_router,
            targets_router,
        ],
    )
