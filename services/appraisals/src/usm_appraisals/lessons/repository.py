import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from usm_appraisals.models import Lesson
from usmkit.pagination import PageParams, cursor_parts


class LessonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, lesson_id: uuid.UUID, *, for_update: bool = False) -> Lesson | None:
        """One lesson; `for_update` locks its row until the transaction ends."""
        return await self.session.get(Lesson, lesson_id, with_for_update=for_update)

    async def add(self, lesson: Lesson) -> Lesson:
        self.session.add(lesson)
        await self.session.flush()
        await self.session.refresh(lesson)
        return lesson

    async def save(self, lesson: Lesson) -> Lesson:
        await self.session.flush()
        await self.session.refresh(lesson)
        return lesson

    async def list(
        self,
        params: PageParams,
        *,
        city: str | None,
        status: str | None,
        draft_cities: Collection[str] | None,
    ) -> Sequence[Lesson]:
        """Newest first; drafts only of `draft_cities` (None: drafts of every city)."""
        query = (
            select(Lesson)
            .order_by(Lesson.created_at.desc(), Lesson.id.desc())
            .limit(params.limit + 1)
        )
        if params.after:
            created_at, lesson_id = cursor_parts(params.after, datetime.fromisoformat, uuid.UUID)
            query = query.where(tuple_(Lesson.created_at, Lesson.id) < (created_at, lesson_id))
        if city is not None:
            query = query.where(Lesson.city == city)
        if status is not None:
            query = query.where(Lesson.status == status)
        if draft_cities is not None:
            query = query.where(
                or_(
                    Lesson.status == "published",
                    and_(Lesson.status == "draft", Lesson.city.in_(list(draft_cities))),
                )
            )
        return (await self.session.scalars(query)).all()
