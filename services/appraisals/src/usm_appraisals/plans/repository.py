import uuid
from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from usm_appraisals.models import Appraisal, Plan, PlanAppraisal, PlanItem, ProgressUpdate
from usmkit.pagination import PageParams, cursor_parts


class PlanRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, city: str, plan_id: uuid.UUID, *, for_update: bool = False) -> Plan | None:
        """The plan of `city`; `for_update` locks its row until the transaction ends."""
        plan = await self.session.get(Plan, plan_id, with_for_update=for_update)
        return plan if plan is not None and plan.city == city else None

    async def add(self, plan: Plan, appraisal_ids: Collection[uuid.UUID]) -> Plan:
        self.session.add(plan)
        await self.session.flush()
        self.session.add_all(
            PlanAppraisal(plan_id=plan.id, appraisal_id=appraisal_id)
            for appraisal_id in appraisal_ids
        )
        await self.session.flush()
        await self.session.refresh(plan)
        return plan

    async def save(self, plan: Plan) -> Plan:
        await self.session.flush()
        await self.session.refresh(plan)
        return plan

    async def series(self, series_id: uuid.UUID) -> Sequence[Plan]:
        """Every version of a plan, oldest first."""
        query = select(Plan).where(Plan.series_id == series_id).order_by(Plan.revision)
        return (await self.session.scalars(query)).all()

    async def appraisals(self, city: str, appraisal_ids: Collection[uuid.UUID]) -> list[Appraisal]:
        found = await self.session.scalars(
            select(Appraisal).where(Appraisal.city == city, Appraisal.id.in_(list(appraisal_ids)))
        )
        return list(found)

    async def superseded(self, appraisal_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Which of `appraisal_ids` a later correction replaces."""
        found = await self.session.scalars(
            select(Appraisal.corrects_id).where(Appraisal.corrects_id.in_(list(appraisal_ids)))
        )
        return {appraisal_id for appraisal_id in found if appraisal_id is not None}

    async def appraisal_ids(
        self, plan_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, list[uuid.UUID]]:
        linked: dict[uuid.UUID, list[uuid.UUID]] = {plan_id: [] for plan_id in plan_ids}
        if not plan_ids:
            return linked
        rows = await self.session.execute(
            select(PlanAppraisal.plan_id, PlanAppraisal.appraisal_id)
            .where(PlanAppraisal.plan_id.in_(list(plan_ids)))
            .order_by(PlanAppraisal.appraisal_id)
        )
        for plan_id, appraisal_id in rows:
            linked[plan_id].append(appraisal_id)
        return linked

    async def list(self, params: PageParams, *, city: str, status: str | None) -> Sequence[Plan]:
        """Newest first."""
        query = (
            select(Plan)
            .where(Plan.city == city)
            .order_by(Plan.created_at.desc(), Plan.id.desc())
            .limit(params.limit + 1)
        )
        if params.after:
            created_at, plan_id = cursor_parts(params.after, datetime.fromisoformat, uuid.UUID)
            query = query.where(tuple_(Plan.created_at, Plan.id) < (created_at, plan_id))
        if status is not None:
            query = query.where(Plan.status == status)
        return (await self.session.scalars(query)).all()


class PlanItemRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, plan_id: uuid.UUID, item_id: uuid.UUID, *, for_update: bool = False
    ) -> PlanItem | None:
        item = await self.session.get(PlanItem, item_id, with_for_update=for_update)
        return item if item is not None and item.plan_id == plan_id else None

    async def add(self, item: PlanItem) -> PlanItem:
        self.session.add(item)
        await self.session.flush()
        await self.session.refresh(item)
        return item

    async def save(self, item: PlanItem) -> PlanItem:
        await self.session.flush()
        await self.session.refresh(item)
        return item

    async def all_of(self, plan_id: uuid.UUID) -> Sequence[PlanItem]:
        """Every item of the plan, in the order they were added (for roll-ups and events)."""
        query = (
            select(PlanItem)
            .where(PlanItem.plan_id == plan_id)
            .order_by(PlanItem.created_at, PlanItem.id)
        )
        return (await self.session.scalars(query)).all()

    async def all_of_plans(self, plan_ids: Collection[uuid.UUID]) -> Sequence[PlanItem]:
        query = (
            select(PlanItem)
            .where(PlanItem.plan_id.in_(list(plan_ids)))
            .order_by(PlanItem.created_at, PlanItem.id)
        )
        return (await self.session.scalars(query)).all()

    async def many(self, item_ids: Collection[uuid.UUID]) -> Sequence[PlanItem]:
        return (
            await self.session.scalars(select(PlanItem).where(PlanItem.id.in_(list(item_ids))))
        ).all()

    async def add_all(self, items: Sequence[PlanItem | ProgressUpdate]) -> None:
        """Rows are inserted in the given order (parents before children)."""
        self.session.add_all(items)
        await self.session.flush()

    async def uncarried_updates(
        self, origin_item_ids: Collection[uuid.UUID], item_ids: Collection[uuid.UUID]
    ) -> Sequence[ProgressUpdate]:
        """Reports on `origin_item_ids` not yet carried over to any of `item_ids`."""
        carried = select(ProgressUpdate.origin_id).where(
            ProgressUpdate.item_id.in_(list(item_ids)), ProgressUpdate.origin_id.is_not(None)
        )
        query = (
            select(ProgressUpdate)
            .where(
                ProgressUpdate.item_id.in_(list(origin_item_ids)),
                ProgressUpdate.id.not_in(carried),
            )
            .order_by(ProgressUpdate.created_at, ProgressUpdate.id)
        )
        return (await self.session.scalars(query)).all()

    async def children(self, item_id: uuid.UUID) -> Sequence[PlanItem]:
        return (
            await self.session.scalars(select(PlanItem).where(PlanItem.parent_id == item_id))
        ).all()

    async def has_children(self, item_id: uuid.UUID) -> bool:
        found = await self.session.scalar(
            select(PlanItem.id).where(PlanItem.parent_id == item_id).limit(1)
        )
        return found is not None

    async def list(self, params: PageParams, *, plan_id: uuid.UUID) -> Sequence[PlanItem]:
        """In the order they were added."""
        query = (
            select(PlanItem)
            .where(PlanItem.plan_id == plan_id)
            .order_by(PlanItem.created_at, PlanItem.id)
            .limit(params.limit + 1)
        )
        if params.after:
            created_at, item_id = cursor_parts(params.after, datetime.fromisoformat, uuid.UUID)
            query = query.where(tuple_(PlanItem.created_at, PlanItem.id) > (created_at, item_id))
        return (await self.session.scalars(query)).all()

    async def add_update(self, update: ProgressUpdate) -> ProgressUpdate:
        self.session.add(update)
        await self.session.flush()
        await self.session.refresh(update)
        return update

    async def updates(self, params: PageParams, *, item_id: uuid.UUID) -> Sequence[ProgressUpdate]:
        """Newest report first."""
        query = (
            select(ProgressUpdate)
            .where(ProgressUpdate.item_id == item_id)
            .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())
            .limit(params.limit + 1)
        )
        if params.after:
            created_at, update_id = cursor_parts(params.after, datetime.fromisoformat, uuid.UUID)
            query = query.where(
                tuple_(ProgressUpdate.created_at, ProgressUpdate.id) < (created_at, update_id)
            )
        return (await self.session.scalars(query)).all()

    async def latest_report_date(self, item_id: uuid.UUID) -> date | None:
        return await self.session.scalar(
            select(func.max(ProgressUpdate.reported_on)).where(ProgressUpdate.item_id == item_id)
        )
