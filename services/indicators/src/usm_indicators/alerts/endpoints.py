import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Response, status

from usm_indicators.alerts import service
from usm_indicators.alerts.repository import AlertRepository, AlertRuleRepository, cursor_of
from usm_indicators.alerts.schemas import AlertRead, AlertRuleCreate, AlertRuleRead, AlertStatus
from usm_indicators.catalogue.schemas import INDICATOR_CODE_PATTERN
from usm_indicators.geography.schemas import DISTRICT_CODE_PATTERN, SLUG_PATTERN
from usm_indicators.models.data_value import WHOLE_CITY
from usm_indicators.values.schemas import PERIOD_DESCRIPTION
from usmkit.auth import Principal, require_city, require_scope
from usmkit.concurrency import ETAG_HEADER, etag_for
from usmkit.idempotency import IdempotencyDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import PROBLEM_RESPONSES, problem_responses
from usmkit.runtime import SessionDep

router = APIRouter(
    prefix="/api/v1/indicators/cities/{city}",
    tags=["alerts"],
    responses=PROBLEM_RESPONSES,
)

CityPath = Annotated[str, Path(max_length=100, pattern=SLUG_PATTERN, description="City slug.")]
IfMatch = Annotated[str | None, Header(max_length=200, description='The current ETag, e.g. `"1"`.')]
Admin = Annotated[Principal, Depends(require_scope("indicators:admin"))]
Reader = Annotated[Principal, Depends(require_scope("indicators:read"))]
Writer = Annotated[Principal, Depends(require_scope("indicators:write"))]
RULE_NOT_FOUND = (404, "No such city or alert rule")
ALERT_NOT_FOUND = (404, "No such city or alert")
IF_MATCH_PROBLEMS = ((412, "The ETag sent is not the current one"),)


@router.post(
    "/alert-rules",
    response_model=AlertRuleRead,
    status_code=status.HTTP_201_CREATED,
    responses={201: {"headers": ETAG_HEADER}, **problem_responses(RULE_NOT_FOUND)},
)
async def create_alert_rule(
    city: CityPath,
    rule_in: Annotated[AlertRuleCreate, Body()],
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
    principal: Admin,
) -> AlertRuleRead:
    """Add an alert rule to the city (`indicators:admin`).

    The indicator must be one the city has; a `district_code` must be one of its districts
    (422 otherwise). Rules are evaluated whenever values of the city change (and by the
    recompute command): a rule fires at most once per district and period.
    """
    require_city(principal, city)

    async def write() -> AlertRuleRead:
        return await service.create_rule(session=session, city=city, rule_in=rule_in)

    created = await idempotency.run(session, AlertRuleRead, write)
    response.headers["ETag"] = etag_for(created.version)
    return created


@router.get("/alert-rules", response_model=Page[AlertRuleRead])
async def list_alert_rules(
    city: CityPath,
    session: SessionDep,
    page: PageParamsDep,
    principal: Reader,
    indicator: Annotated[
        str | None, Query(pattern=INDICATOR_CODE_PATTERN, description="Only this indicator.")
    ] = None,
    active: Annotated[bool | None, Query(description="Only active (or inactive) rules.")] = None,
) -> Page[AlertRuleRead]:
    """The city's alert rules, oldest first (`indicators:read`)."""
    require_city(principal, city)
    rows = await AlertRuleRepository(session).list(
        city, page, indicator_code=indicator, active=active
    )
    items, next_cursor = split_page(list(rows), page, lambda row: cursor_of(row.created_at, row.id))
    return Page[AlertRuleRead](
        items=[AlertRuleRead.model_validate(row) for row in items], next_cursor=next_cursor
    )


@router.get(
    "/alert-rules/{rule_id}",
    response_model=AlertRuleRead,
    responses={200: {"headers": ETAG_HEADER}, **problem_responses(RULE_NOT_FOUND)},
)
async def get_alert_rule(
    city: CityPath, rule_id: uuid.UUID, session: SessionDep, response: Response, principal: Reader
) -> AlertRuleRead:
    """One alert rule with its `ETag` (send it as `If-Match` to replace or delete it)."""
    require_city(principal, city)
    rule = await service.get_rule(session=session, city=city, rule_id=rule_id)
    response.headers["ETag"] = etag_for(rule.version)
    return AlertRuleRead.model_validate(rule)


@router.put(
    "/alert-rules/{rule_id}",
    response_model=AlertRuleRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **problem_responses(RULE_NOT_FOUND, *IF_MATCH_PROBLEMS),
    },
)
async def replace_alert_rule(
    city: CityPath,
    rule_id: uuid.UUID,
    rule_in: Annotated[AlertRuleCreate, Body()],
    session: SessionDep,
    response: Response,
    principal: Admin,
    if_match: IfMatch = None,
) -> AlertRuleRead:
    """Replace an alert rule (`indicators:admin`, `If-Match` required).

    Alerts it raised before stay as they were; the new definition applies from the next
    evaluation.
    """
    require_city(principal, city)
    rule = await service.replace_rule(
        session=session, city=city, rule_id=rule_id, rule_in=rule_in, if_match=if_match
    )
    response.headers["ETag"] = etag_for(rule.version)
    return rule


@router.delete(
    "/alert-rules/{rule_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(RULE_NOT_FOUND, *IF_MATCH_PROBLEMS),
)
async def delete_alert_rule(
    city: CityPath,
    rule_id: uuid.UUID,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatch = None,
) -> Response:
    """Delete an alert rule (`indicators:admin`; `If-Match` optional). Its alerts are kept."""
    require_city(principal, city)
    await service.delete_rule(session=session, city=city, rule_id=rule_id, if_match=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/alerts", response_model=Page[AlertRead])
async def list_alerts(
    city: CityPath,
    session: SessionDep,
    page: PageParamsDep,
    principal: Reader,
    alert_status: Annotated[
        AlertStatus | None, Query(alias="status", description="Only alerts in this status.")
    ] = None,
    district: Annotated[
        str | None, Query(pattern=DISTRICT_CODE_PATTERN, description="Only this district.")
    ] = None,
    whole_city: Annotated[
        bool, Query(description="Only alerts about the whole city, not a district.")
    ] = False,
    period: Annotated[str | None, Query(max_length=20, description=PERIOD_DESCRIPTION)] = None,
    indicator: Annotated[
        str | None, Query(pattern=INDICATOR_CODE_PATTERN, description="Only this indicator.")
    ] = None,
) -> Page[AlertRead]:
    """The city's alerts, newest first, filtered by status, district, period and indicator
    (`indicators:read`)."""
    require_city(principal, city)
    rows = await AlertRepository(session).list(
        city,
        page,
        status=alert_status,
        district_code=WHOLE_CITY if whole_city else district,
        period=period,
        indicator_code=indicator,
    )
    items, next_cursor = split_page(list(rows), page, lambda row: cursor_of(row.raised_at, row.id))
    return Page[AlertRead](items=[service.to_read(row) for row in items], next_cursor=next_cursor)


@router.get(
    "/alerts/{alert_id}",
    response_model=AlertRead,
    responses={200: {"headers": ETAG_HEADER}, **problem_responses(ALERT_NOT_FOUND)},
)
async def get_alert(
    city: CityPath, alert_id: uuid.UUID, session: SessionDep, response: Response, principal: Reader
) -> AlertRead:
    """One alert with its `ETag`."""
    require_city(principal, city)
    alert = await service.get_alert(session=session, city=city, alert_id=alert_id)
    response.headers["ETag"] = etag_for(alert.version)
    return service.to_read(alert)


async def _move(
    *,
    city: str,
    alert_id: uuid.UUID,
    to_status: str,
    session: SessionDep,
    response: Response,
    principal: Principal,
    if_match: str | None,
) -> AlertRead:
    require_city(principal, city)
    alert = await service.move_alert(
        session=session,
        principal=principal,
        city=city,
        alert_id=alert_id,
        to_status=to_status,
        if_match=if_match,
    )
    response.headers["ETag"] = etag_for(alert.version)
    return alert


MOVE_RESPONSES = {
    200: {"headers": ETAG_HEADER},
    **problem_responses(
        ALERT_NOT_FOUND, (409, "The alert is already past that status"), *IF_MATCH_PROBLEMS
    ),
}


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertRead, responses=MOVE_RESPONSES)
async def acknowledge_alert(
    city: CityPath,
    alert_id: uuid.UUID,
    session: SessionDep,
    response: Response,
    principal: Writer,
    if_match: IfMatch = None,
) -> AlertRead:
    """Acknowledge an open alert: someone is looking at it (`indicators:write`; `If-Match`
    optional). 409 when it is already acknowledged or closed."""
    return await _move(
        city=city,
        alert_id=alert_id,
        to_status="acknowledged",
        session=session,
        response=response,
        principal=principal,
        if_match=if_match,
    )


@router.post("/alerts/{alert_id}/close", response_model=AlertRead, responses=MOVE_RESPONSES)
async def close_alert(
    city: CityPath,
    alert_id: uuid.UUID,
    session: SessionDep,
    response: Response,
    principal: Writer,
    if_match: IfMatch = None,
) -> AlertRead:
    """Close an open or acknowledged alert (`indicators:write`; `If-Match` optional). A
    closed alert is not raised again for the same rule, district and period."""
    return await _move(
        city=city,
        alert_id=alert_id,
        to_status="closed",
        session=session,
        response=response,
        principal=principal,
        if_match=if_match,
    )
