import math
import uuid
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status

from usm_reports.audit.service import SENSITIVE_READ_SCOPE
from usm_reports.reports import service
from usm_reports.reports.contacts import vault_for
from usm_reports.reports.filters import WITHOUT_CONTROL_CHARACTERS, ReportFilterDep
from usm_reports.reports.intake import IntakeDep
from usm_reports.reports.repository import (
    BoundingBox,
    ReportRepository,
    StatusChangeRepository,
)
from usm_reports.reports.schemas import (
    SLUG_PATTERN,
    ReportContact,
    ReportCreate,
    ReportRead,
    ReportReceipt,
    ReportStatusChangeCreate,
    ReportStatusChangeRead,
    ReportTracking,
)
from usmkit.auth import Principal, PublicDep, require_city, require_scope
from usmkit.idempotency import IdempotencyDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import PROBLEM_RESPONSES, FieldError, UnprocessableContent
from usmkit.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=PROBLEM_RESPONSES)


@router.post("", response_model=ReportReceipt, status_code=status.HTTP_201_CREATED)
async def submit_report(
    report_in: ReportCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    intake: IntakeDep,
    idempotency: IdempotencyDep,
    principal: Annotated[Principal, Depends(require_scope(service.SUBMIT_SCOPE))],
) -> ReportReceipt:
    """Submit a report, anonymously or not.

    The category must be active in the city (else 422 on `category_code`); its sensitivity
    applies to the report, and `attributes` are checked against its attribute definitions
    (types, required ones, allowed values). A location is `latitude`+`longitude`, or an
    `address_string` or `address_id`. The point is assigned to the city's district that
    contains it; a report outside every district (or with an address only) is kept and
    flagged `outside_districts`. `contact` is stored encrypted, for the city's moderators.

    The answer carries the tracking code, shown only this once: keep it to follow the
    report.
    """

    write = partial(
        service.accept_report,
        session=session,
        runtime=runtime,
        intake=intake,
        report_in=report_in,
        # With an Idempotency-Key, the key's row must commit with the report.
        by_itself=idempotency.key is None,
    )
    return await idempotency.run(session, ReportReceipt, write)


@router.get("/track/{tracking_code}", response_model=ReportTracking)
async def track_report(
    tracking_code: Annotated[str, Path(min_length=1, max_length=100)],
    session: SessionDep,
    principal: PublicDep,
) -> ReportTracking:
    """Follow a report with the tracking code its reporter was given: its status and the
    city's public notes, oldest first."""
    return await service.track_report(session=session, tracking_code=tracking_code)


@router.get("", response_model=Page[ReportRead])
async def list_reports(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_scope("reports:read"))],
    page: PageParamsDep,
    report_filter: ReportFilterDep,
    city: Annotated[str, Query(max_length=100, pattern=SLUG_PATTERN)],
    bbox: Annotated[
        str | None,
        Query(
            max_length=200,
            description="`west,south,east,north` in WGS84 degrees: reports located inside.",
            examples=["31.0,-29.9,31.1,-29.8"],
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=2,
            max_length=200,
            pattern=WITHOUT_CONTROL_CHARACTERS,
            description="Words the description contains.",
        ),
    ] = None,
) -> Page[ReportRead]:
    """Reports of one of the caller's cities, newest first; filters by category, status
    (`submitted,under_review` is the moderation queue), period, district, bounding box
    and text.

    Sensitive reports come without description, attributes and exact location unless
    the caller has `reports:sensitive:read`; for such callers the bounding box and text
    filters skip sensitive reports, so a search cannot reveal what the view hides.
    """
    require_city(principal, city)
    rows = await ReportRepository(session).list(
        page,
        city=city,
        report_filter=report_filter,
        bbox=parse_bbox(bbox),
        text=q,
        include_sensitive_in_search=principal.has_scope(SENSITIVE_READ_SCOPE),
    )
    items, next_cursor = split_page(
        list(rows), page, lambda report: [report.submitted_at.isoformat(), str(report.id)]
    )
    return Page[ReportRead](
        items=await service.staff_views(
            session=session, reports=items, principal=principal, action="report.list"
        ),
        next_cursor=next_cursor,
    )


def parse_bbox(raw: str | None) -> BoundingBox | None:
    if raw is None:
        return None
    try:
        west, south, east, north = (float(part) for part in raw.split(","))
    except ValueError:
        west = south = east = north = math.nan
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise UnprocessableContent(
            "bbox must be west,south,east,north in degrees, west <= east, south <= north.",
            errors=[FieldError(loc=["query", "bbox"], msg="Not a bounding box.", type="bbox")],
        )
    return BoundingBox(west=west, south=south, east=east, north=north)


ReportIdPath = Annotated[uuid.UUID, Path(description="The report's id.")]


@router.get("/{report_id}", response_model=ReportRead)
async def get_report(
    report_id: ReportIdPath,
    session: SessionDep,
    response: Response,
    principal: Annotated[Principal, Depends(require_scope("reports:read"))],
) -> ReportRead:
    """One report of the caller's cities; its `ETag` is what a status change's `If-Match`
    takes. Showing a sensitive report in full is written to the city's audit log."""
    report = await service.get_report_for_staff(
        session=session, report_id=report_id, principal=principal
    )
    response.headers["ETag"] = service.etag_of(report)
    [view] = await service.staff_views(
        session=session, reports=[report], principal=principal, action="report.read"
    )
    return view


@router.post("/{report_id}/status", response_model=ReportRead)
async def change_report_status(
    report_id: ReportIdPath,
    change_in: ReportStatusChangeCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
    principal: Annotated[Principal, Depends(require_scope("reports:moderate"))],
    if_match: Annotated[
        str | None,
        Header(
            max_length=200,
            description="The report's `ETag` as you read it: 412 if it changed since, "
            "428 when missing.",
        ),
    ] = None,
) -> ReportRead:
    """Move a report along the workflow: submitted → under_review → accepted | rejected;
    accepted → in_progress → resolved → closed; resolved or closed → under_review reopens it.

    Any other move is a 409 saying which moves are allowed. The step is kept in the
    report's history with the moderator and the public note, and announced as
    `report.status_changed` (the note only for normal reports).
    """
    report = await service.change_status(
        session=session,
        outbox=runtime.outbox,
        report_id=report_id,
        change_in=change_in,
        principal=principal,
        if_match=if_match,
    )
    response.headers["ETag"] = service.etag_of(report)
    [view] = await service.staff_views(
        session=session, reports=[report], principal=principal, action="report.status"
    )
    return view


@router.get("/{report_id}/history", response_model=Page[ReportStatusChangeRead])
async def report_history(
    report_id: ReportIdPath,
    session: SessionDep,
    page: PageParamsDep,
    principal: Annotated[Principal, Depends(require_scope("reports:read"))],
) -> Page[ReportStatusChangeRead]:
    """The report's status history, oldest first: who moved it, when, and the public note.

    A sensitive report's notes were written to its reporter: they come only to callers
    with `reports:sensitive:read` (and that reading is written to the audit log)."""
    report = await service.get_report_for_staff(
        session=session, report_id=report_id, principal=principal
    )
    rows = await StatusChangeRepository(session).list_for_report(report.id, page)
    items, next_cursor = split_page(
        list(rows), page, lambda change: [change.changed_at.isoformat(), str(change.id)]
    )
    return Page[ReportStatusChangeRead](
        items=await service.history_views(
            session=session, report=report, changes=items, principal=principal
        ),
        next_cursor=next_cursor,
    )


@router.get("/{report_id}/contact", response_model=ReportContact)
async def read_report_contact(
    report_id: ReportIdPath,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require_scope("reports:contacts:read"))],
) -> ReportContact:
    """How to reach the reporter: for the moderators of the report's city only
    (`reports:contacts:read`); 404 when the reporter left no contact details or they were
    erased after the retention period. Every reading is written to the audit log."""
    return await service.read_contact(
        session=session, report_id=report_id, principal=principal, vault=vault_for(runtime)
    )
