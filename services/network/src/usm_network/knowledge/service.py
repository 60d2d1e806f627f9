import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from usm_network.cities.repository import CityRepository
from usm_network.knowledge.markdown import render_html, strip_html
from usm_network.knowledge.repository import CommentRepository, KnowledgeRepository
from usm_network.knowledge.schemas import (
    KnowledgeCommentCreate,
    KnowledgeItemCreate,
    KnowledgeItemRead,
    KnowledgeItemUpdate,
)
from usm_network.models import KnowledgeComment, KnowledgeItem
from usm_network.sync.feed import record_knowledge_deleted, record_knowledge_item
from usmkit.auth import Principal, require_city
from usmkit.concurrency import require_if_match
from usmkit.events.outbox import Outbox
from usmkit.problems import Conflict, FieldError, NotFound, UnprocessableContent


def to_read(item: KnowledgeItem) -> KnowledgeItemRead:
    """The item as shown: the body stripped of raw HTML, and rendered to safe HTML."""
    return KnowledgeItemRead(
        id=item.id,
        kind=item.kind,
        origin_city=item.origin_city,
        origin_node=item.origin_node,
        title=item.title,
        summary=item.summary,
        body=strip_html(item.body),
        body_html=render_html(item.body),
        dimensions=list(item.dimensions),
        tags=list(item.tags),
        language=item.language,
        licence=item.licence,
        version=item.version,
        published_at=item.published_at,
        updated_at=item.updated_at,
    )


async def get_item(
    *, session: AsyncSession, item_id: uuid.UUID, for_update: bool = False
) -> KnowledgeItem:
    """A knowledge item, or 404."""
    item = await KnowledgeRepository(session).get(item_id, for_update=for_update)
    if item is None:
        raise NotFound(f"No knowledge item {item_id}.")
    return item


async def create_item(
    *, session: AsyncSession, outbox: Outbox, principal: Principal, item_in: KnowledgeItemCreate
) -> KnowledgeItem:
    """Share a knowledge item from one of the principal's cities (`knowledge.published`)."""
    require_city(principal, item_in.origin_city)
    city = await CityRepository(session).get(item_in.origin_city)
    if city is None or city.origin_node is not None:
        raise UnprocessableContent(
            f"The city {item_in.origin_city!r} is not a member city of this deployment.",
            errors=[
                FieldError(loc=["body", "origin_city"], msg="Unknown city.", type="unknown_city")
            ],
        )
    item_id = uuid.uuid4()
    now = datetime.now(UTC)
    item = KnowledgeItem(
        **item_in.model_dump(exclude={"published_at"}),
        id=item_id,
        origin_ref=f"network:item:{item_id}",
        version=1,
        created_by=principal.subject,
        published_at=item_in.published_at or now,
        updated_at=now,
    )
    item = await KnowledgeRepository(session).add(item)
    await record_knowledge_item(session, item)
    await outbox.record(
        session,
        "knowledge.published",
        subject=str(item.id),
        city=item.origin_city,
        data={
            "item_id": str(item.id),
            "kind": item.kind,
            "origin_city": item.origin_city,
            "title": item.title,
            "language": item.language,
            "dimensions": list(item.dimensions),
            "tags": list(item.tags),
            "licence": item.licence,
            "version": item.version,
            "published_at": item.published_at.isoformat(),
        },
    )
    return item


async def _owned_item(
    *, session: AsyncSession, principal: Principal, item_id: uuid.UUID, if_match: str | None
) -> KnowledgeItem:
    item = await get_item(session=session, item_id=item_id, for_update=True)
    require_city(principal, item.origin_city)
    if item.origin_node is not None:
        raise Conflict(f"The item belongs to the node {item.origin_node!r}; change it there.")
    require_if_match(if_match, item.version, "knowledge item")
    return item


async def update_item(
    *,
    session: AsyncSession,
    principal: Principal,
    item_id: uuid.UUID,
    item_in: KnowledgeItemUpdate,
    if_match: str | None,
) -> KnowledgeItem:
    """Change an item of one of the principal's cities under `If-Match`."""
    item = await _owned_item(
        session=session, principal=principal, item_id=item_id, if_match=if_match
    )
    for name, value in item_in.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(item, name, value)
    item.version += 1
    item.updated_at = datetime.now(UTC)
    item = await KnowledgeRepository(session).save(item)
    await record_knowledge_item(session, item)
    return item


async def delete_item(
    *, session: AsyncSession, principal: Principal, item_id: uuid.UUID, if_match: str | None
) -> KnowledgeItem:
    """Withdraw an item of one of the principal's cities under `If-Match`."""
    item = await _owned_item(
        session=session, principal=principal, item_id=item_id, if_match=if_match
    )
    await KnowledgeRepository(session).delete(item)
    await record_knowledge_deleted(session, item)
    return item


async def add_comment(
    *,
    session: AsyncSession,
    principal: Principal,
    item_id: uuid.UUID,
    comment_in: KnowledgeCommentCreate,
) -> KnowledgeComment:
    """A comment or question on an item, written for one of the principal's cities."""
    require_city(principal, comment_in.city)
    await get_item(session=session, item_id=item_id)
    return await CommentRepository(session).add(
        KnowledgeComment(
            id=uuid.uuid4(),
            item_id=item_id,
            kind=comment_in.kind,
            city=comment_in.city,
            author=principal.subject,
            body=comment_in.body,
        )
    )
