from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.config import reports_settings
from usm_reports.exports import service
from usm_reports.exports.service import ExportFormat, ExportRow
from usm_reports.models import city_directory
from usm_reports.reports.filters import ReportFilter, ReportFilterDep
from usm_reports.reports.schemas import SLUG_PATTERN
from usmkit.auth import Principal, PublicDep, require_city, require_scope
from usmkit.problems import PROBLEM_RESPONSES, NotFound
from usmkit.runtime import RuntimeDep, ServiceRuntime, SessionDep

router = APIRouter(
    prefix="/api/v1/reports/cities/{city}/exports",
    tags=["report-exports"],
    responses=PROBLEM_RESPONSES,
)
CityPath = Annotated[str, Path(max_length=100, pattern=SLUG_PATTERN, description="City slug.")]
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json"}


def stream_responses(media_type: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": "The reports, oldest first.", "content": {media_type: {}}}}


async def _stream(
    rows: AsyncIterator[ExportRow], fmt: ExportFormat, columns: tuple[str, ...], name: str
) -> StreamingResponse:
    rows = await service.started(rows)
    body = service.as_csv(rows, columns) if fmt == "csv" else service.as_geojson(rows)
    return StreamingResponse(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


StaffCaller = Annotated[Principal, Depends(require_scope("reports:read"))]


async def _public(
    *,
    city: str,
    fmt: ExportFormat,
    session: AsyncSession,
    runtime: ServiceRuntime,
    report_filter: ReportFilter,
) -> StreamingResponse:
    if not await city_directory.exists(session, city):
        raise NotFound(f"{city!r} is not a member city.")
    hidden = await service.hidden_districts(
        session=session,
        city=city,
        report_filter=report_filter,
        threshold=reports_settings(runtime).suppression_threshold,
    )
    rows = service.export_rows(
        database=runtime.database,
        city=city,
        report_filter=report_filter,
        principal=None,
        hidden_sensitive_districts=hidden,
    )
    return await _stream(rows, fmt, service.PUBLIC_COLUMNS, f"{city}-reports")


async def _staff(
    *,
    city: str,
    fmt: ExportFormat,
    runtime: ServiceRuntime,
    report_filter: ReportFilter,
    principal: Principal,
) -> StreamingResponse:
    require_city(principal, city)
    rows = service.export_rows(
        database=runtime.database,
        city=city,
        report_filter=report_filter,
        principal=principal,
        hidden_sensitive_districts=frozenset(),
    )
    return await _stream(rows, fmt, service.STAFF_COLUMNS, f"{city}-reports-staff")


PUBLIC_DESCRIPTION = """The city's reports for anyone; filters by category, status, period and
district.

What every public view shows: normal reports at the centre of their H3 cell (resolution 9)
with text scrubbed of e-mail addresses, phone and ID numbers; sensitive reports by
district only, without text, and left out where their district has fewer than the
suppression threshold of them. Never contact details. Streamed, oldest first."""
STAFF_DESCRIPTION = """The city's reports for its staff (`reports:read` in the city); filters
by category, status, period and district.

Exact locations and text as the staff views show them: a sensitive report in full only
with `reports:sensitive:read`, and then written to the audit log. Never contact details.
Streamed, oldest first."""


@router.get(
    "/public.csv",
    response_class=StreamingResponse,
    responses=stream_responses("text/csv"),
    summary="Export public reports as CSV",
    description=PUBLIC_DESCRIPTION,
)
async def export_public_csv(
    city: CityPath,
    session: SessionDep,
    runtime: RuntimeDep,
    report_filter: ReportFilterDep,
    _: PublicDep,
) -> StreamingResponse:
    return await _public(
        city=city, fmt="csv", session=session, runtime=runtime, report_filter=report_filter
    )


@router.get(
    "/public.geojson",
    response_class=StreamingResponse,
    responses=stream_responses("application/geo+json"),
    summary="Export public reports as GeoJSON",
    description=PUBLIC_DESCRIPTION,
)
async def export_public_geojson(
    city: CityPath,
    session: SessionDep,
    runtime: RuntimeDep,
    report_filter: ReportFilterDep,
    _: PublicDep,
) -> StreamingResponse:
    return await _public(
        city=city, fmt="geojson", session=session, runtime=runtime, report_filter=report_filter
    )


@router.get(
    "/staff.csv",
    response_class=StreamingResponse,
    responses=stream_responses("text/csv"),
    summary="Export reports for staff as CSV",
    description=STAFF_DESCRIPTION,
)
async def export_staff_csv(
    city: CityPath, runtime: RuntimeDep, report_filter: ReportFilterDep, principal: StaffCaller
) -> StreamingResponse:
    return await _staff(
        city=city, fmt="csv", runtime=runtime, report_filter=report_filter, principal=principal
    )


@router.get(
    "/staff.geojson",
    response_class=StreamingResponse,
    responses=stream_responses("application/geo+json"),
    summary="Export reports for staff as GeoJSON",
    description=STAFF_DESCRIPTION,
)
async def export_staff_geojson(
    city: CityPath, runtime: RuntimeDep, report_filter: ReportFilterDep, principal: StaffCaller
) -> StreamingResponse:
    return await _staff(
        city=city, fmt="geojson", runtime=runtime, report_filter=report_filter, principal=principal
    )
