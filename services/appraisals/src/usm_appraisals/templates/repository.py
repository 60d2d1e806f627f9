import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from usm_appraisals.models import Appraisal, AppraisalTemplate
from usmkit.pagination import PageParams, cursor_parts


class TemplateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, city: str, template_id: uuid.UUID, *, for_update: bool = False
    ) -> AppraisalTemplate | None:
        found = await self.session.get(AppraisalTemplate, template_id, with_for_update=for_update)
        return found if found is not None and found.city == city else None

    async def named(self, city: str, name: str) -> AppraisalTemplate | None:
        return await self.session.scalar(
            select(AppraisalTemplate).where(
                AppraisalTemplate.city == city, AppraisalTemplate.name == name
            )
        )

    async def add(self, template: AppraisalTemplate) -> AppraisalTemplate:
        self.session.add(template)
        await self.session.flush()
        await self.session.refresh(template)
        return template

    async def save(self, template: AppraisalTemplate) -> AppraisalTemplate:
        await self.session.flush()
        await self.session.refresh(template)
        return template

    async def delete(self, template: AppraisalTemplate) -> None:
        await self.session.delete(template)
        await self.session.flush()

    async def uses(self, template_id: uuid.UUID) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(Appraisal.template_id == template_id)
            )
            or 0
        )

    async def list(
        self, params: PageParams, *, city: str, status: str | None
    ) -> Sequence[AppraisalTemplate]:
        """By name."""
        query = (
            select(AppraisalTemplate)
            .where(AppraisalTemplate.city == city)
            .order_by(AppraisalTemplate.name, AppraisalTemplate.id)
            .limit(params.limit + 1)
        )
        if params.after:
            name, template_id = cursor_parts(params.after, str, uuid.UUID)
            query = query.where(
                tuple_(AppraisalTemplate.name, AppraisalTemplate.id) > (name, template_id)
            )
        if status is not None:
            query = query.where(AppraisalTemplate.status == status)
        return (await self.session.scalars(query)).all()
