from typing import Annotated

from fastapi import APIRouter, Path, Query

from usm_reports.config import reports_settings
from usm_reports.maps import service
from usm_reports.maps.schemas import CellMap, DistrictMap
from usm_reports.models import city_directory
from usm_reports.reports.filters import ReportFilterDep
from usm_reports.reports.privacy import PUBLIC_H3_RESOLUTION
from usm_reports.reports.schemas import SLUG_PATTERN
from usmkit.auth import PublicDep
from usmkit.problems import PROBLEM_RESPONSES, NotFound
from usmkit.runtime import RuntimeDep, SessionDep

# Coarser than 5 (cells of ≈ 250 km²) says nothing about a city; finer than the public
# grid would publish more than the public views show.
MIN_RESOLUTION = 5
DEFAULT_RESOLUTION = 8

router = APIRouter(
    prefix="/api/v1/reports/cities/{city}/map", tags=["report-maps"], responses=PROBLEM_RESPONSES
)
CityPath = Annotated[str, Path(max_length=100, pattern=SLUG_PATTERN, description="City slug.")]


async def _known_city(session: SessionDep, city: str) -> None:
    if not await city_directory.exists(session, city):
        raise NotFound(f"{city!r} is not a member city.")


@router.get("/cells", response_model=CellMap)
async def map_cells(
    city: CityPath,
    session: SessionDep,
    runtime: RuntimeDep,
    report_filter: ReportFilterDep,
    _: PublicDep,
    resolution: Annotated[
        int,
        Query(
            ge=MIN_RESOLUTION,
            le=PUBLIC_H3_RESOLUTION,
            description="H3 resolution of the cells: 5 (≈ 250 km²) to 9 (≈ 0.1 km²).",
        ),
    ] = DEFAULT_RESOLUTION,
) -> CellMap:
    """Public counts of reports per H3 cell, for maps; filters by category, status,
    period and district.

    Only normal reports: sensitive ones are counted per district only. Merged duplicates
    count once, with their primary. A count from 1 to the suppression threshold minus one
    is published as `suppressed` with no value.
    """
    await _known_city(session, city)
    return await service.cell_map(
        session=session,
        city=city,
        resolution=resolution,
        report_filter=report_filter,
        threshold=reports_settings(runtime).suppression_threshold,
    )


@router.get("/districts", response_model=DistrictMap)
async def map_districts(
    city: CityPath,
    session: SessionDep,
    runtime: RuntimeDep,
    report_filter: ReportFilterDep,
    _: PublicDep,
) -> DistrictMap:
    """Public counts of reports per district, sensitive reports included; filters by
    category, status, period and district. Small counts are suppressed as for cells."""
    await _known_city(session, city)
    return await service.district_map(
        session=session,
        city=city,
        report_filter=report_filter,
        threshold=reports_settings(runtime).suppression_threshold,
    )
