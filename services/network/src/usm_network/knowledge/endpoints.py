from typing import Annotated

from fastapi import APIRouter, Query

from usm_network.knowledge.repository import KnowledgeRepository
from usm_network.knowledge.schemas import KnowledgeItemRead
from usmkit.auth import PrincipalDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import PROBLEM_RESPONSES
from usmkit.runtime import SessionDep

router = APIRouter(
    prefix="/api/v1/network/knowledge", tags=["knowledge"], responses=PROBLEM_RESPONSES
)


@router.get("", response_model=Page[KnowledgeItemRead])
async def list_knowledge_items(
    session: SessionDep,
    principal: PrincipalDep,
    page: PageParamsDep,
    origin_city: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[KnowledgeItemRead]:
    """Shared knowledge, newest first."""
    rows = await KnowledgeRepository(session).list(page, origin_city=origin_city)
    items, next_cursor = split_page(
        list(rows), page, lambda item: [item.published_at.isoformat(), str(item.id)]
    )
    return Page[KnowledgeItemRead](
        items=[KnowledgeItemRead.model_validate(item) for item in items], next_cursor=next_cursor
    )
