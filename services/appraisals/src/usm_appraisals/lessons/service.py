import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from usm_appraisals.lessons.repository import LessonRepository
from usm_appraisals.lessons.schemas import LessonCreate
from usm_appraisals.models import Lesson, known_cities
from usmkit.auth import ALL_CITIES, Principal, require_city
from usmkit.concurrency import check_if_match, etag_for
from usmkit.events.outbox import Outbox
from usmkit.problems import (
    Conflict,
    FieldError,
    NotFound,
    PreconditionRequired,
    UnprocessableContent,
)
from usmkit.tenancy import CityDirectory

READ_SCOPE = "appraisals:read"


def may_read_drafts(principal: Principal, city: str) -> bool:
    return principal.has_scope(READ_SCOPE) and principal.acts_in(city)


def draft_cities(principal: Principal) -> list[str] | None:
    """Cities whose drafts `principal` may list; None means every city."""
    if not principal.has_scope(READ_SCOPE):
        return []
    if ALL_CITIES in principal.cities:
        return None
    return list(principal.cities)


async def create_lesson(
    *, session: AsyncSession, principal: Principal, lesson_in: LessonCreate
) -> Lesson:
    """Write a draft lesson in one of the principal's cities."""
    require_city(principal, lesson_in.city)
    if not await CityDirectory(known_cities).exists(session, lesson_in.city):
        raise UnprocessableContent(
            f"The city {lesson_in.city!r} is not a member city.",
            errors=[FieldError(loc=["body", "city"], msg="Unknown city.", type="unknown_city")],
        )
    lesson = Lesson(
        **lesson_in.model_dump(), status="draft", created_by=principal.subject, version=1
    )
    return await LessonRepository(session).add(lesson)


async def get_visible_lesson(
    *, session: AsyncSession, principal: Principal, lesson_id: uuid.UUID, for_update: bool = False
) -> Lesson:
    """A lesson the principal may see; hidden drafts are answered as absent."""
    lesson = await LessonRepository(session).get(lesson_id, for_update=for_update)
    if lesson is None or (lesson.status == "draft" and not may_read_drafts(principal, lesson.city)):
        raise NotFound(f"No lesson {lesson_id}.")
    return lesson


async def publish_lesson(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    lesson_id: uuid.UUID,
    if_match: str | None,
) -> Lesson:
    """Publish a draft and record `lesson.published` in the same transaction."""
    lesson = await get_visible_lesson(
        session=session, principal=principal, lesson_id=lesson_id, for_update=True
    )
    require_city(principal, lesson.city)
    if if_match is None:
        raise PreconditionRequired("Send If-Match with the lesson's ETag.")
    # Checked before the ETag: a retry after success learns what happened, not just "stale".
    if lesson.status == "published":
        raise Conflict(f"The lesson {lesson_id} is already published.")
    check_if_match(if_match, etag_for(lesson.version), "lesson")
    lesson.status = "published"
    lesson.published_at = datetime.now(UTC)
    lesson.version += 1
    lesson = await LessonRepository(session).save(lesson)
    await outbox.record(
        session,
        "lesson.published",
        subject=str(lesson.id),
        city=lesson.city,
        data={
            "lesson_id": str(lesson.id),
            "city": lesson.city,
            "title": lesson.title,
            "summary": lesson.summary,
            "language": lesson.language,
        },
    )
    return lesson
