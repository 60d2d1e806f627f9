import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from usm_appraisals.models import Appraisal, AppraisalTransition
from usmkit.pagination import PageParams, cursor_parts
from usmkit.problems import BadRequest


class AppraisalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, city: str, appraisal_id: uuid.UUID, *, for_update: bool = False
    ) -> Appraisal | None:
        """The appraisal of `city`; `for_update` locks its row until the transaction ends."""
        found = await self.session.get(Appraisal, appraisal_id, with_for_update=for_update)
        return found if found is not None and found.city == city else None

    async def add(self, appraisal: Appraisal) -> Appraisal:
        self.session.add(appraisal)
        await self.session.flush()
        await self.session.refresh(appraisal)
        return appraisal

    async def save(self, appraisal: Appraisal) -> Appraisal:
        await self.session.flush()
        await self.session.refresh(appraisal)
        return appraisal

    async def latest_sequence(self, series_id: uuid.UUID) -> int:
        latest = await self.session.scalar(
            select(func.max(Appraisal.sequence)).where(Appraisal.series_id == series_id)
        )
        return int(latest or 0)

    async def list(
        self,
        params: PageParams,
        *,
        city: str,
        working_group_id: uuid.UUID | None,
        status: str | None,
    ) -> Sequence[Appraisal]:
        """Newest first."""
        query = (
            select(Appraisal)
            .where(Appraisal.city == city)
            .order_by(Appraisal.created_at.desc(), Appraisal.id.desc())
            .limit(params.limit + 1)
        )
        if params.after:
            created_at, appraisal_id = cursor_parts(params.after, datetime.fromisoformat, uuid.UUID)
            query = query.where(
                tuple_(Appraisal.created_at, Appraisal.id) < (created_at, appraisal_id)
            )
        if working_group_id is not None:
            query = query.where(Appraisal.working_group_id == working_group_id)
        if status is not None:
            query = query.where(Appraisal.status == status)
        return (await self.session.scalars(query)).all()

    async def series(self, params: PageParams, series_id: uuid.UUID) -> Sequence[Appraisal]:
        """Every version of a series, oldest first."""
        query = (
            select(Appraisal)
            .where(Appraisal.series_id == series_id)
            .order_by(Appraisal.sequence)
            .limit(params.limit + 1)
        )
        if params.after:
            query = query.where(Appraisal.sequence > _sequence_key(params.after))
        return (await self.session.scalars(query)).all()

    async def add_transition(self, transition: AppraisalTransition) -> None:
        self.session.add(transition)
        await self.session.flush()

    async def transitions(
        self, params: PageParams, appraisal_id: uuid.UUID
    ) -> Sequence[AppraisalTransition]:
        """Oldest first."""
        query = (
            select(AppraisalTransition)
            .where(AppraisalTransition.appraisal_id == appraisal_id)
            .order_by(AppraisalTransition.occurred_at, AppraisalTransition.id)
            .limit(params.limit + 1)
        )
        if params.after:
            occurred_at, transition_id = cursor_parts(
                params.after, datetime.fromisoformat, uuid.UUID
            )
            query = query.where(
                tuple_(AppraisalTransition.occurred_at, AppraisalTransition.id)
                > (occurred_at, transition_id)
            )
        return (await self.session.scalars(query)).all()


def _sequence_key(after: list[object]) -> int:
    try:
        (sequence,) = after
        return int(str(sequence))
    except ValueError as exc:
        raise BadRequest("The cursor is not valid; start again without one.") from exc
