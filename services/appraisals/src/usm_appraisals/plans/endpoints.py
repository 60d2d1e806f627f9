import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import HTMLResponse, PlainTextResponse

from usm_appraisals.dependencies import CityPath, IfMatch, Manager, Reader, Writer
from usm_appraisals.plans import service
from usm_appraisals.plans.exports import ExportLanguage, render_csv, render_html, render_pdf
from usm_appraisals.plans.repository import PlanItemRepository, PlanRepository
from usm_appraisals.plans.schemas import (
    PlanCreate,
    PlanExportRead,
    PlanItemCreate,
    PlanItemRead,
    PlanItemUpdate,
    PlanProgressRead,
    PlanRead,
    PlanRevisionCreate,
    PlanStatus,
    PlanTransitionCreate,
    PlanVersionRead,
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
    """Move the plan: draft → approved → active → completed | archived (also draft →
    archived, completed → archived). An approved or active plan changes only through a new
    version (`/revisions`).

    Needs `appraisals:manage` and `If-Match`; other moves are 409 with the reason. Approving
    or activating needs at least one action. Activating records `plan.published` with the
    actions' indicator targets and the version (`revision`); activating a new version
    archives the earlier ones.
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
    "/{plan_id}/revisions",
    response_model=PlanRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"headers": ETAG_HEADER},
        **problem_responses(NOT_FOUND, (409, "Not approved or active, or not the latest version")),
    },
)
async def revise_plan(
    city: CityPath,
    plan_id: uuid.UUID,
    revision_in: PlanRevisionCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
    principal: Manager,
) -> PlanRead:
    """Start a new version of an approved or active plan (`appraisals:manage`).

    An approved or active plan is never edited in place: this makes a draft copy of its tree
    with the progress reports so far (`revision` + 1, same `series_id`), to change and move
    through the lifecycle. Reports made meanwhile on the earlier version are carried over when
    the new one is activated, which archives the earlier ones. Only the latest version of a
    series is revised (else 409).
    """

    async def write() -> PlanRead:
        return await service.revise_plan(
            session=session,
            principal=principal,
            city=city,
            plan_id=plan_id,
            revision_in=revision_in,
        )

    created = await idempotency.run(session, PlanRead, write)
    response.headers["ETag"] = etag_for(created.version)
    response.headers["Location"] = f"/api/v1/appraisals/cities/{city}/plans/{created.id}"
    return created


@router.get(
    "/{plan_id}/versions",
    response_model=Page[PlanVersionRead],
    responses=problem_responses(NOT_FOUND),
)
async def list_versions(
    city: CityPath, plan_id: uuid.UUID, session: SessionDep, principal: Reader, page: PageParamsDep
) -> Page[PlanVersionRead]:
    """Every version of the plan, oldest first: who made it, when, why (`change_note`) and
    what it changed against the version it revises (plan fields, items added and changed)."""
    require_city(principal, city)
    plan = await service.get_plan(session=session, city=city, plan_id=plan_id)
    return await service.plan_versions(session=session, plan=plan, page=page)


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


Lang = Annotated[
    ExportLanguage,
    Query(alias="lang", description="Language of the labels (the data is as written)."),
]


def _attachment(plan_id: uuid.UUID, extension: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="plan-{plan_id}.{extension}"'}


@router.get(
    "/{plan_id}/export.json", response_model=PlanExportRead, responses=problem_responses(NOT_FOUND)
)
async def export_json(
    city: CityPath, plan_id: uuid.UUID, session: SessionDep, principal: Reader
) -> PlanExportRead:
    """The plan whole as one JSON document: the plan, its objectives and actions (flat, with
    `parent_id`, in the order added) and the rolled-up progress. No member data."""
    require_city(principal, city)
    plan = await service.get_plan(session=session, city=city, plan_id=plan_id)
    document = await service.export_document(session=session, plan=plan)
    return PlanExportRead(
        plan=document.plan,
        items=[PlanItemRead.model_validate(line.item) for line in document.lines],
        progress=document.progress,
    )


@router.get(
    "/{plan_id}/export.html",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}, **problem_responses(NOT_FOUND)},
)
async def export_html(
    city: CityPath,
    plan_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    language: Lang = "en",
) -> HTMLResponse:
    """The plan as a printable HTML page: objectives and actions as a tree, with lead,
    partners, districts, dates, budget, status, rolled-up progress and indicator targets.

    Everything the city wrote is HTML-escaped. No member data: neither who created or
    reported, nor progress narratives or evidence links.
    """
    require_city(principal, city)
    plan = await service.get_plan(session=session, city=city, plan_id=plan_id)
    document = await service.export_document(session=session, plan=plan)
    return HTMLResponse(render_html(document, language))


@router.get(
    "/{plan_id}/export.csv",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(NOT_FOUND)},
)
async def export_csv(
    city: CityPath, plan_id: uuid.UUID, session: SessionDep, principal: Reader
) -> PlainTextResponse:
    """The plan's action tree as CSV (RFC 4180, UTF-8): one row per objective or action,
    parents first, with `parent_id`, level, progress (rolled up), budget and currency and the
    linked indicators (`code: baseline → target unit`, `; `-separated).

    Cells that a spreadsheet would run as a formula are prefixed with `'`. No member data.
    """
    require_city(principal, city)
    plan = await service.get_plan(session=session, city=city, plan_id=plan_id)
    document = await service.export_document(session=session, plan=plan)
    return PlainTextResponse(
        render_csv(document),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(plan.id, "csv"),
    )


@router.get(
    "/{plan_id}/export.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **problem_responses(NOT_FOUND),
    },
)
async def export_pdf(
    city: CityPath,
    plan_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    language: Lang = "en",
) -> Response:
    """The plan as a printable PDF, with the content of the HTML export.

    It uses the PDF core fonts (Latin-1): letters beyond it are shown without their accents,
    or as `?`; the HTML and CSV exports keep every character. No member data.
    """
    require_city(principal, city)
    plan = await service.get_plan(session=session, city=city, plan_id=plan_id)
    document = await service.export_document(session=session, plan=plan)
    return Response(
        render_pdf(document, language),
        media_type="application/pdf",
        headers=_attachment(plan.id, "pdf"),
    )
