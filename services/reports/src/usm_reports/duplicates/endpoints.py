import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from usm_reports.config import reports_settings
from usm_reports.duplicates import service
from usm_reports.duplicates.schemas import DuplicateCandidates, ReportMergeCreate
from usm_reports.reports.schemas import ReportRead
from usm_reports.reports.service import etag_of, staff_views
from usmkit.auth import Principal, require_scope
from usmkit.concurrency import ETAG_HEADER
from usmkit.problems import PROBLEM_RESPONSES
from usmkit.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1/reports", tags=["duplicates"], responses=PROBLEM_RESPONSES)

ReportIdPath = Annotated[uuid.UUID, Path(description="The report's id.")]


@router.get("/{report_id}/duplicates", response_model=DuplicateCandidates)
async def list_duplicate_candidates(
    report_id: ReportIdPath,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require_scope("reports:moderate"))],
    radius_m: Annotated[
        float | None,
        Query(ge=10, le=5000, description="Search radius; the service's setting by default."),
    ] = None,
    window_hours: Annotated[
        float | None,
        Query(
            ge=1,
            le=24 * 90,
            description="Hours before or after the report; the service's setting by default.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="At most this many.")] = 50,
) -> DuplicateCandidates:
    """Reports that may be the same problem: same city and category, submitted within
    the time window and inside the radius (same address for address-only reports),
    not merged themselves; nearest first.

    For the city's moderators. Sensitive reports are neither shown as candidates nor
    searched for without `reports:sensitive:read`; showing one in full is audited.
    """
    settings = reports_settings(runtime)
    return await service.find_candidates(
        session=session,
        report_id=report_id,
        principal=principal,
        radius_m=radius_m if radius_m is not None else settings.duplicate_radius_m,
        window_hours=window_hours if window_hours is not None else settings.duplicate_window_hours,
        limit=limit,
    )


@router.post(
    "/{report_id}/merge",
    response_model=ReportRead,
    responses={200: {"headers": ETAG_HEADER}},
)
async def merge_report(
    report_id: ReportIdPath,
    merge_in: ReportMergeCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
    principal: Annotated[Principal, Depends(require_scope("reports:moderate"))],
    if_match: Annotated[
        str | None,
        Header(
            max_length=200,
            description="The duplicate's `ETag` as you read it: 412 if it changed since, "
            "428 when missing.",
        ),
    ] = None,
) -> ReportRead:
    """Merge this report, a duplicate, into `into_report_id` (its primary, same city).

    The duplicate keeps its own history, with the merge recorded in it; its reporter's
    tracking code then shows the primary's status. Its own workflow stops (status changes
    answer 409) and `report.merged` tells downstream counts to drop it. Repeating the same
    merge answers the same and changes nothing; merging into another report afterwards,
    or into a report that is itself a duplicate, is a 409. Duplicates of this report
    follow it to the primary. Sensitive reports need `reports:sensitive:read`.
    """
    report = await service.merge_report(
        session=session,
        outbox=runtime.outbox,
        report_id=report_id,
        merge_in=merge_in,
        principal=principal,
        if_match=if_match,
    )
    response.headers["ETag"] = etag_of(report)
    [view] = await staff_views(
        session=session, reports=[report], principal=principal, action="report.merge"
    )
    return view
