"""Putting this node's shared records on its change feed, and what of them may travel.

Only public fields leave: never contacts, comments, authors, anything non-public, or a
suppressed indicator value as a number.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from usm_network.aggregates.schemas import AggregateRecord
from usm_network.knowledge.markdown import strip_html
from usm_network.models import City, IndicatorAggregate, KnowledgeItem
from usm_network.sync.repository import FeedRepository
from usm_network.sync.schemas import KnowledgeRecord


def city_payload(city: City) -> dict[str, Any]:
    """What may leave this deployment about a city (events, sync): never its contacts."""
    return {
        "slug": city.slug,
        "name": city.name,
        "name_es": city.name_es,
        "country_code": city.country_code,
        "region": city.region,
        "population": city.population,
        "role": city.role,
        "member_since": city.member_since.isoformat(),
        "member_until": city.member_until.isoformat() if city.member_until else None,
        "languages": list(city.languages),
        "time_zone": city.time_zone,
        "version": city.version,
    }


def knowledge_payload(item: KnowledgeItem) -> dict[str, Any]:
    """What may leave this deployment about a knowledge item (no comments, no author)."""
    return KnowledgeRecord(
        id=item.id,
        kind=item.kind,
        origin_city=item.origin_city,
        title=item.title,
        summary=item.summary,
        body=strip_html(item.body),
        dimensions=list(item.dimensions),
        tags=list(item.tags),
        language=item.language,
        licence=item.licence,
        version=item.version,
        published_at=item.published_at,
        updated_at=item.updated_at,
    ).model_dump(mode="json")


async def record_knowledge_item(session: AsyncSession, item: KnowledgeItem) -> None:
    """Put this node's new version of an item on the change feed."""
    await FeedRepository(session).put(
        record_type="knowledge_item",
        record_id=str(item.id),
        origin_node=item.origin_node,
        version=item.version,
        payload=knowledge_payload(item),
    )


async def record_knowledge_deleted(session: AsyncSession, item: KnowledgeItem) -> None:
    """Put a tombstone for a withdrawn item on the change feed."""
    await FeedRepository(session).put(
        record_type="knowledge_item",
        record_id=str(item.id),
        origin_node=item.origin_node,
        version=item.version + 1,
        payload=None,
    )


async def record_city(session: AsyncSession, city: City) -> None:
    """Put a member city's public record on the change feed."""
    await FeedRepository(session).put(
        record_type="city",
        record_id=city.slug,
        origin_node=city.origin_node,
        version=city.version,
        payload=city_payload(city),
    )


def aggregate_payload(aggregate: IndicatorAggregate) -> dict[str, Any]:
    """What may leave this deployment about a city's aggregate: public, suppressed values null.

    Built through `AggregateRecord`, whose validation nulls any suppressed value again.
    """
    return AggregateRecord.model_validate(
        {
            "id": aggregate.id,
            "city": aggregate.city,
            "period": aggregate.period,
            "computed_at": aggregate.computed_at,
            "indicators": aggregate.indicators,
            "index": aggregate.index,
            "version": aggregate.version,
        }
    ).model_dump(mode="json")


async def record_aggregate(session: AsyncSession, aggregate: IndicatorAggregate) -> None:
    """Put this node's new version of a city's aggregate on the change feed."""
    await FeedRepository(session).put(
        record_type="indicator_aggregate",
        record_id=str(aggregate.id),
        origin_node=aggregate.origin_node,
        version=aggregate.version,
        payload=aggregate_payload(aggregate),
    )


async def record_aggregate_withdrawn(session: AsyncSession, aggregate: IndicatorAggregate) -> None:
    """Put a tombstone for a withdrawn aggregate on the change feed."""
    await FeedRepository(session).put(
        record_type="indicator_aggregate",
        record_id=str(aggregate.id),
        origin_node=aggregate.origin_node,
        version=aggregate.version + 1,
        payload=None,
    )
