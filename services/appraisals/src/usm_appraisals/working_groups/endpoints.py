import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from usm_appraisals.config import AppraisalsSettings
from usm_appraisals.dependencies import CityPath, IfMatch, Manager, Reader
from usm_appraisals.working_groups import service
from usm_appraisals.working_groups.repository import (
    GroupSessionRepository,
    MemberRepository,
    WorkingGroupRepository,
)
from usm_appraisals.working_groups.schemas import (
    GroupSessionCreate,
    GroupSessionRead,
    GroupStatus,
    MemberCreate,
    MemberPrivateRead,
    MemberRead,
    ParticipationStatisticsRead,
    WorkingGroupCreate,
    WorkingGroupRead,
    WorkingGroupUpdate,
)
from usmkit.auth import require_city
from usmkit.concurrency import ETAG_HEADER, etag_for
from usmkit.idempotency import IdempotencyDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.periods import PERIOD_DESCRIPTION, PERIOD_PATTERN
from usmkit.problems import IF_MATCH_PROBLEMS, PROBLEM_RESPONSES, NotFound, problem_responses
from usmkit.runtime import RuntimeDep, SessionDep

router = APIRouter(
    prefix="/api/v1/appraisals/cities/{city}/working-groups",
    tags=["working-groups"],
    responses=PROBLEM_RESPONSES,
)

NOT_FOUND = (404, "No such group (in this city), member or session")
MemberView = MemberPrivateRead | MemberRead


@router.post(
    "",
    response_model=WorkingGroupRead,
    status_code=status.HTTP_201_CREATED,
    responses={201: {"headers": ETAG_HEADER}},
)
async def create_working_group(
    city: CityPath,
    group_in: WorkingGroupCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
    principal: Manager,
) -> WorkingGroupRead:
    """Form a Working Group in one of your cities (`appraisals:manage`)."""

    async def write() -> WorkingGroupRead:
        group = await service.create_group(
            session=session, principal=principal, city=city, group_in=group_in
        )
        return WorkingGroupRead.model_validate(group)

    created = await idempotency.run(session, WorkingGroupRead, write)
    response.headers["ETag"] = etag_for(created.version)
    response.headers["Location"] = f"/api/v1/appraisals/cities/{city}/working-groups/{created.id}"
    return created


@router.get("", response_model=Page[WorkingGroupRead])
async def list_working_groups(
    city: CityPath,
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
    group_status: Annotated[
        GroupStatus | None, Query(alias="status", description="Only groups in this state.")
    ] = None,
) -> Page[WorkingGroupRead]:
    """The city's Working Groups, newest first (`appraisals:read` in the city; not public)."""
    require_city(principal, city)
    rows = await WorkingGroupRepository(session).list(page, city=city, status=group_status)
    items, next_cursor = split_page(
        list(rows), page, lambda group: [group.created_at.isoformat(), str(group.id)]
    )
    return Page[WorkingGroupRead](
        items=[WorkingGroupRead.model_validate(group) for group in items], next_cursor=next_cursor
    )


@router.get(
    "/{group_id}",
    response_model=WorkingGroupRead,
    responses={200: {"headers": ETAG_HEADER}, **problem_responses(NOT_FOUND)},
)
async def get_working_group(
    city: CityPath, group_id: uuid.UUID, session: SessionDep, principal: Reader, response: Response
) -> WorkingGroupRead:
    """One Working Group with its `ETag` (send it as `If-Match` to change the group)."""
    require_city(principal, city)
    group = await service.get_group(session=session, city=city, group_id=group_id)
    response.headers["ETag"] = etag_for(group.version)
    return WorkingGroupRead.model_validate(group)


@router.patch(
    "/{group_id}",
    response_model=WorkingGroupRead,
    responses={200: {"headers": ETAG_HEADER}, **problem_responses(NOT_FOUND, *IF_MATCH_PROBLEMS)},
)
async def update_working_group(
    city: CityPath,
    group_id: uuid.UUID,
    group_in: WorkingGroupUpdate,
    session: SessionDep,
    response: Response,
    principal: Manager,
    if_match: IfMatch = None,
) -> WorkingGroupRead:
    """Change the name, area, mandate or status (`active`/`inactive`) under `If-Match`.

    Needs `appraisals:manage` in the city; without `If-Match` 428, with a stale one 412.
    """
    group = await service.update_group(
        session=session,
        principal=principal,
        city=city,
        group_id=group_id,
        group_in=group_in,
        if_match=if_match,
    )
    response.headers["ETag"] = etag_for(group.version)
    return WorkingGroupRead.model_validate(group)


@router.post(
    "/{group_id}/members",
    response_model=MemberPrivateRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(NOT_FOUND, (409, "The group is inactive")),
)
async def add_member(
    city: CityPath,
    group_id: uuid.UUID,
    member_in: MemberCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    principal: Manager,
) -> MemberPrivateRead:
    """Add a member (`appraisals:manage` in the city).

    Gender, age band and disability are optional and self-declared; they need a consent with
    scope `participation_statistics`, a contact needs scope `contact` (else 422). They are used
    for participation statistics only and shown only to `appraisals:contacts:read`.
    """

    async def write() -> MemberPrivateRead:
        member = await service.add_member(
            session=session, principal=principal, city=city, group_id=group_id, member_in=member_in
        )
        view = service.member_view(member, private=True)
        assert isinstance(view, MemberPrivateRead)
        return view

    return await idempotency.run(session, MemberPrivateRead, write)


@router.get("/{group_id}/members", response_model=Page[MemberView])
async def list_members(
    city: CityPath,
    group_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
) -> Page[MemberView]:
    """The group's members in the order they joined (`appraisals:read` in the city).

    Contact, consent and self-declared attributes appear only for callers with
    `appraisals:contacts:read` in the city (facilitators and city admins).
    """
    require_city(principal, city)
    await service.get_group(session=session, city=city, group_id=group_id)
    rows = await MemberRepository(session).list(page, group_id=group_id)
    items, next_cursor = split_page(
        list(rows), page, lambda member: [member.created_at.isoformat(), str(member.id)]
    )
    private = service.may_see_contacts(principal, city)
    return Page[MemberView](
        items=[service.member_view(member, private=private) for member in items],
        next_cursor=next_cursor,
    )


@router.get("/{group_id}/members/{member_id}", response_model=MemberView)
async def get_member(
    city: CityPath,
    group_id: uuid.UUID,
    member_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
) -> MemberView:
    """One member; contact and personal data only with `appraisals:contacts:read`."""
    require_city(principal, city)
    member = await service.get_member(
        session=session, city=city, group_id=group_id, member_id=member_id
    )
    return service.member_view(member, private=service.may_see_contacts(principal, city))


@router.delete(
    "/{group_id}/members/{member_id}/personal-data",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(NOT_FOUND),
)
async def erase_personal_data(
    city: CityPath,
    group_id: uuid.UUID,
    member_id: uuid.UUID,
    session: SessionDep,
    principal: Manager,
) -> Response:
    """Record a withdrawal of consent: the member's gender, age band, disability, contact and
    consent record are erased (`appraisals:manage` in the city).

    The member and their attendance stay; statistics count them as not stated from then on.
    """
    await service.erase_personal_data(
        session=session, principal=principal, city=city, group_id=group_id, member_id=member_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{group_id}/sessions",
    response_model=GroupSessionRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(NOT_FOUND, (409, "The group is inactive")),
)
async def record_session(
    city: CityPath,
    group_id: uuid.UUID,
    session_in: GroupSessionCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    principal: Manager,
) -> GroupSessionRead:
    """Record a session with its agenda, minutes and attendance (`appraisals:manage`).

    Every id in `attendance` must be a member of this group (else 422, naming each one).
    """

    async def write() -> GroupSessionRead:
        return await service.record_session(
            session=session,
            principal=principal,
            city=city,
            group_id=group_id,
            session_in=session_in,
        )

    return await idempotency.run(session, GroupSessionRead, write)


@router.get("/{group_id}/sessions", response_model=Page[GroupSessionRead])
async def list_sessions(
    city: CityPath,
    group_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
) -> Page[GroupSessionRead]:
    """The group's sessions, most recent first (`appraisals:read` in the city)."""
    require_city(principal, city)
    await service.get_group(session=session, city=city, group_id=group_id)
    repository = GroupSessionRepository(session)
    rows = await repository.list(page, group_id=group_id)
    items, next_cursor = split_page(
        list(rows), page, lambda row: [row.held_on.isoformat(), str(row.id)]
    )
    attendance = await repository.attendance([row.id for row in items])
    return Page[GroupSessionRead](
        items=[service.session_view(row, attendance[row.id]) for row in items],
        next_cursor=next_cursor,
    )


@router.get(
    "/{group_id}/sessions/{session_id}",
    response_model=GroupSessionRead,
    responses=problem_responses(NOT_FOUND),
)
async def get_session(
    city: CityPath,
    group_id: uuid.UUID,
    session_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
) -> GroupSessionRead:
    """One session with its attendance (`appraisals:read` in the city)."""
    require_city(principal, city)
    await service.get_group(session=session, city=city, group_id=group_id)
    repository = GroupSessionRepository(session)
    found = await repository.get(group_id, session_id)
    if found is None:
        raise NotFound(f"No session {session_id} in the Working Group {group_id}.")
    attendance = await repository.attendance([found.id])
    return service.session_view(found, attendance[found.id])


@router.get(
    "/{group_id}/statistics",
    response_model=ParticipationStatisticsRead,
    responses=problem_responses(NOT_FOUND),
)
async def participation_statistics(
    city: CityPath,
    group_id: uuid.UUID,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Reader,
    period: Annotated[
        str, Query(max_length=10, pattern=PERIOD_PATTERN, description=PERIOD_DESCRIPTION)
    ],
) -> ParticipationStatisticsRead:
    """Participation in the group's sessions during `period`: distinct members present, by
    sector, gender, age band and disability, with women and youth (under 25) counted.

    Counts from 1 to k-1 (k = 5) are suppressed, and where one cell of a breakdown is
    suppressed the next smallest is too, so none can be recovered by subtraction.
    """
    require_city(principal, city)
    settings = runtime.settings
    assert isinstance(settings, AppraisalsSettings)
    return await service.participation(
        session=session,
        city=city,
        group_id=group_id,
        period=period,
        min_cell_count=settings.min_cell_count,
    )


city_router = APIRouter(
    prefix="/api/v1/appraisals/cities/{city}",
    tags=["working-groups"],
    responses=PROBLEM_RESPONSES,
)


@city_router.get("/participation-statistics", response_model=ParticipationStatisticsRead)
async def city_participation_statistics(
    city: CityPath,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Reader,
    period: Annotated[
        str, Query(max_length=10, pattern=PERIOD_PATTERN, description=PERIOD_DESCRIPTION)
    ],
) -> ParticipationStatisticsRead:
    """Participation in every Working Group of the city during `period`, with the same
    breakdowns and suppression as a group's statistics.

    Counted per membership: someone in two groups counts once in each.
    """
    require_city(principal, city)
    settings = runtime.settings
    assert isinstance(settings, AppraisalsSettings)
    return await service.participation(
        session=session,
        city=city,
        group_id=None,
        period=period,
        min_cell_count=settings.min_cell_count,
    )
