import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.alerts.evaluation import Finding, ValueAt, evaluate
from usm_indicators.alerts.repository import AlertRepository, AlertRuleRepository
from usm_indicators.alerts.schemas import AlertRead, AlertRuleCreate, AlertRuleRead
from usm_indicators.catalogue.repository import CatalogueRepository
from usm_indicators.computed.service import StoredView
from usm_indicators.geography.repository import DistrictRepository
from usm_indicators.models import Alert, AlertRule, city_directory
from usm_indicators.models.data_value import WHOLE_CITY
from usmkit.auth import Principal
from usmkit.concurrency import check_if_match, etag_for, require_if_match
from usmkit.events.outbox import Outbox
from usmkit.periods import Period
from usmkit.problems import Conflict, FieldError, NotFound, UnprocessableContent


async def _check_rule(session: AsyncSession, city: str, rule_in: AlertRuleCreate) -> None:
    if not await city_directory.exists(session, city):
        raise NotFound(f"No city {city!r}.")
    problems = []
    if await CatalogueRepository(session).get_for_city(city, rule_in.indicator_code) is None:
        problems.append(
            FieldError(
                loc=["body", "indicator_code"],
                msg=f"the city has no indicator {rule_in.indicator_code!r}",
                type="unknown_indicator",
            )
        )
    if (
        rule_in.district_code is not None
        and await DistrictRepository(session).get(city, rule_in.district_code) is None
    ):
        problems.append(
            FieldError(
                loc=["body", "district_code"],
                msg=f"the city has no district {rule_in.district_code!r}",
                type="unknown_district",
            )
        )
    if problems:
        raise UnprocessableContent("The alert rule is not valid.", errors=problems)


async def create_rule(
    *, session: AsyncSession, city: str, rule_in: AlertRuleCreate
) -> AlertRuleRead:
    """A new rule; it is evaluated at the next recompute of the city's values."""
    await _check_rule(session, city, rule_in)
    rule = AlertRule(
        id=uuid.uuid4(), city=city, version=1, **rule_in.model_dump(), updated_at=_now()
    )
    AlertRuleRepository(session).add(rule)
    await session.flush()
    await session.refresh(rule)
    return AlertRuleRead.model_validate(rule)


async def get_rule(*, session: AsyncSession, city: str, rule_id: uuid.UUID) -> AlertRule:
    rule = await AlertRuleRepository(session).get(city, rule_id)
    if rule is None:
        raise NotFound(f"No alert rule {rule_id} in {city}.")
    return rule


async def replace_rule(
    *,
    session: AsyncSession,
    city: str,
    rule_id: uuid.UUID,
    rule_in: AlertRuleCreate,
    if_match: str | None,
) -> AlertRuleRead:
    """Replace a rule under `If-Match`; alerts it already raised stay as they are."""
    rule = await AlertRuleRepository(session).get(city, rule_id, lock=True)
    if rule is None:
        raise NotFound(f"No alert rule {rule_id} in {city}.")
    require_if_match(if_match, rule.version, "alert rule")
    await _check_rule(session, city, rule_in)
    for name, value in rule_in.model_dump().items():
        setattr(rule, name, value)
    rule.version += 1
    rule.updated_at = _now()
    await session.flush()
    return AlertRuleRead.model_validate(rule)


async def delete_rule(
    *, session: AsyncSession, city: str, rule_id: uuid.UUID, if_match: str | None
) -> None:
    """Delete a rule; the alerts it raised are kept as the record of what happened."""
    repository = AlertRuleRepository(session)
    rule = await repository.get(city, rule_id, lock=True)
    if rule is None:
        raise NotFound(f"No alert rule {rule_id} in {city}.")
    check_if_match(if_match, etag_for(rule.version), "alert rule")
    await repository.delete(rule)


def _now() -> datetime:
    return datetime.now(UTC)


def to_read(alert: Alert) -> AlertRead:
    read = AlertRead.model_validate(alert, from_attributes=True)
    return read.model_copy(update={"district_code": alert.district_code or None})


async def get_alert(*, session: AsyncSession, city: str, alert_id: uuid.UUID) -> Alert:
    alert = await AlertRepository(session).get(city, alert_id)
    if alert is None:
        raise NotFound(f"No alert {alert_id} in {city}.")
    return alert


# Where each status may go: acknowledging says someone looks at it; closing ends it.
_MOVES = {"acknowledged": {"open"}, "closed": {"open", "acknowledged"}}


async def move_alert(
    *,
    session: AsyncSession,
    principal: Principal,
    city: str,
    alert_id: uuid.UUID,
    to_status: str,
    if_match: str | None,
) -> AlertRead:
    """Acknowledge or close an alert; 409 when it is already past that."""
    alert = await AlertRepository(session).get(city, alert_id, lock=True)
    if alert is None:
        raise NotFound(f"No alert {alert_id} in {city}.")
    check_if_match(if_match, etag_for(alert.version), "alert")
    if alert.status not in _MOVES[to_status]:
        raise Conflict(f"The alert is {alert.status}; it cannot become {to_status}.")
    alert.status = to_status
    if to_status == "acknowledged":
        alert.acknowledged_at, alert.acknowledged_by = _now(), principal.subject
    else:
        alert.closed_at, alert.closed_by = _now(), principal.subject
    alert.version += 1
    await session.flush()
    return to_read(alert)


def _message(code: str, finding: Finding, district_code: str | None, period: Period) -> str:
    where = district_code or "whole city"
    return f"{code} is {float(finding.value):.4g}, {finding.reason} ({where}, {period})."


def _public_series(view: StoredView, code: str, district_code: str | None) -> ValueAt:
    return lambda period: view.cell(code, district_code, period).value


def _decimal(number: Fraction) -> Decimal:
    return Decimal(str(float(number)))


async def evaluate_rules(
    *,
    session: AsyncSession,
    outbox: Outbox,
    view: StoredView,
    rules: Sequence[AlertRule],
    periods: Sequence[Period],
) -> int:
    """Raise the alerts these rules find in these periods; each rule fires at most once per
    district and period, so evaluating again raises nothing new. Rules of indicators the
    city does not use (any more) are skipped. Returns the number of alerts raised."""
    alerts = AlertRepository(session)
    raised = 0
    for rule in rules:
        if rule.indicator_code not in view.indicators:
            continue
        indicator = view.indicators[rule.indicator_code]
        areas = [rule.district_code] if rule.district_code else [None, *view.districts]
        for district_code in areas:
            value_at = _public_series(view, rule.indicator_code, district_code)
            for period in periods:
                finding = evaluate(rule, period, value_at)
                if finding is None:
                    continue
                alert = await alerts.raise_once(
                    {
                        "id": uuid.uuid4(),
                        "rule_id": rule.id,
                        "city": view.city,
                        "indicator_code": rule.indicator_code,
                        "dimension": indicator.dimension,
                        "rule_kind": rule.kind,
                        "severity": rule.severity,
                        "district_code": district_code or WHOLE_CITY,
                        "period": str(period),
                        "value": _decimal(finding.value),
                        "reference": None
                        if finding.reference is None
                        else _decimal(finding.reference),
                        "message": _message(rule.indicator_code, finding, district_code, period),
                        "status": "open",
                        "raised_at": _now(),
                        "version": 1,
                    }
                )
                if alert is None:
                    continue
                raised += 1
                await outbox.record(
                    session,
                    "alert.raised",
                    subject=str(alert.id),
                    city=view.city,
                    data={
                        "alert_id": str(alert.id),
                        "rule_id": str(rule.id),
                        "city": view.city,
                        "rule_kind": rule.kind,
                        "severity": rule.severity,
                        "indicator_code": rule.indicator_code,
                        "dimension": indicator.dimension,
                        "district_code": district_code,
                        "period": str(period),
                        "value": float(finding.value),
                        "reference": None
                        if finding.reference is None
                        else float(finding.reference),
                        "message": alert.message,
                        "raised_at": alert.raised_at.isoformat().replace("+00:00", "Z"),
                    },
                )
    return raised
