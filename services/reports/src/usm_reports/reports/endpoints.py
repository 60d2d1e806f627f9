from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from usm_reports.reports import service
from usm_reports.reports.repository import ReportRepository
from usm_reports.reports.schemas import (
    SLUG_PATTERN,
    ReportCreate,
    ReportRead,
    ReportReceipt,
    ReportTracking,
)
from usmkit.auth import Principal, PrincipalDep, require_city, require_scope
from usmkit.idempotency import IdempotencyDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import PROBLEM_RESPONSES
from usmkit.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=PROBLEM_RESPONSES)


@router.post("", response_model=ReportReceipt, status_code=status.HTTP_201_CREATED)
async def submit_report(
    report_in: ReportCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency: IdempotencyDep,
    principal: Annotated[Principal, Depends(require_scope("reports:submit"))],
) -> ReportReceipt:
    """Submit a report, anonymously or not.

    The location is assigned to the city's district that contains it; a point outside
    every district is kept and flagged `outside_districts`. The answer carries the
    tracking code, shown only this once: keep it to follow the report.
    """

    async def write() -> ReportReceipt:
        report, tracking_code = await service.submit_report(
            session=session, outbox=runtime.outbox, report_in=report_in
        )
        return ReportReceipt(
            id=report.id,
            tracking_code=tracking_code,
            status="submitted",
            district_code=report.district_code,
            submitted_at=report.submitted_at,
        )

    return await idempotency.run(session, ReportReceipt, write)


@router.get("/track/{tracking_code}", response_model=ReportTracking)
async def track_report(
    tracking_code: Annotated[str, Path(min_length=1, max_length=100)],
    session: SessionDep,
    principal: PrincipalDep,
) -> ReportTracking:
    """Follow a report with the tracking code its reporter was given."""
    report = await service.track_report(session=session, tracking_code=tracking_code)
    return ReportTracking.model_validate(report)


@router.get("", response_model=Page[ReportRead])
async def list_reports(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_scope("reports:read"))],
    page: PageParamsDep,
    city: Annotated[str, Query(max_length=100, pattern=SLUG_PATTERN)],
) -> Page[ReportRead]:
    """Reports of one of the caller's cities, newest first.

    Sensitive reports come without description and exact location unless the caller
    has `reports:sensitive:read`.
    """
    require_city(principal, city)
    rows = await ReportRepository(session).list(page, city=city)
    items, next_cursor = split_page(
        list(rows), page, lambda report: [report.submitted_at.isoformat(), str(report.id)]
    )
    return Page[ReportRead](
        items=[service.staff_view(report, principal=principal) for report in items],
        next_cursor=next_cursor,
    )
