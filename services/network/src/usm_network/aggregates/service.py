"""Public indicator aggregates: kept from indicators' events, shared by sync, compared."""

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from usm_network.aggregates.repository import AggregateRepository, ComparedRow
from usm_network.aggregates.schemas import (
    INDEX_CODE,
    AggregatesPublished,
    Benchmark,
    BenchmarkCoverage,
    BenchmarkEntry,
    BenchmarkIndicator,
    Direction,
    aggregate_id,
)
from usm_network.knowledge.schemas import Dimension
from usm_network.models import IndicatorAggregate
from usm_network.sync.feed import record_aggregate, record_aggregate_withdrawn
from usm_network.sync.repository import FeedRepository
from usmkit.auth import Principal, require_city
from usmkit.concurrency import require_if_match
from usmkit.periods import Period, PeriodError, parse_period
from usmkit.problems import Conflict, FieldError, NotFound, UnprocessableContent

logger = logging.getLogger(__name__)

RECORD_TYPE = "indicator_aggregate"
INDEX_UNIT = "score 0-100"
OTHER_PERIODS_SHOWN = 12


async def keep_published(
    *, session: AsyncSession, data: dict[str, Any]
) -> IndicatorAggregate | None:
    """Keep a city's published aggregate if it is newer (by `computed_at`) than the one held,
    and put it on the change feed; None when nothing changed."""
    published = AggregatesPublished.model_validate(data)
    repository = AggregateRepository(session)
    held = await repository.get(published.city, published.period, for_update=True)
    if held is not None and held.origin_node is not None:
        # The origin owns a record: a copy from another deployment is never overwritten.
        logger.warning(
            "aggregates of %s for %s are owned by %s; the local ones are not kept",
            published.city,
            published.period,
            held.origin_node,
        )
        return None
    if held is not None and held.computed_at >= published.computed_at:
        return None
    record_id = aggregate_id(published.city, published.period)
    # After a withdrawal the row is gone but the feed keeps the tombstone's version.
    latest = await FeedRepository(session).latest(RECORD_TYPE, str(record_id))
    version = (latest.version if latest is not None else 0) + 1
    values = published.model_dump(mode="json", include={"indicators", "index"})
    if held is None:
        held = await repository.add(
            IndicatorAggregate(
                id=record_id,
                city=published.city,
                period=published.period,
                computed_at=published.computed_at,
                origin_node=None,
                version=version,
                **values,
            )
        )
    else:
        held.computed_at = published.computed_at
        held.indicators = values["indicators"]
        held.index = values["index"]
        held.version = version
        held = await repository.save(held)
    await record_aggregate(session, held)
    return held


def parse_period_query(text: str, where: str = "query") -> Period:
    """The period of a request parameter, or 422."""
    try:
        return parse_period(text)
    except PeriodError as error:
        raise UnprocessableContent(
            "The period is not valid.",
            errors=[FieldError(loc=[where, "period"], msg=str(error), type="bad_period")],
        ) from error


async def get_aggregate(
    *, session: AsyncSession, city: str, period: str, for_update: bool = False
) -> IndicatorAggregate:
    """A city's aggregate for a period, or 404."""
    aggregate = await AggregateRepository(session).get(city, period, for_update=for_update)
    if aggregate is None:
        raise NotFound(f"No aggregates of {city!r} for {period}.")
    return aggregate


async def withdraw(
    *,
    session: AsyncSession,
    principal: Principal,
    city: str,
    period: str,
    if_match: str | None,
) -> None:
    """Stop sharing a city's aggregate for a period: peers delete their copies."""
    require_city(principal, city)
    aggregate = await get_aggregate(session=session, city=city, period=period, for_update=True)
    if aggregate.origin_node is not None:
        raise Conflict(
            f"These aggregates came from {aggregate.origin_node}; only their origin can "
            "withdraw them."
        )
    require_if_match(if_match, aggregate.version, "aggregate")
    await record_aggregate_withdrawn(session, aggregate)
    await AggregateRepository(session).delete(aggregate)


def _value(row: ComparedRow, indicator: str, dimension: Dimension | None) -> float | None:
    if indicator != INDEX_CODE:
        value = (row.entry or {}).get("value")
        return None if (row.entry or {}).get("suppressed") else value
    index = row.aggregate.index or {}
    score = index.get("by_dimension", {}).get(dimension) if dimension else index.get("overall")
    return float(score) if score is not None else None


def _ranks(values: list[float | None], direction: Direction) -> list[int | None]:
    """Competition ranks (1, 2, 2, 4) by direction; None for missing values."""
    present = sorted(
        (value for value in values if value is not None),
        reverse=direction == "higher_is_better",
    )
    first_rank: dict[float, int] = {}
    for position, value in enumerate(present, start=1):
        first_rank.setdefault(value, position)
    return [None if value is None else first_rank[value] for value in values]


async def benchmark(
    *,
    session: AsyncSession,
    indicator: str,
    period_text: str,
    dimension: Dimension | None,
) -> Benchmark:
    """Compare member cities (local and synced) on one indicator or the index for a period."""
    if dimension is not None and indicator != INDEX_CODE:
        raise UnprocessableContent(
            "`dimension` selects a dimension of the index; use it with `indicator=index`.",
            errors=[
                FieldError(
                    loc=["query", "dimension"], msg="Only with indicator=index.", type="bad_combo"
                )
            ],
        )
    period = parse_period_query(period_text)
    code = None if indicator == INDEX_CODE else indicator
    repository = AggregateRepository(session)
    rows = list(await repository.compare(str(period), code))
    if code is not None:
        # Cities that do not publish the indicator for the period are not compared.
        rows = [row for row in rows if row.entry is not None]
        reference = rows[0].entry if rows else None
        if reference is None and not await repository.periods_with(code, limit=1):
            raise NotFound(f"No member city publishes the indicator {code!r}.")
        described = BenchmarkIndicator(
            code=code,
            dimension=reference["dimension"] if reference else None,
            unit=reference["unit"] if reference else "",
            direction=reference["direction"] if reference else "higher_is_better",
        )
    else:
        rows = [row for row in rows if row.aggregate.index is not None]
        described = BenchmarkIndicator(
            code=INDEX_CODE, dimension=dimension, unit=INDEX_UNIT, direction="higher_is_better"
        )
    values = [_value(row, indicator, dimension) for row in rows]
    ranks = _ranks(values, described.direction)
    entries = [
        BenchmarkEntry(
            rank=rank,
            city=row.aggregate.city,
            name=row.city.name if row.city else None,
            country_code=row.city.country_code if row.city else None,
            region=row.city.region if row.city else None,
            population=row.city.population if row.city else None,
            role=row.city.role if row.city else None,
            origin_node=row.aggregate.origin_node,
            value=value,
            suppressed=bool(code and (row.entry or {}).get("suppressed")),
            computed_at=row.aggregate.computed_at,
            index_coverage=(row.aggregate.index or {}).get("coverage"),
        )
        for row, value, rank in zip(rows, values, ranks, strict=True)
    ]
    entries.sort(key=lambda entry: (entry.rank is None, entry.rank or 0, entry.city))
    members = list(await repository.member_slugs(period.start, period.end))
    return Benchmark(
        indicator=described,
        period=str(period),
        cities=entries,
        coverage=await _coverage(repository, entries, members, code),
    )


async def _coverage(
    repository: AggregateRepository,
    entries: list[BenchmarkEntry],
    members: list[str],
    code: str | None,
) -> BenchmarkCoverage:
    ranked = sum(entry.rank is not None for entry in entries)
    suppressed = sum(entry.suppressed for entry in entries)
    with_value = {entry.city for entry in entries if entry.value is not None}
    without_data = [slug for slug in members if slug not in with_value]
    other_periods = (
        [] if entries else list(await repository.periods_with(code, limit=OTHER_PERIODS_SHOWN))
    )
    note = f"{ranked} of {len(members)} member cities ranked"
    if suppressed:
        note += f"; {suppressed} withheld by small-cell suppression"
    if without_data:
        note += f"; no data: {', '.join(without_data)}"
    if other_periods:
        note += f"; periods with data: {', '.join(other_periods)}"
    return BenchmarkCoverage(
        member_cities=len(members),
        published=len(entries),
        ranked=ranked,
        suppressed=suppressed,
        without_data=without_data,
        other_periods=other_periods,
        note=note + ".",
    )
