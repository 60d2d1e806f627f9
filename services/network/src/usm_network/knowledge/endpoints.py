import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status

from usm_network.cities.schemas import SLUG_PATTERN
from usm_network.knowledge import service
from usm_network.knowledge.repository import (
    CommentRepository,
    KnowledgeFilters,
    KnowledgeRepository,
)
from usm_network.knowledge.schemas import (
    Dimension,
    KnowledgeCommentCreate,
    KnowledgeCommentRead,
    KnowledgeFacets,
    KnowledgeItemCreate,
    KnowledgeItemRead,
    KnowledgeItemUpdate,
    KnowledgeKind,
    KnowledgeSearchPage,
    Language,
)
from usm_network.models import KnowledgeItem
from usmkit.auth import Principal, PublicDep, require_scope
from usmkit.concurrency import etag_for, etag_header
from usmkit.idempotency import IdempotencyDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import (
    CONFLICT,
    IF_MATCH_MISSING,
    NOT_FOUND,
    PROBLEM_RESPONSES,
    STALE,
    problem_responses,
)
from usmkit.runtime import RuntimeDep, SessionDep

router = APIRouter(
    prefix="/api/v1/network/knowledge", tags=["knowledge"], responses=PROBLEM_RESPONSES
)
ETAG = etag_header("knowledge item")
IfMatch = Annotated[
    str | None, Header(max_length=200, description='The item\'s current ETag, e.g. `"1"`.')
]


@router.get("", response_model=KnowledgeSearchPage)
async def search_knowledge_items(
    session: SessionDep,
    principal: PublicDep,
    page: PageParamsDep,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description=(
                "Full-text search in each item's language (web search syntax: "
                '`"exact phrase"`, `or`, `-exclude`); results are then ordered by relevance.'
            ),
        ),
    ] = None,
    kind: Annotated[KnowledgeKind | None, Query()] = None,
    dimension: Annotated[Dimension | None, Query(description="Human-security dimension.")] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    city: Annotated[
        str | None, Query(max_length=100, pattern=SLUG_PATTERN, description="Origin city.")
    ] = None,
    language: Annotated[Language | None, Query()] = None,
) -> KnowledgeSearchPage:
    """Search shared knowledge: this deployment's own and what peers shared by sync.

    Without `q`, newest first. `facets` counts every matching item (not only this page) per
    kind, dimension and language.
    """
    filters = KnowledgeFilters(
        q=q.strip() if q and q.strip() else None,
        kind=kind,
        dimension=dimension,
        tag=tag,
        city=city,
        language=language,
    )
    repository = KnowledgeRepository(session)
    rows = await repository.search(page, filters)

    def sort_key(row: tuple[KnowledgeItem, float | None]) -> list[str | float]:
        item, rank = row
        return [rank if rank is not None else item.published_at.isoformat(), str(item.id)]

    items, next_cursor = split_page(list(rows), page, sort_key)
    return KnowledgeSearchPage(
        items=[service.to_read(item) for item, _ in items],
        next_cursor=next_cursor,
        facets=KnowledgeFacets(**await repository.facets(filters)),
    )


@router.get(
    "/{item_id}",
    response_model=KnowledgeItemRead,
    responses={200: {"headers": ETAG}, **problem_responses(NOT_FOUND)},
)
async def get_knowledge_item(
    item_id: uuid.UUID, session: SessionDep, principal: PublicDep, response: Response
) -> KnowledgeItemRead:
    """One knowledge item, with its `ETag` (send it as `If-Match` to change it)."""
    item = await service.get_item(session=session, item_id=item_id)
    response.headers["ETag"] = etag_for(item.version)
    return service.to_read(item)


@router.post(
    "",
    response_model=KnowledgeItemRead,
    status_code=status.HTTP_201_CREATED,
    responses={201: {"headers": ETAG}},
)
async def create_knowledge_item(
    item_in: KnowledgeItemCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency: IdempotencyDep,
    response: Response,
    principal: Annotated[Principal, Depends(require_scope("network:write"))],
) -> KnowledgeItemRead:
    """Share a practice, case study, lesson, tool, policy or plan summary of one of your
    cities (`network:write` in `origin_city`), announced as `knowledge.published`. The body
    is Markdown; it is shown sanitised."""

    async def write() -> KnowledgeItemRead:
        item = await service.create_item(
            session=session, outbox=runtime.outbox, principal=principal, item_in=item_in
        )
        return service.to_read(item)

    created = await idempotency.run(session, KnowledgeItemRead, write)
    response.headers["ETag"] = etag_for(created.version)
    response.headers["Location"] = f"{router.prefix}/{created.id}"
    return created


@router.patch(
    "/{item_id}",
    response_model=KnowledgeItemRead,
    responses={
        200: {"headers": ETAG},
        **problem_responses(NOT_FOUND, CONFLICT, STALE, IF_MATCH_MISSING),
    },
)
async def update_knowledge_item(
    item_id: uuid.UUID,
    item_in: KnowledgeItemUpdate,
    session: SessionDep,
    response: Response,
    principal: Annotated[Principal, Depends(require_scope("network:write"))],
    if_match: IfMatch = None,
) -> KnowledgeItemRead:
    """Change an item of one of your cities; its version goes up by one.

    Send `If-Match` with the current ETag (428 without, 412 when stale). Items synced from
    another node are changed there (409 here).
    """
    item = await service.update_item(
        session=session,
        principal=principal,
        item_id=item_id,
        item_in=item_in,
        if_match=if_match,
    )
    response.headers["ETag"] = etag_for(item.version)
    return service.to_read(item)


@router.delete(
    "/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(NOT_FOUND, CONFLICT, STALE, IF_MATCH_MISSING),
)
async def delete_knowledge_item(
    item_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_scope("network:write"))],
    if_match: IfMatch = None,
) -> Response:
    """Withdraw an item of one of your cities (peers learn of it by a tombstone on sync).

    Send `If-Match` with the current ETag (428 without, 412 when stale).
    """
    await service.delete_item(
        session=session,
        principal=principal,
        item_id=item_id,
        if_match=if_match,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{item_id}/comments",
    response_model=Page[KnowledgeCommentRead],
    responses=problem_responses(NOT_FOUND),
)
async def list_knowledge_comments(
    item_id: uuid.UUID,
    session: SessionDep,
    page: PageParamsDep,
    principal: Annotated[Principal, Depends(require_scope("network:read"))],
) -> Page[KnowledgeCommentRead]:
    """Comments and questions on an item, oldest first (`network:read`)."""
    await service.get_item(session=session, item_id=item_id)
    rows = await CommentRepository(session).list(page, item_id=item_id)
    items, next_cursor = split_page(
        list(rows), page, lambda comment: [comment.created_at.isoformat(), str(comment.id)]
    )
    return Page[KnowledgeCommentRead](
        items=[KnowledgeCommentRead.model_validate(comment) for comment in items],
        next_cursor=next_cursor,
    )


@router.post(
    "/{item_id}/comments",
    response_model=KnowledgeCommentRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(NOT_FOUND),
)
async def create_knowledge_comment(
    item_id: uuid.UUID,
    comment_in: KnowledgeCommentCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    principal: Annotated[Principal, Depends(require_scope("network:read"))],
) -> KnowledgeCommentRead:
    """Comment on or ask about an item, for one of your cities (`network:read` there)."""

    async def write() -> KnowledgeCommentRead:
        comment = await service.add_comment(
            session=session, principal=principal, item_id=item_id, comment_in=comment_in
        )
        return KnowledgeCommentRead.model_validate(comment)

    return await idempotency.run(session, KnowledgeCommentRead, write)
