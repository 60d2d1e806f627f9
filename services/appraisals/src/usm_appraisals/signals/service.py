"""Signals: each `alert.raised` becomes one signal per active Working Group of its area."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from usm_appraisals.appraisals.repository import AppraisalRepository
from usm_appraisals.indicators.repository import IndicatorRepository
from usm_appraisals.models import Signal
from usm_appraisals.plans.repository import PlanItemRepository, PlanRepository
from usm_appraisals.signals.repository import SignalRepository
from usm_appraisals.signals.schemas import SignalAcknowledge, SignalLink
from usmkit.auth import Principal, require_city
from usmkit.concurrency import require_if_match
from usmkit.events.cloudevents import CloudEvent
from usmkit.problems import Conflict, FieldError, NotFound, UnprocessableContent

ALERT_FIELDS = (
    "rule_kind",
    "severity",
    "indicator_code",
    "dimension",
    "district_code",
    "period",
    "value",
    "reference",
    "message",
)


async def on_alert_raised(session: AsyncSession, event: CloudEvent) -> None:
    """A district alert reaches the groups whose area holds the district; a city-wide alert
    (`district_code` null) every active group of the city. Groups that start later, or add
    the district later, do not get earlier alerts: a signal is news, not a backlog."""
    data: dict[str, Any] = event.data
    await IndicatorRepository(session).learn(data["city"], {data["indicator_code"]})
    repository = SignalRepository(session)
    groups = await repository.groups_covering(data["city"], data["district_code"])
    alert = {field: data[field] for field in ALERT_FIELDS}
    await repository.add_once(
        [
            {
                **alert,
                "id": uuid.uuid4(),
                "city": data["city"],
                "working_group_id": group_id,
                "alert_id": uuid.UUID(data["alert_id"]),
                "rule_id": uuid.UUID(data["rule_id"]),
                "raised_at": datetime.fromisoformat(data["raised_at"]),
                "status": "new",
                "version": 1,
            }
            for group_id in groups
        ]
    )


async def get_signal(
    *, session: AsyncSession, city: str, signal_id: uuid.UUID, for_update: bool = False
) -> Signal:
    signal = await SignalRepository(session).get(city, signal_id, for_update=for_update)
    if signal is None:
        raise NotFound(f"No signal {signal_id} in {city!r}.")
    return signal


def _mark_seen(signal: Signal, principal: Principal, note: str | None) -> None:
    if signal.acknowledged_at is None:
        signal.acknowledged_by = principal.subject
        signal.acknowledged_at = datetime.now(UTC)
    if note is not None:
        signal.note = note
    signal.version += 1


async def acknowledge_signal(
    *,
    session: AsyncSession,
    principal: Principal,
    city: str,
    signal_id: uuid.UUID,
    acknowledge_in: SignalAcknowledge,
    if_match: str | None,
) -> Signal:
    """new → acknowledged, under `If-Match`."""
    require_city(principal, city)
    signal = await get_signal(session=session, city=city, signal_id=signal_id, for_update=True)
    if signal.status != "new":
        raise Conflict(f"The signal is already {signal.status}.")
    require_if_match(if_match, signal.version, "signal")
    signal.status = "acknowledged"
    _mark_seen(signal, principal, acknowledge_in.note)
    return await SignalRepository(session).save(signal)


def _unknown(field: str, message: str) -> UnprocessableContent:
    return UnprocessableContent(
        message, errors=[FieldError(loc=["body", field], msg=message, type="unknown")]
    )


async def link_signal(
    *,
    session: AsyncSession,
    principal: Principal,
    city: str,
    signal_id: uuid.UUID,
    link_in: SignalLink,
    if_match: str | None,
) -> Signal:
    """Link the signal to an insecurity of the group's appraisal or an action of its plan."""
    require_city(principal, city)
    signal = await get_signal(session=session, city=city, signal_id=signal_id, for_update=True)
    if signal.status == "linked":
        raise Conflict("The signal is already linked; it keeps its first link.")
    require_if_match(if_match, signal.version, "signal")
    if link_in.appraisal_id is not None and link_in.insecurity is not None:
        appraisal = await AppraisalRepository(session).get(city, link_in.appraisal_id)
        if appraisal is None or appraisal.working_group_id != signal.working_group_id:
            raise _unknown("appraisal_id", "No such appraisal of the signal's Working Group.")
        if link_in.insecurity >= len(appraisal.insecurities):
            raise _unknown("insecurity", "The appraisal has no insecurity at that index.")
        signal.linked_appraisal_id = appraisal.id
        signal.linked_insecurity = link_in.insecurity
    elif link_in.plan_id is not None and link_in.item_id is not None:
        plan = await PlanRepository(session).get(city, link_in.plan_id)
        if plan is None or plan.working_group_id != signal.working_group_id:
            raise _unknown("plan_id", "No such plan of the signal's Working Group.")
        item = await PlanItemRepository(session).get(plan.id, link_in.item_id)
        if item is None or item.kind != "action":
            raise _unknown("item_id", "No such action in the plan.")
        signal.linked_item_id = item.id
    signal.status = "linked"
    _mark_seen(signal, principal, link_in.note)
    return await SignalRepository(session).save(signal)
