"""Recomputing a city's indicators for some periods: alerts, then public aggregates.

Indicator values are computed when read (nothing stale to refresh); what a recompute
produces is what depends on values changing: the alerts the rules find and one
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
from usm_indicators.computed.service import CityView, load_city_view
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


def aggregates(view: CityView, period: Period) -> dict[str, Any]:
    """The city's public values for the period (suppression applied) and its index."""
    cells: list[dict[str, Any]] = []
    for district_code in [None, *view.cube.districts]:
        for code, indicator in sorted(view.indicators.items()):
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
    if len(cells) > MAX_PUBLISHED_CELLS:
        cells = [cell for cell in cells if cell["district_code"] is None]
    area = view.area(None, period)
    scores = {
        each.dimension: None if each.score is None else float(each.score)
        for each in area.dimensions
    }
    return {
        "city": view.city,
        "period": str(period),
        "computed_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "indicators": cells,
        "index": {
            "overall": None if area.score is None else float(area.score),
            "coverage": float(area.coverage),
            "by_dimension": {dimension: scores[dimension] for dimension in DIMENSIONS},
        },
    }


async def recompute(
    *, session: AsyncSession, outbox: Outbox, city: str, periods: list[Period]
) -> Recomputed:
    """Evaluate the city's alert rules on these periods and publish their aggregates: one
    `aggregates.published` per period, whatever the number of values that changed."""
    rules = await AlertRuleRepository(session).active_in_city(city)
    looked_at = {
        earlier
        for rule in rules
        for period in periods
        for earlier in periods_looked_at(rule, period)
    }
    # Public values only: alerts and aggregates never show a withheld cell.
    view = await load_city_view(session, city, looked_at | set(periods), sees_raw=False)
    raised = await evaluate_rules(
        session=session, outbox=outbox, view=view, rules=rules, periods=periods
    )
    for period in periods:
        await outbox.record(
            session,
            "aggregates.published",
            subject=f"{city}/{period}",
            city=city,
            data=aggregates(view, period),
        )
    return Recomputed(periods=[str(period) for period in periods], alerts_raised=raised)


async def recompute_all(*, session: AsyncSession, outbox: Outbox, city: str) -> Recomputed:
    """Recompute every period the city has data for, and the periods containing them."""
    stored = await DataValueRepository(session).periods_in_city(city)
    return await recompute(
        session=session, outbox=outbox, city=city, periods=with_enclosing(stored)
    )
