"""The appraisals service's app factory."""

from fastapi import FastAPI

from usm_appraisals import SERVICE_NAME
from usm_appraisals.appraisals.endpoints import router as appraisals_router
from usm_appraisals.config import AppraisalsSettings
from usm_appraisals.events.handlers import SUBSCRIPTION
from usm_appraisals.lessons.endpoints import router as lessons_router
from usm_appraisals.models import kit_tables
from usm_appraisals.plans.endpoints import router as plans_router
from usm_appraisals.signals.endpoints import router as signals_router
from usm_appraisals.templates.endpoints import router as templates_router
from usm_appraisals.working_groups.endpoints import city_router as city_statistics_router
from usm_appraisals.working_groups.endpoints import router as working_groups_router
from usmkit.app import create_service_app
from usmkit.runtime import ServiceRuntime


def create_app(settings: AppraisalsSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        service_name=SERVICE_NAME,
        settings=settings or AppraisalsSettings(),
        tables=kit_tables,
        subscription=SUBSCRIPTION,
    )
    return create_service_app(
        runtime,
        title="USM appraisals service",
        description=(
            "Working Groups' participatory appraisals, Human Security Plans and lessons learned."
        ),
        routers=[
            lessons_router,
            working_groups_router,
            city_statistics_router,
            appraisals_router,
            plans_router,
            signals_router,
            templates_router,
        ],
    )
