import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from usm_appraisals.districts.service import check_known
from usm_appraisals.models import GroupSession, Member, WorkingGroup, known_cities
from usm_appraisals.working_groups.repository import (
    GroupSessionRepository,
    MemberRepository,
    WorkingGroupRepository,
)
from usm_appraisals.working_groups.schemas import (
    Consent,
    Contact,
    CountCell,
    GroupSessionCreate,
    GroupSessionRead,
    MemberCreate,
    MemberPrivateRead,
    MemberRead,
    ParticipationStatisticsRead,
    WorkingGroupCreate,
    WorkingGroupUpdate,
)
from usm_appraisals.working_groups.statistics import (
    Cell,
    Participant,
    participation_statistics,
)
from usmkit import periods
from usmkit.auth import Principal, require_city
from usmkit.concurrency import require_if_match
from usmkit.problems import Conflict, FieldError, NotFound, UnprocessableContent
from usmkit.tenancy import CityDirectory

CONTACTS_SCOPE = "appraisals:contacts:read"


def may_see_contacts(principal: Principal, city: str) -> bool:
    """Contacts and self-declared attributes: only with `appraisals:contacts:read` there."""
    return principal.has_scope(CONTACTS_SCOPE) and principal.acts_in(city)


async def create_group(
    *, session: AsyncSession, principal: Principal, city: str, group_in: WorkingGroupCreate
) -> WorkingGroup:
    """Form a Working Group in one of the principal's member cities."""
    require_city(principal, city)
    if not await CityDirectory(known_cities).exists(session, city):
        raise UnprocessableContent(
            f"The city {city!r} is not a member city.",
            errors=[FieldError(loc=["path", "city"], msg="Unknown city.", type="unknown_city")],
        )
    await check_known(session, city, group_in.districts, ["body", "districts"])
    group = WorkingGroup(
        **group_in.model_dump(), city=city, created_by=principal.subject, version=1
    )
    return await WorkingGroupRepository(session).add(group)


async def get_group(
    *, session: AsyncSession, city: str, group_id: uuid.UUID, for_update: bool = False
) -> WorkingGroup:
    """The group, or 404 (also when it belongs to another city)."""
    group = await WorkingGroupRepository(session).get(city, group_id, for_update=for_update)
    if group is None:
        raise NotFound(f"No Working Group {group_id} in {city!r}.")
    return group


async def update_group(
    *,
    session: AsyncSession,
    principal: Principal,
    city: str,
    group_id: uuid.UUID,
    group_in: WorkingGroupUpdate,
    if_match: str | None,
) -> WorkingGroup:
    """Change name, area, mandate or status under `If-Match`."""
    require_city(principal, city)
    group = await get_group(session=session, city=city, group_id=group_id, for_update=True)
    require_if_match(if_match, group.version, "Working Group")
    changes = group_in.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is None:
            raise UnprocessableContent(
                f"{field} cannot be null.",
                errors=[FieldError(loc=["body", field], msg="May not be null.", type="null")],
            )
    if "districts" in changes:
        await check_known(session, city, changes["districts"], ["body", "districts"])
    for field, value in changes.items():
        setattr(group, field, value)
    group.version += 1
    return await WorkingGroupRepository(session).save(group)


def _require_active(group: WorkingGroup) -> None:
    if group.status != "active":
        raise Conflict(
            f"The Working Group {group.id} is inactive; reactivate it before adding to it."
        )


async def add_member(
    *,
    session: AsyncSession,
    principal: Principal,
    city: str,
    group_id: uuid.UUID,
    member_in: MemberCreate,
) -> Member:
    """Add a member; personal attributes and contact only as far as the consent covers."""
    require_city(principal, city)
    group = await get_group(session=session, city=city, group_id=group_id)
    _require_active(group)
    contact = member_in.contact or Contact()
    member = Member(
        working_group_id=group.id,
        city=city,
        name=member_in.name,
        sector=member_in.sector,
        role=member_in.role,
        gender=member_in.gender,
        age_band=member_in.age_band,
        disability=member_in.disability,
        consent_given_at=member_in.consent.given_at if member_in.consent else None,
        consent_scope=list(member_in.consent.scope) if member_in.consent else None,
        email=contact.email,
        phone=contact.phone,
    )
    return await MemberRepository(session).add(member)


async def get_member(
    *, session: AsyncSession, city: str, group_id: uuid.UUID, member_id: uuid.UUID
) -> Member:
    await get_group(session=session, city=city, group_id=group_id)
    member = await MemberRepository(session).get(group_id, member_id)
    if member is None:
        raise NotFound(f"No member {member_id} in the Working Group {group_id}.")
    return member


async def erase_personal_data(
    *,
    session: AsyncSession,
    principal: Principal,
    city: str,
    group_id: uuid.UUID,
    member_id: uuid.UUID,
) -> None:
    """Consent withdrawn: forget the member's self-declared attributes, contact and consent.

    The member stays (name, sector, role, attendance); statistics count them as not stated.
    """
    require_city(principal, city)
    member = await get_member(session=session, city=city, group_id=group_id, member_id=member_id)
    member.gender = None
    member.age_band = None
    member.disability = None
    member.email = None
    member.phone = None
    member.consent_given_at = None
    member.consent_scope = None
    await MemberRepository(session).save(member)


def member_view(member: Member, *, private: bool) -> MemberRead | MemberPrivateRead:
    """The member as the caller may see them: without contact and personal data unless
    `private` (the caller has `appraisals:contacts:read` in the member's city)."""
    public = MemberRead(
        id=member.id,
        working_group_id=member.working_group_id,
        name=member.name,
        sector=member.sector,
        role=member.role,
        created_at=member.created_at,
    )
    if not private:
        return public
    consent = (
        Consent(given_at=member.consent_given_at, scope=member.consent_scope)
        if member.consent_given_at is not None and member.consent_scope is not None
        else None
    )
    has_contact = member.email is not None or member.phone is not None
    return MemberPrivateRead(
        **public.model_dump(),
        gender=member.gender,
        age_band=member.age_band,
        disability=member.disability,
        consent=consent,
        contact=Contact(email=member.email, phone=member.phone) if has_contact else None,
    )


async def record_session(
    *,
    session: AsyncSession,
    principal: Principal,
    city: str,
    group_id: uuid.UUID,
    session_in: GroupSessionCreate,
) -> GroupSessionRead:
    """Record a session; everyone in `attendance` must be a member of the group."""
    require_city(principal, city)
    group = await get_group(session=session, city=city, group_id=group_id)
    _require_active(group)
    attendance = list(dict.fromkeys(session_in.attendance))
    known = await MemberRepository(session).ids_in_group(group.id, attendance)
    unknown = [
        FieldError(loc=["body", "attendance", index], msg="Not a member.", type="unknown_member")
        for index, member_id in enumerate(session_in.attendance)
        if member_id not in known
    ]
    if unknown:
        raise UnprocessableContent(
            "Attendance lists people who are not members of this group.", errors=unknown
        )
    group_session = GroupSession(
        working_group_id=group.id,
        city=city,
        held_on=session_in.held_on,
        place=session_in.place,
        agenda=session_in.agenda,
        minutes=session_in.minutes,
    )
    repository = GroupSessionRepository(session)
    await repository.add(group_session, attendance)
    return session_view(group_session, sorted(attendance))


def session_view(group_session: GroupSession, attendance: list[uuid.UUID]) -> GroupSessionRead:
    return GroupSessionRead(
        id=group_session.id,
        working_group_id=group_session.working_group_id,
        held_on=group_session.held_on,
        place=group_session.place,
        agenda=group_session.agenda,
        minutes=group_session.minutes,
        attendance=attendance,
        created_at=group_session.created_at,
    )


def parse_period(period: str) -> tuple[date, date]:
    try:
        parsed = periods.parse_period(period)
    except ValueError as exc:
        raise UnprocessableContent(
            f"{period!r} is not an ISO 8601 period.",
            errors=[FieldError(loc=["query", "period"], msg=str(exc), type="period")],
        ) from exc
    return parsed.start, parsed.end


async def participation(
    *,
    session: AsyncSession,
    city: str,
    group_id: uuid.UUID | None,
    period: str,
    min_cell_count: int,
) -> ParticipationStatisticsRead:
    """Participation in sessions during `period`, of one group or (`group_id` None) of every
    group of the city, suppressed."""
    if group_id is not None:
        await get_group(session=session, city=city, group_id=group_id)
    start, end = parse_period(period)
    attendees = await MemberRepository(session).attendees(start, end, group_id=group_id, city=city)
    sessions = await GroupSessionRepository(session).count_held(
        start, end, group_id=group_id, city=city
    )
    statistics = participation_statistics(
        [
            Participant(
                sector=member.sector,
                gender=member.gender,
                age_band=member.age_band,
                disability=member.disability,
            )
            for member in attendees
        ],
        k=min_cell_count,
    )
    return ParticipationStatisticsRead(
        city=city,
        working_group_id=group_id,
        period=period,
        period_start=start,
        period_end=end,
        min_cell_count=min_cell_count,
        sessions=sessions,
        participants=_cell(statistics.participants),
        women=_cell(statistics.women),
        youth=_cell(statistics.youth),
        by_sector=[_cell(cell) for cell in statistics.by_sector],
        by_gender=[_cell(cell) for cell in statistics.by_gender],
        by_age_band=[_cell(cell) for cell in statistics.by_age_band],
        by_disability=[_cell(cell) for cell in statistics.by_disability],
    )


def _cell(cell: Cell) -> CountCell:
    return CountCell(key=cell.key, count=cell.count, suppressed=cell.suppressed)
