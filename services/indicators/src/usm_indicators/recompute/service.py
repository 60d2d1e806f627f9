"""Recomputing a city's indicators for some periods: kept values, alerts, public aggregates.

A recompute computes every active indicator for every district, the city and the periods
asked, set-wise in the database, and keeps them with the index (`computed_values`,
`index_scores`); then what depends on values changing: the alerts the rules find and one
`aggregates.published` event per period, for network.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.alerts.evaluation import periods_looked_at
from usm_indicators.alerts.repository import AlertRuleRepository
from usm_indicators.alerts.service import evaluate_rules
from usm_indicators.computation.index import DIMENSIONS
from usm_indicators.computed.service import (
    StoredView,
    city_computation,
    kept_signature,
    store_computed,
)
from usm_indicators.models.data_value import WHOLE_CITY
from usm_indicators.recompute.repository import RecomputeMarkRepository
from usm_indicators.values.repository import DataValueRepository
from usmkit.events.outbox import Outbox
from usmkit.periods import Period, PeriodError, parse_period

# The aggregates.published schema's bound on cells; a city beyond it publishes city values only.
MAX_PUBLISHED_CELLS = 20_000


@dataclass(frozen=True)
class Recomputed:
    periods: list[str]
    alerts_raised: int


def with_enclosing(periods: Iterable[str]) -> list[Period]:
    """These periods and every coarser one containing them (a new month changes its quarter
    and year too), oldest first; texts that are not periods are skipped."""
    found: set[Period] = set()
    for text in periods:
        try:
            period = parse_period(text)
        except PeriodError:
            continue
        found |= {period, *period.ancestors()}
    return sorted(found)


async def aggregates(view: StoredView, period: Period, *, districts: bool) -> dict[str, Any]:
    """The city's public values for the period (suppression applied) and its index, as the
    set-wise computation kept them (loaded in `view`); district cells only when
    `districts`."""
    cells: list[dict[str, Any]] = []
    for district_code in [None, *(view.districts if districts else [])]:
        for code, indicator in view.indicators.items():
            cell = view.cell(code, district_code, period)
            # A district without data is left out; the city-level cell of every active
            # indicator is always sent, so the event names the city's whole catalogue
            # (appraisals checks plans' indicator codes against it).
            if cell.value is None and not cell.suppressed and district_code is not None:
                continue
            cells.append(
                {
                    "indicator_code": code,
                    "dimension": indicator.dimension,
                    "unit": indicator.unit,
                    "direction": indicator.direction,
                    "district_code": district_code,
                    "value": None if cell.value is None else float(cell.value),
                    "suppressed": cell.suppressed,
                }
            )
    city = view.kept(None, period)
    return {
        "city": view.city,
        "period": str(period),
        "computed_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "indicators": cells,
        "index": {
            "overall": None if city is None else city.public_score,
            "coverage": 0.0
            if city is None or not view.indicators
            else city.public_with_data / len(view.indicators),
            "by_dimension": {
                dimension: None if city is None else city.public_dimension_scores[number]
                for number, dimension in enumerate(DIMENSIONS)
            },
        },
    }


async def recompute(
    *,
    session: AsyncSession,
    outbox: Outbox,
    city: str,
    periods: list[Period],
    whole: bool = False,
) -> Recomputed:
    """Compute and keep the city's indicators and index for these periods (set-wise), then
    evaluate the city's alert rules on them and publish their aggregates: one
    `aggregates.published` per period, whatever the number of values that changed.

    With `whole` (then `periods` must be every period with data, as `recompute_all`
    gives), what was kept for any other period goes. When the catalogue changed since the
    last recompute, every period with data is computed again too.

    The periods are marked with what the recompute saw (see `recompute_for_new_values`)."""
    marks = RecomputeMarkRepository(session)
    seen = await marks.current_snapshot()
    prepared = await city_computation(session=session, city=city)
    targets = set(periods)
    if (
        not whole
        and await kept_signature(session=session, city=city) != prepared.computation.signature
    ):
        whole = True
        targets |= set(with_enclosing(await DataValueRepository(session).periods_in_city(city)))
    rules = await AlertRuleRepository(session).active_in_city(city)
    looked_at = {
        earlier
        for rule in rules
        for period in periods
        for earlier in periods_looked_at(rule, period)
    }
    # The periods rules compare with are computed again too: cheap, and never stale.
    view = await store_computed(
        session=session, city=city, prepared=prepared, periods=targets | looked_at, whole=whole
    )
    # Public values only: alerts and aggregates never show a withheld cell.
    published = await view.repository.district_cells_published(
        city, [str(period) for period in periods]
    )
    with_districts = {
        period
        for period in periods
        if len(view.indicators) + published.get(str(period), 0) <= MAX_PUBLISHED_CELLS
    }
    if rules:
        await view.load(looked_at | set(periods))
    else:
        await view.load(with_districts)
        await view.load(set(periods) - with_districts, district_code=WHOLE_CITY)
    raised = await evaluate_rules(
        session=session, outbox=outbox, view=view, rules=rules, periods=periods
    )
    for period in periods:
        await outbox.record(
            session,
            "aggregates.published",
            subject=f"{city}/{period}",
            city=city,
            data=await aggregates(view, period, districts=period in with_districts),
        )
    await marks.mark(city=city, periods=[str(period) for period in periods], snapshot=seen)
    return Recomputed(periods=[str(period) for period in periods], alerts_raised=raised)


async def recompute_for_new_values(
    *,
    session: AsyncSession,
    outbox: Outbox,
    city: str,
    periods: list[str],
    written_in: str | None,
) -> Recomputed:
    """Recompute after values of these periods were written by transaction `written_in`:
    the periods, and those containing them, that no recompute has computed from a snapshot
    including that transaction. Without `written_in` (an event from before it was sent),
    every one of them.

    Values announced while a recompute runs, or queued behind one, are what the next
    recompute sees: a burst of changes to a city costs one recompute per burst, not one per
    change, and what each event asked for is still computed, its alerts evaluated and its
    aggregates published."""
    targets = with_enclosing(periods)
    if written_in is not None:
        covered = await RecomputeMarkRepository(session).covered(
            city=city, periods=[str(period) for period in targets], written_in=written_in
        )
        targets = [period for period in targets if str(period) not in covered]
    if not targets:
        return Recomputed(periods=[], alerts_raised=0)
    return await recompute(session=session, outbox=outbox, city=city, periods=targets)


async def recompute_all(*, session: AsyncSession, outbox: Outbox, city: str) -> Recomputed:
    """Recompute every period the city has data for, and the periods containing them; what
    was kept for periods without data any more goes."""
    stored = await DataValueRepository(session).periods_in_city(city)
    return await recompute(
        session=session, outbox=outbox, city=city, periods=with_enclosing(stored), whole=True
    )
