from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, cast, func, null, or_, select, tuple_
from sqlalchemy.dialects.postgresql import JSONB, JSONPATH
from sqlalchemy.ext.asyncio import AsyncSession

from usm_network.models import City, IndicatorAggregate
from usmkit.pagination import PageParams, cursor_parts

# The city-level entry of one indicator (districts are not compared across cities).
_CITY_VALUE_PATH = "$[*] ? (@.indicator_code == $code && @.district_code == null)"
_ANY_VALUE_PATH = "$[*] ? (@.indicator_code == $code)"


def _vars(code: str) -> ColumnElement[Any]:
    return func.jsonb_build_object("code", code)


@dataclass(frozen=True)
class ComparedRow:
    """One city's aggregate for the compared period, with what the registry knows of it."""

    aggregate: IndicatorAggregate
    entry: dict[str, Any] | None
    city: City | None


class AggregateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, city: str, period: str, *, for_update: bool = False
    ) -> IndicatorAggregate | None:
        query = select(IndicatorAggregate).where(
            IndicatorAggregate.city == city, IndicatorAggregate.period == period
        )
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def add(self, aggregate: IndicatorAggregate) -> IndicatorAggregate:
        self.session.add(aggregate)
        await self.session.flush()
        return aggregate

    async def save(self, aggregate: IndicatorAggregate) -> IndicatorAggregate:
        aggregate.updated_at = func.now()
        await self.session.flush()
        await self.session.refresh(aggregate)
        return aggregate

    async def delete(self, aggregate: IndicatorAggregate) -> None:
        await self.session.delete(aggregate)
        await self.session.flush()

    async def list(
        self, params: PageParams, *, city: str | None, period: str | None
    ) -> Sequence[IndicatorAggregate]:
        query = (
            select(IndicatorAggregate)
            .order_by(IndicatorAggregate.city, IndicatorAggregate.period)
            .limit(params.limit + 1)
        )
        if params.after:
            after_city, after_period = cursor_parts(params.after, str, str)
            query = query.where(
                tuple_(IndicatorAggregate.city, IndicatorAggregate.period)
                > (after_city, after_period)
            )
        if city is not None:
            query = query.where(IndicatorAggregate.city == city)
        if period is not None:
            query = query.where(IndicatorAggregate.period == period)
        return (await self.session.scalars(query)).all()

    async def compare(self, period: str, indicator_code: str | None) -> Sequence[ComparedRow]:
        """Every city's aggregate for the period with its city-level value of the indicator
        (`entry`; None when it publishes none), or with no entry when comparing the index."""
        entry: ColumnElement[Any] = (
            func.jsonb_path_query_first(
                IndicatorAggregate.indicators,
                cast(_CITY_VALUE_PATH, JSONPATH),
                _vars(indicator_code),
                type_=JSONB,
            )
            if indicator_code is not None
            else null()
        )
        query = (
            select(IndicatorAggregate, entry, City)
            .outerjoin(City, City.slug == IndicatorAggregate.city)
            .where(IndicatorAggregate.period == period)
            .order_by(IndicatorAggregate.city)
        )
        rows = (await self.session.execute(query)).all()
        return [ComparedRow(aggregate=row[0], entry=row[1], city=row[2]) for row in rows]

    async def periods_with(self, indicator_code: str | None, *, limit: int) -> Sequence[str]:
        """Periods (newest first) where some city publishes the indicator (or an index)."""
        condition = (
            func.jsonb_path_exists(
                IndicatorAggregate.indicators,
                cast(_ANY_VALUE_PATH, JSONPATH),
                _vars(indicator_code),
            )
            if indicator_code is not None
            else IndicatorAggregate.index.is_not(None)
        )
        query = (
            select(IndicatorAggregate.period)
            .where(condition)
            .group_by(IndicatorAggregate.period)
            .order_by(IndicatorAggregate.period.desc())
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def member_slugs(self, start: date, end: date) -> Sequence[str]:
        """Member cities in the registry (local and synced) at some time from start to end."""
        query = (
            select(City.slug)
            .where(City.member_since <= end)
            .where(or_(City.member_until.is_(None), City.member_until >= start))
            .order_by(City.slug)
        )
        return (await self.session.scalars(query)).all()
