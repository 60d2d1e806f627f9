import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import Alert, AlertRule
from usmkit.pagination import PageParams, cursor_parts


class AlertRuleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, city: str, rule_id: uuid.UUID, *, lock: bool = False) -> AlertRule | None:
        query = select(AlertRule).where(AlertRule.city == city, AlertRule.id == rule_id)
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def list(
        self,
        city: str,
        params: PageParams,
        *,
        indicator_code: str | None,
        active: bool | None,
    ) -> Sequence[AlertRule]:
        query = (
            select(AlertRule)
            .where(AlertRule.city == city)
            .order_by(AlertRule.created_at, AlertRule.id)
            .limit(params.limit + 1)
        )
        if params.after:
            created_at, rule_id = cursor_parts(params.after, datetime.fromisoformat, uuid.UUID)
            query = query.where(tuple_(AlertRule.created_at, AlertRule.id) > (created_at, rule_id))
        if indicator_code is not None:
            query = query.where(AlertRule.indicator_code == indicator_code)
        if active is not None:
            query = query.where(AlertRule.is_active.is_(active))
        return (await self.session.scalars(query)).all()

    async def active_in_city(self, city: str) -> Sequence[AlertRule]:
        query = (
            select(AlertRule)
            .where(AlertRule.city == city, AlertRule.is_active.is_(True))
            .order_by(AlertRule.created_at, AlertRule.id)
        )
        return (await self.session.scalars(query)).all()

    def add(self, rule: AlertRule) -> None:
        self.session.add(rule)

    async def delete(self, rule: AlertRule) -> None:
        await self.session.delete(rule)


class AlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def raise_once(self, values: dict[str, Any]) -> Alert | None:
        """Insert the alert unless its rule already fired for this district and period."""
        statement = (
            insert(Alert)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["rule_id", "district_code", "period"])
            .returning(Alert)
        )
        return (await self.session.scalars(statement)).first()

    async def get(self, city: str, alert_id: uuid.UUID, *, lock: bool = False) -> Alert | None:
        query = select(Alert).where(Alert.city == city, Alert.id == alert_id)
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def list(
        self,
        city: str,
        params: PageParams,
        *,
        status: str | None,
        district_code: str | None,
        period: str | None,
        indicator_code: str | None,
    ) -> Sequence[Alert]:
        """Newest first."""
        query = (
            select(Alert)
            .where(Alert.city == city)
            .order_by(Alert.raised_at.desc(), Alert.id.desc())
            .limit(params.limit + 1)
        )
        if params.after:
            raised_at, alert_id = cursor_parts(params.after, datetime.fromisoformat, uuid.UUID)
            query = query.where(tuple_(Alert.raised_at, Alert.id) < (raised_at, alert_id))
        if status is not None:
            query = query.where(Alert.status == status)
        if district_code is not None:
            query = query.where(Alert.district_code == district_code)
        if period is not None:
            query = query.where(Alert.period == period)
        if indicator_code is not None:
            query = query.where(Alert.indicator_code == indicator_code)
        return (await self.session.scalars(query)).all()


def cursor_of(created: datetime, row_id: uuid.UUID) -> list[str]:
    return [created.isoformat(), str(row_id)]
