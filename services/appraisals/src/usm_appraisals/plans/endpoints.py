import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from usm_appraisals.dependencies import CityPath, IfMatch, Manager, Reader, Writer
from usm_appraisals.plans import service
from usm_appraisals.plans.repository import PlanItemRepository, PlanRepository
from usm_appraisals.plans.schemas import (
    PlanCreate,
    PlanItemCreate,
    PlanItemRead,
    PlanItemUpdate,
    PlanProgressRead,
    PlanRead,
    PlanStatus,
    PlanTransitionCreate,
    ProgressUpdateCreate,
    ProgressUpdateRead,
)
from usmkit.auth import require_city
from usmkit.concurrency import ETAG_HEADER, etag_for
from usmkit.idempotency import IdempotencyDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import IF_MATCH_PROBLEMS, PROBLEM_RESPONSES, problem_responses
from usmkit.runtime import RuntimeDep, SessionDep

router = APIRouter(
    prefix="/api/v1/appraisals/cities/{city}/plans",
    tags=["plans"],
    responses=PROBLEM_RESPONSES,
)

NOT_FOUND = (404, "No such plan (in this city) or item")


@router.post(
    "",
    response_model=PlanRead,
    status_code=status.HTTP_201_CREATED,
    responses={201: {"headers": ETAG_HEADER}},
)
async def create_plan(
    city: CityPath,
    plan_in: PlanCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
    principal: Manager,
) -> PlanRead:
    """Draw a draft Human Security Plan from finalized appraisals (`appraisals:manage`).

    Every appraisal must be finalized, current (not superseded by a correction) and of the
    same Working Group (else 422); the plan covers their districts.
    """

    async def write() -> PlanRead:
        return await service.create_plan(
            session=session, principal=principal, city=city, plan_in=plan_in
        )

    created = await idempotency.run(session, PlanRead, write)
    response.headers["ETag"] = etag_for(created.version)
    response.headers["Location"] = f"/api/v1/appraisals/cities/{city}/plans/{created.id}"
    return created


@router.get("", response_model=Page[PlanRead])
async def list_plans(
    city: CityPath,
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
    plan_status: Annotated[
        PlanStatus | None, Query(alias="status", description="Only plans in this state.")
    ] = None,
) -> Page[PlanRead]:
    """The city's plans, newest first (`appraisals:read` in the city)."""
    require_city(principal, city)
    repository = PlanRepository(session)
    rows = await repository.list(page, city=city, status=plan_status)
    items, next_cursor = split_page(
        list(rows), page, lambda row: [row.created_at.isoformat(), str(row.id)]
    )
    linked = await repository.appraisal_ids([row.id for row in items])
    return Page[PlanRead](
        items=[service.plan_view(row, linked[row.id]) for row in items], next_cursor=next_cursor
    )


@router.get(
    "/{plan_id}",
    response_model=PlanRead,
    responses={200: {"headers": ETAG_HEADER}, **problem_responses(NOT_FOUND)},
)
async def get_plan(
    city: CityPath, plan_id: uuid.UUID, session: SessionDep, principal: Reader, response: Response
) -> PlanRead:
    """One plan with its `ETag` (send it as `If-Match` to move its lifecycle)."""
    require_city(principal, city)
    plan = await service.get_plan(session=session, city=city, plan_id=plan_id)
    response.headers["ETag"] = etag_for(plan.version)
    return await service.read_plan(session=session, plan=plan)


@router.post(
    "/{plan_id}/transitions",
    response_model=PlanRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **problem_responses(NOT_FOUND, (409, "The transition is not allowed"), *IF_MATCH_PROBLEMS),
    },
)
async def transition_plan(
    city: CityPath,
    plan_id: uuid.UUID,
    transition_in: PlanTransitionCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency: IdempotencyDep,
    response: Response,
    principal: Manager,
    if_match: IfMatch = None,
) -> PlanRead:
    """Move the plan: draft → approved → active → completed | archived (also approved →
    draft, draft → archived, completed → archived).

    Needs `appraisals:manage` and `If-Match`; other moves are 409 with the reason. Approving
    or activating needs at least one action. Activating records `plan.published` with the
    actions' indicator targets.
    """

    async def write() -> PlanRead:
        return await service.transition_plan(
            session=session,
            outbox=runtime.outbox,
            principal=principal,
            city=city,
            plan_id=plan_id,
            transition_in=transition_in,
            if_match=if_match,
        )

    moved = await idempotency.run(session, PlanRead, write)
    response.headers["ETag"] = etag_for(moved.version)
    return moved


@router.post(
    "/{plan_id}/items",
    response_model=PlanItemRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(NOT_FOUND, (409, "The plan is not a draft")),
)
async def add_item(
    city: CityPath,
    plan_id: uuid.UUID,
    item_in: PlanItemCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    principal: Manager,
) -> PlanItemRead:
    """Add an objective (no parent) or an action (under an objective or action) to a draft.

    422 for: end before start, dates outside the parent's, a budget without a currency or in
    a currency off the allow-list, progress outside 0-100, districts outside the plan.
    """

    async def write() -> PlanItemRead:
        item = await service.add_item(
            session=session, principal=principal, city=city, plan_id=plan_id, item_in=item_in
        )
        return PlanItemRead.model_validate(item)

    return await idempotency.run(session, PlanItemRead, write)


@router.get(
    "/{plan_id}/items", response_model=Page[PlanItemRead], responses=problem_responses(NOT_FOUND)
)
async def list_items(
    city: CityPath,
    plan_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
) -> Page[PlanItemRead]:
    """The plan's objectives and actions, flat with `parent_id`, in the order added."""
    require_city(principal, city)
    await service.get_plan(session=session, city=city, plan_id=plan_id)
    rows = await PlanItemRepository(session).list(page, plan_id=plan_id)
    items, next_cursor = split_page(
        list(rows), page, lambda row: [row.created_at.isoformat(), str(row.id)]
    )
    return Page[PlanItemRead](
        items=[PlanItemRead.model_validate(row) for row in items], next_cursor=next_cursor
    )


@router.get(
    "/{plan_id}/items/{item_id}",
    response_model=PlanItemRead,
    responses={200: {"headers": ETAG_HEADER}, **problem_responses(NOT_FOUND)},
)
async def get_item(
    city: CityPath,
    plan_id: uuid.UUID,
    item_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    response: Response,
) -> PlanItemRead:
    """One objective or action, with its `ETag` (send it as `If-Match` to change it)."""
    require_city(principal, city)
    item = await service.get_item(session=session, city=city, plan_id=plan_id, item_id=item_id)
    response.headers["ETag"] = etag_for(item.version)
    return PlanItemRead.model_validate(item)


@router.patch(
    "/{plan_id}/items/{item_id}",
    response_model=PlanItemRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **problem_responses(NOT_FOUND, (409, "The plan is not a draft"), *IF_MATCH_PROBLEMS),
    },
)
async def update_item(
    city: CityPath,
    plan_id: uuid.UUID,
    item_id: uuid.UUID,
    item_in: PlanItemUpdate,
    session: SessionDep,
    response: Response,
    principal: Manager,
    if_match: IfMatch = None,
) -> PlanItemRead:
    """Change an objective or action of a draft plan under `If-Match` (`appraisals:manage`).

    The changed item must still pass every rule of creation (else 422).
    """
    item = await service.update_item(
        session=session,
        principal=principal,
        city=city,
        plan_id=plan_id,
        item_id=item_id,
        item_in=item_in,
        if_match=if_match,
    )
    response.headers["ETag"] = etag_for(item.version)
    return PlanItemRead.model_validate(item)


@router.post(
    "/{plan_id}/items/{item_id}/progress",
    response_model=ProgressUpdateRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(NOT_FOUND, (409, "Plan not active, or not a leaf action")),
)
async def report_progress(
    city: CityPath,
    plan_id: uuid.UUID,
    item_id: uuid.UUID,
    update_in: ProgressUpdateCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency: IdempotencyDep,
    principal: Writer,
) -> ProgressUpdateRead:
    """Report progress on a leaf action of an active plan (`appraisals:write`).

    The latest report (by `reported_on`) sets the action's progress and status; parents and
    the plan roll up from it. Records `action.progressed` (without narrative or evidence).
    """

    async def write() -> ProgressUpdateRead:
        update = await service.report_progress(
            session=session,
            outbox=runtime.outbox,
            principal=principal,
            city=city,
            plan_id=plan_id,
            item_id=item_id,
            update_in=update_in,
        )
        return ProgressUpdateRead.model_validate(update)

    return await idempotency.run(session, ProgressUpdateRead, write)


@router.get(
    "/{plan_id}/items/{item_id}/progress",
    response_model=Page[ProgressUpdateRead],
    responses=problem_responses(NOT_FOUND),
)
async def list_progress_updates(
    city: CityPath,
    plan_id: uuid.UUID,
    item_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
) -> Page[ProgressUpdateRead]:
    """The action's progress reports, newest first."""
    require_city(principal, city)
    await service.get_item(session=session, city=city, plan_id=plan_id, item_id=item_id)
    rows = await PlanItemRepository(session).updates(page, item_id=item_id)
    items, next_cursor = split_page(
        list(rows), page, lambda row: [row.created_at.isoformat(), str(row.id)]
    )
    return Page[ProgressUpdateRead](
        items=[ProgressUpdateRead.model_validate(row) for row in items], next_cursor=next_cursor
    )


@router.get(
    "/{plan_id}/progress", response_model=PlanProgressRead, responses=problem_responses(NOT_FOUND)
)
async def plan_progress(
    city: CityPath, plan_id: uuid.UUID, session: SessionDep, principal: Reader
) -> PlanProgressRead:
    """The plan's progress rolled up from its actions to objectives and the plan.

    The rule is in `method`: budget-weighted where every sibling has a budget in one
    currency, equal weights otherwise; each item says which it got in `weighting`.
    """
    require_city(principal, city)
    plan = await service.get_plan(session=session, city=city, plan_id=plan_id)
    return await service.plan_progress(session=session, plan=plan)
