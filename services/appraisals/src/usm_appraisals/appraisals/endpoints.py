import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import HTMLResponse

from usm_appraisals.appraisals import service
from usm_appraisals.appraisals.exports import SummaryLanguage, render_summary_html
from usm_appraisals.appraisals.repository import AppraisalRepository
from usm_appraisals.appraisals.schemas import (
    AppraisalCreate,
    AppraisalRead,
    AppraisalStatus,
    AppraisalSummary,
    AppraisalUpdate,
    CorrectionCreate,
    TransitionCreate,
    TransitionRead,
)
from usm_appraisals.dependencies import CityPath, IfMatch, Manager, Reader, Writer
from usmkit.auth import require_city
from usmkit.concurrency import ETAG_HEADER, etag_for
from usmkit.idempotency import IdempotencyDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import IF_MATCH_PROBLEMS, PROBLEM_RESPONSES, problem_responses
from usmkit.runtime import RuntimeDep, SessionDep

router = APIRouter(
    prefix="/api/v1/appraisals/cities/{city}/appraisals",
    tags=["appraisals"],
    responses=PROBLEM_RESPONSES,
)

NOT_FOUND = (404, "No such appraisal in this city")


def _location(city: str, appraisal_id: uuid.UUID) -> str:
    return f"/api/v1/appraisals/cities/{city}/appraisals/{appraisal_id}"


@router.post(
    "",
    response_model=AppraisalRead,
    status_code=status.HTTP_201_CREATED,
    responses={201: {"headers": ETAG_HEADER}, **problem_responses((409, "The group is inactive"))},
)
async def create_appraisal(
    city: CityPath,
    appraisal_in: AppraisalCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
    principal: Writer,
) -> AppraisalRead:
    """Start a draft appraisal for one of the city's Working Groups (`appraisals:write`).

    The districts must lie in the group's area and the period must be an ISO 8601 period
    (else 422); findings may be given now or edited while the appraisal is a draft.
    """

    async def write() -> AppraisalRead:
        appraisal = await service.create_appraisal(
            session=session, principal=principal, city=city, appraisal_in=appraisal_in
        )
        return AppraisalRead.model_validate(appraisal)

    created = await idempotency.run(session, AppraisalRead, write)
    response.headers["ETag"] = etag_for(created.version)
    response.headers["Location"] = _location(city, created.id)
    return created


@router.get("", response_model=Page[AppraisalRead])
async def list_appraisals(
    city: CityPath,
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
    working_group_id: Annotated[uuid.UUID | None, Query(description="Only this group's.")] = None,
    appraisal_status: Annotated[
        AppraisalStatus | None, Query(alias="status", description="Only in this state.")
    ] = None,
) -> Page[AppraisalRead]:
    """The city's appraisals, newest first (`appraisals:read` in the city)."""
    require_city(principal, city)
    rows = await AppraisalRepository(session).list(
        page, city=city, working_group_id=working_group_id, status=appraisal_status
    )
    items, next_cursor = split_page(
        list(rows), page, lambda row: [row.created_at.isoformat(), str(row.id)]
    )
    return Page[AppraisalRead](
        items=[AppraisalRead.model_validate(row) for row in items], next_cursor=next_cursor
    )


@router.get(
    "/{appraisal_id}",
    response_model=AppraisalRead,
    responses={200: {"headers": ETAG_HEADER}, **problem_responses(NOT_FOUND)},
)
async def get_appraisal(
    city: CityPath,
    appraisal_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    response: Response,
) -> AppraisalRead:
    """One appraisal with its `ETag` (send it as `If-Match` to edit or transition it)."""
    require_city(principal, city)
    appraisal = await service.get_appraisal(session=session, city=city, appraisal_id=appraisal_id)
    response.headers["ETag"] = etag_for(appraisal.version)
    return AppraisalRead.model_validate(appraisal)


@router.get(
    "/{appraisal_id}/summary.html",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}, **problem_responses(NOT_FOUND)},
)
async def appraisal_summary(
    city: CityPath,
    appraisal_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    language: Annotated[
        SummaryLanguage,
        Query(alias="lang", description="Language of the labels (the findings are as written)."),
    ] = "en",
) -> HTMLResponse:
    """The appraisal as a printable summary: insecurities ranked by severity times likelihood,
    root causes, capacities and the priorities as the group ranked them.

    Everything the group wrote is HTML-escaped; who drafted or finalized it is not shown.
    """
    require_city(principal, city)
    appraisal = await service.get_appraisal(session=session, city=city, appraisal_id=appraisal_id)
    return HTMLResponse(render_summary_html(AppraisalRead.model_validate(appraisal), language))


@router.patch(
    "/{appraisal_id}",
    response_model=AppraisalRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **problem_responses(
            NOT_FOUND, (409, "Not a draft (finalized is immutable)"), *IF_MATCH_PROBLEMS
        ),
    },
)
async def update_appraisal(
    city: CityPath,
    appraisal_id: uuid.UUID,
    appraisal_in: AppraisalUpdate,
    session: SessionDep,
    response: Response,
    principal: Writer,
    if_match: IfMatch = None,
) -> AppraisalRead:
    """Edit a draft under `If-Match` (`appraisals:write`); given lists replace the old ones.

    In review: 409 (move it back to draft first). Finalized: 409, it is immutable; create a
    correction instead.
    """
    appraisal = await service.update_appraisal(
        session=session,
        principal=principal,
        city=city,
        appraisal_id=appraisal_id,
        appraisal_in=appraisal_in,
        if_match=if_match,
    )
    response.headers["ETag"] = etag_for(appraisal.version)
    return AppraisalRead.model_validate(appraisal)


@router.post(
    "/{appraisal_id}/transitions",
    response_model=AppraisalRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **problem_responses(NOT_FOUND, (409, "The transition is not allowed"), *IF_MATCH_PROBLEMS),
    },
)
async def transition_appraisal(
    city: CityPath,
    appraisal_id: uuid.UUID,
    transition_in: TransitionCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency: IdempotencyDep,
    response: Response,
    principal: Manager,
    if_match: IfMatch = None,
) -> AppraisalRead:
    """Move the appraisal: draft → in_review, in_review → draft, in_review → finalized.

    Needs `appraisals:manage` in the city and `If-Match`. Any other move is 409 with the
    reason; finalizing needs at least one insecurity and one priority, and records
    `appraisal.finalized` with the priorities per dimension.
    """

    async def write() -> AppraisalRead:
        appraisal = await service.transition_appraisal(
            session=session,
            outbox=runtime.outbox,
            principal=principal,
            city=city,
            appraisal_id=appraisal_id,
            transition_in=transition_in,
            if_match=if_match,
        )
        return AppraisalRead.model_validate(appraisal)

    moved = await idempotency.run(session, AppraisalRead, write)
    response.headers["ETag"] = etag_for(moved.version)
    return moved


@router.get(
    "/{appraisal_id}/transitions",
    response_model=Page[TransitionRead],
    responses=problem_responses(NOT_FOUND),
)
async def list_transitions(
    city: CityPath,
    appraisal_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
) -> Page[TransitionRead]:
    """The appraisal's lifecycle so far: who moved it, when, from where to where."""
    require_city(principal, city)
    await service.get_appraisal(session=session, city=city, appraisal_id=appraisal_id)
    rows = await AppraisalRepository(session).transitions(page, appraisal_id)
    items, next_cursor = split_page(
        list(rows), page, lambda row: [row.occurred_at.isoformat(), str(row.id)]
    )
    return Page[TransitionRead](
        items=[TransitionRead.model_validate(row) for row in items], next_cursor=next_cursor
    )


@router.post(
    "/{appraisal_id}/corrections",
    response_model=AppraisalRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"headers": ETAG_HEADER},
        **problem_responses(NOT_FOUND, (409, "Not finalized, or not the latest version")),
    },
)
async def correct_appraisal(
    city: CityPath,
    appraisal_id: uuid.UUID,
    correction_in: CorrectionCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
    principal: Manager,
) -> AppraisalRead:
    """Correct a finalized appraisal: a new draft version, linked to it, with its content.

    Only the latest version of a series is corrected (else 409); the finalized one stays as
    it was. The new version goes through review and finalization again.
    """

    async def write() -> AppraisalRead:
        appraisal = await service.correct_appraisal(
            session=session,
            principal=principal,
            city=city,
            appraisal_id=appraisal_id,
            correction_in=correction_in,
        )
        return AppraisalRead.model_validate(appraisal)

    created = await idempotency.run(session, AppraisalRead, write)
    response.headers["ETag"] = etag_for(created.version)
    response.headers["Location"] = _location(city, created.id)
    return created


@router.get(
    "/{appraisal_id}/history",
    response_model=Page[AppraisalSummary],
    responses=problem_responses(NOT_FOUND),
)
async def appraisal_history(
    city: CityPath,
    appraisal_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
) -> Page[AppraisalSummary]:
    """Every version of this appraisal's series, original first, each linked to the one it
    corrects."""
    require_city(principal, city)
    appraisal = await service.get_appraisal(session=session, city=city, appraisal_id=appraisal_id)
    rows = await AppraisalRepository(session).series(page, appraisal.series_id)
    items, next_cursor = split_page(list(rows), page, lambda row: [row.sequence])
    return Page[AppraisalSummary](
        items=[AppraisalSummary.model_validate(row) for row in items], next_cursor=next_cursor
    )
