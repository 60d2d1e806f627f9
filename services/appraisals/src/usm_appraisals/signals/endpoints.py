import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from usm_appraisals.appraisals.schemas import Dimension
from usm_appraisals.dependencies import CityPath, IfMatch, Reader, Writer
from usm_appraisals.signals import service
from usm_appraisals.signals.repository import SignalRepository
from usm_appraisals.signals.schemas import (
    Severity,
    SignalAcknowledge,
    SignalLink,
    SignalRead,
    SignalStatus,
)
from usmkit.auth import require_city
from usmkit.concurrency import ETAG_HEADER, etag_for
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import IF_MATCH_PROBLEMS, PROBLEM_RESPONSES, problem_responses
from usmkit.runtime import SessionDep

router = APIRouter(
    prefix="/api/v1/appraisals/cities/{city}/signals",
    tags=["signals"],
    responses=PROBLEM_RESPONSES,
)

NOT_FOUND = (404, "No such signal in this city")
CHANGED: dict[int | str, dict[str, Any]] = {200: {"headers": ETAG_HEADER}}


@router.get("", response_model=Page[SignalRead])
async def list_signals(
    city: CityPath,
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
    working_group_id: Annotated[
        uuid.UUID | None, Query(description="Only this Working Group's signals.")
    ] = None,
    signal_status: Annotated[
        SignalStatus | None, Query(alias="status", description="Only signals in this state.")
    ] = None,
    dimension: Annotated[
        Dimension | None, Query(description="Only alerts of this human-security dimension.")
    ] = None,
    severity: Annotated[Severity | None, Query(description="Only alerts of this severity.")] = None,
) -> Page[SignalRead]:
    """Indicators' alerts that reached the city's Working Groups, most recently raised first
    (`appraisals:read` in the city: members, facilitators and city staff).

    A district alert reaches each active group whose area holds the district; a city-wide
    alert reaches every active group of the city.
    """
    require_city(principal, city)
    rows = await SignalRepository(session).list(
        page,
        city=city,
        working_group_id=working_group_id,
        status=signal_status,
        dimension=dimension,
        severity=severity,
    )
    items, next_cursor = split_page(
        list(rows), page, lambda row: [row.raised_at.isoformat(), str(row.id)]
    )
    return Page[SignalRead](
        items=[SignalRead.model_validate(row) for row in items], next_cursor=next_cursor
    )


@router.get(
    "/{signal_id}",
    response_model=SignalRead,
    responses={**CHANGED, **problem_responses(NOT_FOUND)},
)
async def get_signal(
    city: CityPath,
    signal_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    response: Response,
) -> SignalRead:
    """One signal with its `ETag` (send it as `If-Match` to acknowledge or link it)."""
    require_city(principal, city)
    signal = await service.get_signal(session=session, city=city, signal_id=signal_id)
    response.headers["ETag"] = etag_for(signal.version)
    return SignalRead.model_validate(signal)


@router.post(
    "/{signal_id}/acknowledge",
    response_model=SignalRead,
    responses={
        **CHANGED,
        **problem_responses(NOT_FOUND, (409, "Already acknowledged or linked"), *IF_MATCH_PROBLEMS),
    },
)
async def acknowledge_signal(
    city: CityPath,
    signal_id: uuid.UUID,
    acknowledge_in: SignalAcknowledge,
    session: SessionDep,
    response: Response,
    principal: Writer,
    if_match: IfMatch = None,
) -> SignalRead:
    """Say the group has seen the signal (`appraisals:write`, `If-Match`): new → acknowledged."""
    signal = await service.acknowledge_signal(
        session=session,
        principal=principal,
        city=city,
        signal_id=signal_id,
        acknowledge_in=acknowledge_in,
        if_match=if_match,
    )
    response.headers["ETag"] = etag_for(signal.version)
    return SignalRead.model_validate(signal)


@router.post(
    "/{signal_id}/link",
    response_model=SignalRead,
    responses={
        **CHANGED,
        **problem_responses(NOT_FOUND, (409, "Already linked"), *IF_MATCH_PROBLEMS),
    },
)
async def link_signal(
    city: CityPath,
    signal_id: uuid.UUID,
    link_in: SignalLink,
    session: SessionDep,
    response: Response,
    principal: Writer,
    if_match: IfMatch = None,
) -> SignalRead:
    """Link the signal to an insecurity of its group's appraisal (`appraisal_id` and the
    insecurity's index) or to an action of its group's plan (`plan_id`, `item_id`).

    Needs `appraisals:write` and `If-Match`; the target must belong to the signal's Working
    Group (else 422). A linked signal keeps its link (409 on a second one).
    """
    signal = await service.link_signal(
        session=session,
        principal=principal,
        city=city,
        signal_id=signal_id,
        link_in=link_in,
        if_match=if_match,
    )
    response.headers["ETag"] = etag_for(signal.version)
    return SignalRead.model_validate(signal)
