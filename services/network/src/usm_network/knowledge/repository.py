import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, literal_column, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_network.models import KnowledgeComment, KnowledgeItem
from usmkit.pagination import PageParams, cursor_parts

SPANISH: ColumnElement[str] = literal_column("'spanish'::regconfig")
ENGLISH: ColumnElement[str] = literal_column("'english'::regconfig")


@dataclass(frozen=True)
class KnowledgeFilters:
    q: str | None = None
    kind: str | None = None
    dimension: str | None = None
    tag: str | None = None
    city: str | None = None
    language: str | None = None


def _query_for(config: ColumnElement[str], text: str) -> ColumnElement[str]:
    return func.websearch_to_tsquery(config, text)


def _matches(text: str) -> ColumnElement[bool]:
    """The item's vector against the query parsed in the item's own language."""
    vector = KnowledgeItem.search_vector
    return or_(
        and_(KnowledgeItem.language == "es", vector.bool_op("@@")(_query_for(SPANISH, text))),
        and_(KnowledgeItem.language != "es", vector.bool_op("@@")(_query_for(ENGLISH, text))),
    )


def _rank(text: str) -> ColumnElement[float]:
    return case(
        (
            KnowledgeItem.language == "es",
            func.ts_rank(KnowledgeItem.search_vector, _query_for(SPANISH, text)),
        ),
        else_=func.ts_rank(KnowledgeItem.search_vector, _query_for(ENGLISH, text)),
    )


def _conditions(filters: KnowledgeFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.q:
        conditions.append(_matches(filters.q))
    if filters.kind is not None:
        conditions.append(KnowledgeItem.kind == filters.kind)
    if filters.dimension is not None:
        conditions.append(KnowledgeItem.dimensions.contains([filters.dimension]))
    if filters.tag is not None:
        conditions.append(KnowledgeItem.tags.contains([filters.tag]))
    if filters.city is not None:
        conditions.append(KnowledgeItem.origin_city == filters.city)
    if filters.language is not None:
        conditions.append(KnowledgeItem.language == filters.language)
    return conditions


class KnowledgeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_if_new(self, item: dict[str, object]) -> KnowledgeItem | None:
        """Insert unless an item with the same `origin_ref` exists; the new item or None."""
        inserted = await self.session.scalar(
            insert(KnowledgeItem)
            .values(**item)
            .on_conflict_do_nothing(index_elements=[KnowledgeItem.origin_ref])
            .returning(KnowledgeItem.id)
        )
        return None if inserted is None else await self.get(inserted)

    async def get(self, item_id: uuid.UUID, *, for_update: bool = False) -> KnowledgeItem | None:
        return await self.session.get(
            KnowledgeItem, item_id, with_for_update=for_update, populate_existing=for_update
        )

    async def add(self, item: KnowledgeItem) -> KnowledgeItem:
        self.session.add(item)
        await self.session.flush()
        await self.session.refresh(item)
        return item

    async def save(self, item: KnowledgeItem) -> KnowledgeItem:
        await self.session.flush()
        await self.session.refresh(item)
        return item

    async def delete(self, item: KnowledgeItem) -> None:
        await self.session.delete(item)
        await self.session.flush()

    async def search(
        self, params: PageParams, filters: KnowledgeFilters
    ) -> Sequence[tuple[KnowledgeItem, float | None]]:
        """Matching items, best match first when there is a query, else newest first."""
        conditions = _conditions(filters)
        if filters.q:
            rank = _rank(filters.q)
            query = select(KnowledgeItem, rank).order_by(rank.desc(), KnowledgeItem.id.desc())
            if params.after:
                after_rank, after_id = cursor_parts(params.after, float, uuid.UUID)
                conditions.append(tuple_(rank, KnowledgeItem.id) < (after_rank, after_id))
        else:
            query = select(KnowledgeItem, literal_column("NULL")).order_by(
                KnowledgeItem.published_at.desc(), KnowledgeItem.id.desc()
            )
            if params.after:
                after_time, after_id = cursor_parts(params.after, datetime.fromisoformat, uuid.UUID)
                conditions.append(
                    tuple_(KnowledgeItem.published_at, KnowledgeItem.id) < (after_time, after_id)
                )
        rows = await self.session.execute(query.where(*conditions).limit(params.limit + 1))
        return [(item, rank) for item, rank in rows]

    async def facets(self, filters: KnowledgeFilters) -> dict[str, dict[str, int]]:
        """Counts of matching items per kind, dimension and language."""
        conditions = _conditions(filters)
        result: dict[str, dict[str, int]] = {}
        for name, column in (
            ("kind", KnowledgeItem.kind),
            ("language", KnowledgeItem.language),
            ("dimension", func.unnest(KnowledgeItem.dimensions)),
        ):
            # A subquery, because unnest (a set-returning function) may not be grouped on.
            values = select(column.label("value")).where(*conditions).subquery()
            rows = await self.session.execute(
                select(values.c.value, func.count())
                .group_by(values.c.value)
                .order_by(values.c.value)
            )
            result[name] = {str(key): int(count) for key, count in rows}
        return result


class CommentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, comment: KnowledgeComment) -> KnowledgeComment:
        self.session.add(comment)
        await self.session.flush()
        await self.session.refresh(comment)
        return comment

    async def list(self, params: PageParams, *, item_id: uuid.UUID) -> Sequence[KnowledgeComment]:
        query = (
            select(KnowledgeComment)
            .where(KnowledgeComment.item_id == item_id)
            .order_by(KnowledgeComment.created_at, KnowledgeComment.id)
            .limit(params.limit + 1)
        )
        if params.after:
            after_time, after_id = cursor_parts(params.after, datetime.fromisoformat, uuid.UUID)
            query = query.where(
                tuple_(KnowledgeComment.created_at, KnowledgeComment.id) > (after_time, after_id)
            )
        return (await self.session.scalars(query)).all()
