import uuid
from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import distinct, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from usm_appraisals.models import Attendance, GroupSession, Member, WorkingGroup
from usmkit.pagination import PageParams, cursor_parts


class WorkingGroupRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, city: str, group_id: uuid.UUID, *, for_update: bool = False
    ) -> WorkingGroup | None:
        """The group `group_id` of `city`; `for_update` locks its row until the end."""
        group = await self.session.get(WorkingGroup, group_id, with_for_update=for_update)
        return group if group is not None and group.city == city else None

    async def add(self, group: WorkingGroup) -> WorkingGroup:
        self.session.add(group)
        await self.session.flush()
        await self.session.refresh(group)
        return group

    async def save(self, group: WorkingGroup) -> WorkingGroup:
        await self.session.flush()
        await self.session.refresh(group)
        return group

    async def list(
        self, params: PageParams, *, city: str, status: str | None
    ) -> Sequence[WorkingGroup]:
        """Newest first."""
        query = (
            select(WorkingGroup)
            .where(WorkingGroup.city == city)
            .order_by(WorkingGroup.created_at.desc(), WorkingGroup.id.desc())
            .limit(params.limit + 1)
        )
        if params.after:
            created_at, group_id = cursor_parts(params.after, datetime.fromisoformat, uuid.UUID)
            query = query.where(
                tuple_(WorkingGroup.created_at, WorkingGroup.id) < (created_at, group_id)
            )
        if status is not None:
            query = query.where(WorkingGroup.status == status)
        return (await self.session.scalars(query)).all()


class MemberRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, group_id: uuid.UUID, member_id: uuid.UUID) -> Member | None:
        member = await self.session.get(Member, member_id)
        return member if member is not None and member.working_group_id == group_id else None

    async def add(self, member: Member) -> Member:
        self.session.add(member)
        await self.session.flush()
        await self.session.refresh(member)
        return member

    async def save(self, member: Member) -> Member:
        await self.session.flush()
        await self.session.refresh(member)
        return member

    async def ids_in_group(
        self, group_id: uuid.UUID, member_ids: Collection[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Which of `member_ids` are members of the group."""
        if not member_ids:
            return set()
        found = await self.session.scalars(
            select(Member.id).where(
                Member.working_group_id == group_id, Member.id.in_(list(member_ids))
            )
        )
        return set(found)

    async def list(self, params: PageParams, *, group_id: uuid.UUID) -> Sequence[Member]:
        """In the order they joined."""
        query = (
            select(Member)
            .where(Member.working_group_id == group_id)
            .order_by(Member.created_at, Member.id)
            .limit(params.limit + 1)
        )
        if params.after:
            created_at, member_id = cursor_parts(params.after, datetime.fromisoformat, uuid.UUID)
            query = query.where(tuple_(Member.created_at, Member.id) > (created_at, member_id))
        return (await self.session.scalars(query)).all()

    async def attendees(
        self, start: date, end: date, *, group_id: uuid.UUID | None = None, city: str | None = None
    ) -> Sequence[Member]:
        """Distinct members present at a session held from `start` to `end`, of one group
        or of every group of a city."""
        present = (
            select(Attendance.member_id)
            .join(GroupSession, GroupSession.id == Attendance.session_id)
            .where(GroupSession.held_on.between(start, end))
        )
        if group_id is not None:
            present = present.where(GroupSession.working_group_id == group_id)
        if city is not None:
            present = present.where(GroupSession.city == city)
        query = select(Member).where(Member.id.in_(present)).order_by(Member.id)
        return (await self.session.scalars(query)).all()


class GroupSessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, group_id: uuid.UUID, session_id: uuid.UUID) -> GroupSession | None:
        found = await self.session.get(GroupSession, session_id)
        return found if found is not None and found.working_group_id == group_id else None

    async def add(self, group_session: GroupSession, attendance: Collection[uuid.UUID]) -> None:
        self.session.add(group_session)
        await self.session.flush()
        self.session.add_all(
            Attendance(session_id=group_session.id, member_id=member_id) for member_id in attendance
        )
        await self.session.flush()
        await self.session.refresh(group_session)

    async def attendance(
        self, session_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, list[uuid.UUID]]:
        """Member ids present, per session id."""
        present: dict[uuid.UUID, list[uuid.UUID]] = {session_id: [] for session_id in session_ids}
        if not session_ids:
            return present
        rows = await self.session.execute(
            select(Attendance.session_id, Attendance.member_id)
            .where(Attendance.session_id.in_(list(session_ids)))
            .order_by(Attendance.member_id)
        )
        for session_id, member_id in rows:
            present[session_id].append(member_id)
        return present

    async def list(self, params: PageParams, *, group_id: uuid.UUID) -> Sequence[GroupSession]:
        """Most recent first."""
        query = (
            select(GroupSession)
            .where(GroupSession.working_group_id == group_id)
            .order_by(GroupSession.held_on.desc(), GroupSession.id.desc())
            .limit(params.limit + 1)
        )
        if params.after:
            held_on, session_id = cursor_parts(params.after, date.fromisoformat, uuid.UUID)
            query = query.where(
                tuple_(GroupSession.held_on, GroupSession.id) < (held_on, session_id)
            )
        return (await self.session.scalars(query)).all()

    async def count_held(
        self, start: date, end: date, *, group_id: uuid.UUID | None = None, city: str | None = None
    ) -> int:
        query = select(func.count(distinct(GroupSession.id))).where(
            GroupSession.held_on.between(start, end)
        )
        if group_id is not None:
            query = query.where(GroupSession.working_group_id == group_id)
        if city is not None:
            query = query.where(GroupSession.city == city)
        return int(await self.session.scalar(query) or 0)
