import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import any_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_appraisals.models import Signal, WorkingGroup
from usmkit.pagination import PageParams, cursor_parts


class SignalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def groups_covering(self, city: str, district_code: str | None) -> list[uuid.UUID]:
        """Active groups of the city whose area holds the district (all of them for None)."""
        query = select(WorkingGroup.id).where(
            WorkingGroup.city == city, WorkingGroup.status == "active"
        )
        if district_code is not None:
            query = query.where(any_(WorkingGroup.districts) == district_code)
        return list(await self.session.scalars(query.order_by(WorkingGroup.id)))

    async def add_once(self, rows: list[dict[str, object]]) -> None:
        """Insert, skipping (group, alert) pairs already there."""
        if rows:
            await self.session.execute(
                insert(Signal)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["working_group_id", "alert_id"])
            )

    async def get(
        self, city: str, signal_id: uuid.UUID, *, for_update: bool = False
    ) -> Signal | None:
        signal = await self.session.get(Signal, signal_id, with_for_update=for_update)
        return signal if signal is not None and signal.city == city else None

    async def save(self, signal: Signal) -> Signal:
        await self.session.flush()
        await self.session.refresh(signal)
        return signal

    async def list(
        self,
        params: PageParams,
        *,
        city: str,
        working_group_id: uuid.UUID | None,
        status: str | None,
        dimension: str | None,
        severity: str | None,
    ) -> Sequence[Signal]:
        """Most recently raised first."""
        query = (
            select(Signal)
            .where(Signal.city == city)
            .order_by(Signal.raised_at.desc(), Signal.id.desc())
            .limit(params.limit + 1)
        )
        if params.after:
            raised_at, signal_id = cursor_parts(params.after, datetime.fromisoformat, uuid.UUID)
            query = query.where(tuple_(Signal.raised_at, Signal.id) < (raised_at, signal_id))
        for column, wanted in (
            (Signal.working_group_id, working_group_id),
            (Signal.status, status),
            (Signal.dimension, dimension),
            (Signal.severity, severity),
        ):
            if wanted is not None:
                query = query.where(column == wanted)
        return (await self.session.scalars(query)).all()
