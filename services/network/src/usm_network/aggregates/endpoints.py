from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status

from usm_network.aggregates import service
from usm_network.aggregates.repository import AggregateRepository
from usm_network.aggregates.schemas import INDICATOR_CODE_PATTERN, AggregateRead, Benchmark
from usm_network.cities.schemas import SLUG_PATTERN
from usm_network.knowledge.schemas import Dimension
from usmkit.auth import Principal, PublicDep, require_scope
from usmkit.concurrency import etag_for, etag_header
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.periods import PERIOD_DESCRIPTION, PERIOD_PATTERN
from usmkit.problems import (
    CONFLICT,
    IF_MATCH_MISSING,
    NOT_FOUND,
    PROBLEM_RESPONSES,
    STALE,
    problem_responses,
)
from usmkit.runtime import SessionDep

aggregates_router = APIRouter(
    prefix="/api/v1/network/aggregates", tags=["aggregates"], responses=PROBLEM_RESPONSES
)
benchmarks_router = APIRouter(
    prefix="/api/v1/network/benchmarks", tags=["benchmarks"], responses=PROBLEM_RESPONSES
)
ETAG = etag_header("aggregate")
CityPath = Annotated[str, Path(max_length=100, pattern=SLUG_PATTERN, description="City slug.")]
PeriodPath = Annotated[
    str, Path(max_length=10, pattern=PERIOD_PATTERN, description=PERIOD_DESCRIPTION)
]


@aggregates_router.get("", response_model=Page[AggregateRead])
async def list_aggregates(
    session: SessionDep,
    principal: PublicDep,
    page: PageParamsDep,
    city: Annotated[
        str | None, Query(max_length=100, pattern=SLUG_PATTERN, description="Only this city.")
    ] = None,
    period: Annotated[
        str | None, Query(max_length=10, pattern=PERIOD_PATTERN, description=PERIOD_DESCRIPTION)
    ] = None,
) -> Page[AggregateRead]:
    """Public indicator aggregates of member cities, by city and period.

    This deployment's own (published by indicators, `origin_node` null) and those synced
    from peer deployments. Values are small-cell suppressed at their origin: a withheld
    value is `null` with `suppressed: true`, never a number.
    """
    canonical = str(service.parse_period_query(period)) if period is not None else None
    rows = await AggregateRepository(session).list(page, city=city, period=canonical)
    items, next_cursor = split_page(list(rows), page, lambda row: [row.city, row.period])
    return Page[AggregateRead](
        items=[AggregateRead.model_validate(row) for row in items], next_cursor=next_cursor
    )


@aggregates_router.get(
    "/{city}/{period}",
    response_model=AggregateRead,
    responses={200: {"headers": ETAG}, **problem_responses(NOT_FOUND)},
)
async def get_aggregate(
    city: CityPath,
    period: PeriodPath,
    session: SessionDep,
    principal: PublicDep,
    response: Response,
) -> AggregateRead:
    """A city's public aggregates for one period, with its `ETag`."""
    canonical = str(service.parse_period_query(period, where="path"))
    aggregate = await service.get_aggregate(session=session, city=city, period=canonical)
    response.headers["ETag"] = etag_for(aggregate.version)
    return AggregateRead.model_validate(aggregate)


@aggregates_router.delete(
    "/{city}/{period}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(NOT_FOUND, CONFLICT, STALE, IF_MATCH_MISSING),
)
async def withdraw_aggregate(
    city: CityPath,
    period: PeriodPath,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_scope("network:write"))],
    if_match: Annotated[
        str | None, Header(max_length=200, description='The current ETag, e.g. `"1"`.')
    ] = None,
) -> Response:
    """Stop sharing a city's aggregates for a period (`network:write` in the city).

    Peers delete their copies on their next sync (a tombstone). Send `If-Match` with the
    current ETag (428 without, 412 when stale). Aggregates synced from another deployment
    are withdrawn there (409 here). The next publication of the period by indicators
    shares it again.
    """
    await service.withdraw(
        session=session,
        principal=principal,
        city=city,
        period=str(service.parse_period_query(period, where="path")),
        if_match=if_match,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@benchmarks_router.get("", response_model=Benchmark, responses=problem_responses(NOT_FOUND))
async def compare_cities(
    session: SessionDep,
    principal: PublicDep,
    indicator: Annotated[
        str,
        Query(
            max_length=50,
            pattern=f"{INDICATOR_CODE_PATTERN}|^index$",
            description="An indicator code (e.g. `SDG_16_1_1`) or `index` for the "
            "human-security index.",
            examples=["SDG_16_1_1", "index"],
        ),
    ],
    period: Annotated[
        str,
        Query(
            max_length=10,
            pattern=PERIOD_PATTERN,
            description=PERIOD_DESCRIPTION,
            examples=["2026", "2026-10"],
        ),
    ],
    dimension: Annotated[
        Dimension | None,
        Query(description="With `indicator=index`: compare this dimension's score."),
    ] = None,
) -> Benchmark:
    """Compare member cities on one indicator or on the human-security index for a period.

    Uses the public city-level aggregates this deployment holds: its own cities' and those
    synced from peer deployments, with each city's region, population and role from the
    registry. Cities are ranked by the indicator's direction (1 = best; equal values share
    a rank); a value withheld by small-cell suppression at its origin is shown as
    suppressed and not ranked, never as a number. `coverage` says how many member cities
    were compared, which have no data for the period, each city's index coverage, and,
    when no city has data for the period, the periods that have some. A ranking is one
    whole, so it is not paginated: it has one row per member city at most.
    """
    return await service.benchmark(
        session=session, indicator=indicator, period_text=period, dimension=dimension
    )
