import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_network.models import KnowledgeItem
from usmkit.pagination import PageParams


class KnowledgeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_if_new(self, item: dict[str, object]) -> None:
        await self.session.execute(
            insert(KnowledgeItem)
            .values(**item)
            .on_conflict_do_nothing(index_elements=[KnowledgeItem.origin_ref])
        )

    async def list(self, params: PageParams, *, origin_city: str | None) -> Sequence[KnowledgeItem]:
        query = (
            select(KnowledgeItem)
            .order_by(KnowledgeItem.published_at.desc(), KnowledgeItem.id.desc())
            .limit(params.limit + 1)
        )
        if params.after:
            published_at, item_id = params.after
            query = query.where(
                tuple_(KnowledgeItem.published_at, KnowledgeItem.id)
                < (datetime.fromisoformat(str(published_at)), uuid.UUID(str(item_id)))
            )
        if origin_city is not None:
            query = query.where(KnowledgeItem.origin_city == origin_city)
        return (await self.session.scalars(query)).all()
