import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status

from usm_appraisals.lessons import service
from usm_appraisals.lessons.repository import LessonRepository
from usm_appraisals.lessons.schemas import SLUG_PATTERN, LessonCreate, LessonRead, LessonStatus
from usmkit.auth import Principal, PublicDep, require_scope
from usmkit.concurrency import ETAG_HEADER, etag_for
from usmkit.idempotency import IdempotencyDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import PROBLEM_RESPONSES, problem_responses
from usmkit.runtime import RuntimeDep, SessionDep

router = APIRouter(
    prefix="/api/v1/appraisals/lessons", tags=["lessons"], responses=PROBLEM_RESPONSES
)


NOT_FOUND = (404, "Not found (or a draft you may not see)")


@router.get("", response_model=Page[LessonRead])
async def list_lessons(
    session: SessionDep,
    principal: PublicDep,
    page: PageParamsDep,
    city: Annotated[
        str | None, Query(max_length=100, pattern=SLUG_PATTERN, description="Only this city.")
    ] = None,
    lesson_status: Annotated[
        LessonStatus | None, Query(alias="status", description="Only lessons in this state.")
    ] = None,
) -> Page[LessonRead]:
    """List lessons learned, newest first.

    Published lessons are public; drafts are listed only for callers with
    `appraisals:read` in the draft's city.
    """
    rows = await LessonRepository(session).list(
        page, city=city, status=lesson_status, draft_cities=service.draft_cities(principal)
    )
    items, next_cursor = split_page(
        list(rows), page, lambda lesson: [lesson.created_at.isoformat(), str(lesson.id)]
    )
    return Page[LessonRead](
        items=[LessonRead.model_validate(lesson) for lesson in items], next_cursor=next_cursor
    )


@router.get(
    "/{lesson_id}",
    response_model=LessonRead,
    responses={200: {"headers": ETAG_HEADER}, **problem_responses(NOT_FOUND)},
)
async def get_lesson(
    lesson_id: uuid.UUID, session: SessionDep, principal: PublicDep, response: Response
) -> LessonRead:
    """One lesson, with its `ETag` (send it as `If-Match` to publish).

    A draft is visible only with `appraisals:read` in its city; to anyone else it does not exist.
    """
    lesson = await service.get_visible_lesson(
        session=session, principal=principal, lesson_id=lesson_id
    )
    response.headers["ETag"] = etag_for(lesson.version)
    return LessonRead.model_validate(lesson)


@router.post(
    "",
    response_model=LessonRead,
    status_code=status.HTTP_201_CREATED,
    responses={201: {"headers": ETAG_HEADER}},
)
async def create_lesson(
    lesson_in: LessonCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
    principal: Annotated[Principal, Depends(require_scope("appraisals:write"))],
) -> LessonRead:
    """Write a draft lesson learned in one of your cities; the city must be a member city."""

    async def write() -> LessonRead:
        lesson = await service.create_lesson(
            session=session, principal=principal, lesson_in=lesson_in
        )
        return LessonRead.model_validate(lesson)

    created = await idempotency.run(session, LessonRead, write)
    response.headers["ETag"] = etag_for(created.version)
    response.headers["Location"] = f"{router.prefix}/{created.id}"
    return created


@router.post(
    "/{lesson_id}/publish",
    response_model=LessonRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **problem_responses(
            NOT_FOUND,
            (409, "Already published"),
            (412, "The If-Match ETag is stale"),
            (428, "If-Match is missing"),
        ),
    },
)
async def publish_lesson(
    lesson_id: uuid.UUID,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency: IdempotencyDep,
    response: Response,
    principal: Annotated[Principal, Depends(require_scope("appraisals:manage"))],
    if_match: Annotated[
        str | None,
        Header(max_length=200, description='The lesson\'s current ETag, e.g. `"1"`.'),
    ] = None,
) -> LessonRead:
    """Publish a draft lesson so other cities can learn from it (`lesson.published`).

    Needs `appraisals:manage` in the lesson's city and `If-Match` with its current ETag:
    without it the answer is 428, with a stale one 412; publishing twice is 409.
    """

    async def write() -> LessonRead:
        lesson = await service.publish_lesson(
            session=session,
            outbox=runtime.outbox,
            principal=principal,
            lesson_id=lesson_id,
            if_match=if_match,
        )
        return LessonRead.model_validate(lesson)

    published = await idempotency.run(session, LessonRead, write)
    response.headers["ETag"] = etag_for(published.version)
    return published
