import uuid
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.computed.service import CityView, load_city_view
from usm_indicators.models import IndicatorTarget
from usm_indicators.models.data_value import WHOLE_CITY
from usm_indicators.recompute.service import with_enclosing
from usm_indicators.targets.repository import TargetRepository
from usm_indicators.targets.schemas import CurrentValue, TargetRead
from usm_indicators.values.repository import DataValueRepository
from usmkit.periods import Period


async def record_plan(*, session: AsyncSession, plan: dict[str, Any]) -> None:
    """Keep the targets of a plan that became active, replacing those of the version it
    revises; a version older than one already kept (a late redelivery) changes nothing."""
    repository = TargetRepository(session)
    series_id = uuid.UUID(plan["series_id"]) if plan.get("series_id") else None
    revision = plan.get("revision")
    if series_id is not None and revision is not None:
        newest = await repository.newest_revision(series_id)
        if newest is not None and newest > revision:
            return
    rows = {}
    for target in plan["indicator_targets"]:
        for district_code in target["districts"] or [WHOLE_CITY]:
            key = (target["action_id"], target["indicator_code"], district_code)
            rows[key] = {
                "plan_id": uuid.UUID(plan["plan_id"]),
                "action_id": uuid.UUID(target["action_id"]),
                "indicator_code": target["indicator_code"],
                "district_code": district_code,
                "city": plan["city"],
                "plan_title": plan["title"],
                "series_id": series_id,
                "revision": revision,
                "baseline": target["baseline"],
                "target": target["target"],
                "unit": target["unit"],
                "target_date": date.fromisoformat(target["target_date"])
                if target["target_date"]
                else None,
                "activated_at": datetime.fromisoformat(plan["activated_at"]),
            }
    await repository.replace_plan(
        plan_id=uuid.UUID(plan["plan_id"]),
        superseded=[uuid.UUID(plan["revises_id"])] if plan.get("revises_id") else [],
        series_id=series_id,
        rows=list(rows.values()),
    )


def _latest(
    view: CityView, code: str, district_code: str | None, periods: list[Period]
) -> CurrentValue | None:
    """The public value of the most recent period with one (the finest period when several
    end together)."""
    for period in periods:
        value = view.cell(code, district_code, period).value
        if value is not None:
            return CurrentValue(period=str(period), value=float(value))
    return None


def _progress(baseline: Fraction, target: Fraction, current: float) -> float | None:
    if target == baseline:
        return None
    return float((Fraction(current) - baseline) / (target - baseline) * 100)


async def with_progress(
    *, session: AsyncSession, city: str, targets: list[IndicatorTarget]
) -> list[TargetRead]:
    """The targets with the indicator's latest public value and the progress toward them."""
    stored = await DataValueRepository(session).periods_in_city(city)
    # Newest end first; for equal ends the finer period (the month before its quarter).
    periods = sorted(
        with_enclosing(stored),
        key=lambda period: (-period.end.toordinal(), -period.start.toordinal()),
    )
    view = await load_city_view(session, city, periods, sees_raw=False) if targets else None
    found = []
    for target in targets:
        district_code = target.district_code or None
        current = (
            _latest(view, target.indicator_code, district_code, periods)
            if view is not None and target.indicator_code in view.indicators
            else None
        )
        baseline, goal = Fraction(target.baseline), Fraction(target.target)
        found.append(
            TargetRead(
                indicator_code=target.indicator_code,
                district_code=district_code,
                plan_id=target.plan_id,
                action_id=target.action_id,
                plan_title=target.plan_title,
                baseline=float(baseline),
                target=float(goal),
                unit=target.unit,
                target_date=target.target_date,
                current=current,
                progress=None if current is None else _progress(baseline, goal, current.value),
                achieved=None
                if current is None
                else (
                    Fraction(current.value) <= goal
                    if goal < baseline
                    else Fraction(current.value) >= goal
                ),
            )
        )
    return found
