"""The indicators service's app factory."""

from fastapi import FastAPI

from usm_indicators import SERVICE_NAME
from usm_indicators.config import IndicatorsSettings
from usm_indicators.events.handlers import SUBSCRIPTION
from usm_indicators.geography.endpoints import router as geography_router
from usm_indicators.models import kit_tables
from usm_indicators.report_counts.endpoints import router as report_counts_router
from usmkit.app import create_service_app
from usmkit.runtime import ServiceRuntime


def create_app(settings: IndicatorsSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        service_name=SERVICE_NAME,
        settings=settings or IndicatorsSettings(),
        tables=kit_tables,
        subscription=SUBSCRIPTION,
    )
    return create_service_app(
        runtime,
        title="USM indicators service",
        description=(
            "City geography (districts and boundaries) and counts of citizen reports derived "
            "from events."
        ),
        routers=[geography_router, report_counts_router],
    )
