import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from usm_appraisals.appraisals.repository import AppraisalRepository
from usm_appraisals.appraisals.schemas import (
    AppraisalCreate,
    AppraisalUpdate,
    CorrectionCreate,
    Priority,
    TransitionCreate,
)
from usm_appraisals.indicators.service import check_known_indicators
from usm_appraisals.models import Appraisal, AppraisalTransition, WorkingGroup
from usm_appraisals.templates.service import shape_by_template
from usm_appraisals.working_groups.repository import WorkingGroupRepository
from usmkit import periods
from usmkit.auth import Principal, require_city
from usmkit.concurrency import require_if_match
from usmkit.events.outbox import Outbox
from usmkit.problems import Conflict, FieldError, NotFound, UnprocessableContent

CONTENT_FIELDS = ("insecurities", "root_causes", "capacities", "priorities")

# (from, to) pairs allowed; every other move is refused (409) with `transition_refusal`.
ALLOWED_TRANSITIONS = {("draft", "in_review"), ("in_review", "draft"), ("in_review", "finalized")}


def transition_refusal(current: str, target: str) -> str | None:
    """Why `current` → `target` is not allowed, or None when it is."""
    if (current, target) in ALLOWED_TRANSITIONS:
        return None
    if current == "finalized":
        return "A finalized appraisal is immutable; create a correction to change it."
    if current == target:
        return f"The appraisal is already {current}."
    if (current, target) == ("draft", "finalized"):
        return "A draft cannot be finalized directly; move it to in_review first."
    return f"An appraisal cannot move from {current} to {target}."


async def _group_for(
    session: AsyncSession, city: str, group_id: uuid.UUID, loc: list[str | int]
) -> WorkingGroup:
    group = await WorkingGroupRepository(session).get(city, group_id)
    if group is None:
        raise UnprocessableContent(
            f"No Working Group {group_id} in {city!r}.",
            errors=[FieldError(loc=loc, msg="Unknown Working Group.", type="unknown_group")],
        )
    return group


def _check_area(group: WorkingGroup, districts: list[str]) -> None:
    """The appraised districts must lie in the group's area."""
    outside = [
        FieldError(
            loc=["body", "districts", index],
            msg=f"{code} is not in the Working Group's area.",
            type="unknown_district",
        )
        for index, code in enumerate(districts)
        if code not in group.districts
    ]
    if outside:
        raise UnprocessableContent("Districts outside the group's area.", errors=outside)
    if len(set(districts)) != len(districts):
        raise UnprocessableContent(
            "A district is listed twice.",
            errors=[FieldError(loc=["body", "districts"], msg="Duplicate.", type="duplicate")],
        )


def _check_period(period: str) -> None:
    try:
        periods.parse_period(period)
    except ValueError as exc:
        raise UnprocessableContent(
            f"{period!r} is not an ISO 8601 period.",
            errors=[FieldError(loc=["body", "period"], msg=str(exc), type="period")],
        ) from exc


def _evidence_codes(insecurities: list[dict[str, Any]]) -> list[tuple[str, list[str | int]]]:
    """Each indicator code cited as evidence, with where it is in the body."""
    return [
        (code, ["body", "insecurities", index, "evidence", "indicator_codes", position])
        for index, insecurity in enumerate(insecurities)
        for position, code in enumerate(insecurity["evidence"]["indicator_codes"])
    ]


async def create_appraisal(
    *, session: AsyncSession, principal: Principal, city: str, appraisal_in: AppraisalCreate
) -> Appraisal:
    """Start a draft appraisal for an active group, of districts in its area."""
    require_city(principal, city)
    group = await _group_for(
        session, city, appraisal_in.working_group_id, ["body", "working_group_id"]
    )
    if group.status != "active":
        raise Conflict(f"The Working Group {group.id} is inactive; it cannot start appraisals.")
    _check_area(group, appraisal_in.districts)
    _check_period(appraisal_in.period)
    appraisal_id = uuid.uuid4()
    content = appraisal_in.model_dump(mode="json", include=set(CONTENT_FIELDS))
    if appraisal_in.template_id is not None:
        content["insecurities"] = await shape_by_template(
            session, city, appraisal_in.template_id, content["insecurities"], new=True
        )
    await check_known_indicators(session, city, _evidence_codes(content["insecurities"]))
    appraisal = Appraisal(
        id=appraisal_id,
        city=city,
        working_group_id=group.id,
        title=appraisal_in.title,
        districts=appraisal_in.districts,
        period=appraisal_in.period,
        status="draft",
        series_id=appraisal_id,
        sequence=1,
        template_id=appraisal_in.template_id,
        created_by=principal.subject,
        version=1,
        **content,
    )
    return await AppraisalRepository(session).add(appraisal)


async def get_appraisal(
    *, session: AsyncSession, city: str, appraisal_id: uuid.UUID, for_update: bool = False
) -> Appraisal:
    appraisal = await AppraisalRepository(session).get(city, appraisal_id, for_update=for_update)
    if appraisal is None:
        raise NotFound(f"No appraisal {appraisal_id} in {city!r}.")
    return appraisal


async def update_appraisal(
    *,
    session: AsyncSession,
    principal: Principal,
    city: str,
    appraisal_id: uuid.UUID,
    appraisal_in: AppraisalUpdate,
    if_match: str | None,
) -> Appraisal:
    """Replace fields of a draft under `If-Match`; anything past draft is refused (409)."""
    require_city(principal, city)
    appraisal = await get_appraisal(
        session=session, city=city, appraisal_id=appraisal_id, for_update=True
    )
    # The state is checked before the ETag: a finalized record is immutable whatever the tag.
    if appraisal.status == "finalized":
        raise Conflict(
            "A finalized appraisal is immutable; create a correction (POST .../corrections)."
        )
    if appraisal.status != "draft":
        raise Conflict("The appraisal is in review; move it back to draft to edit it.")
    require_if_match(if_match, appraisal.version, "appraisal")
    changes = appraisal_in.model_dump(mode="json", exclude_unset=True)
    # exclude_unset reaches into the findings too; they are stored whole, defaults included.
    for field in CONTENT_FIELDS:
        if changes.get(field) is not None:
            changes[field] = [
                finding.model_dump(mode="json") for finding in getattr(appraisal_in, field)
            ]
    for field, value in changes.items():
        if value is None:
            raise UnprocessableContent(
                f"{field} cannot be null.",
                errors=[FieldError(loc=["body", field], msg="May not be null.", type="null")],
            )
    if "districts" in changes:
        group = await _group_for(session, city, appraisal.working_group_id, ["body"])
        _check_area(group, changes["districts"])
    if "period" in changes:
        _check_period(changes["period"])
    if "insecurities" in changes and appraisal.template_id is not None:
        changes["insecurities"] = await shape_by_template(
            session, city, appraisal.template_id, changes["insecurities"], new=False
        )
    if "insecurities" in changes:
        await check_known_indicators(session, city, _evidence_codes(changes["insecurities"]))
    for field, value in changes.items():
        setattr(appraisal, field, value)
    appraisal.version += 1
    return await AppraisalRepository(session).save(appraisal)


async def transition_appraisal(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    city: str,
    appraisal_id: uuid.UUID,
    transition_in: TransitionCreate,
    if_match: str | None,
) -> Appraisal:
    """Move the appraisal through its lifecycle; finalizing records `appraisal.finalized`."""
    require_city(principal, city)
    appraisal = await get_appraisal(
        session=session, city=city, appraisal_id=appraisal_id, for_update=True
    )
    refusal = transition_refusal(appraisal.status, transition_in.to)
    if refusal is not None:
        raise Conflict(refusal)
    require_if_match(if_match, appraisal.version, "appraisal")
    if transition_in.to == "finalized" and not (appraisal.priorities and appraisal.insecurities):
        raise Conflict("An appraisal is finalized with at least one insecurity and one priority.")
    repository = AppraisalRepository(session)
    await repository.add_transition(
        AppraisalTransition(
            appraisal_id=appraisal.id,
            from_status=appraisal.status,
            to_status=transition_in.to,
            note=transition_in.note,
            actor=principal.subject,
        )
    )
    appraisal.status = transition_in.to
    appraisal.version += 1
    if transition_in.to == "finalized":
        appraisal.finalized_at = datetime.now(UTC)
    appraisal = await repository.save(appraisal)
    if appraisal.status == "finalized":
        await outbox.record(
            session,
            "appraisal.finalized",
            subject=str(appraisal.id),
            city=appraisal.city,
            data=finalized_event_data(appraisal),
        )
    return appraisal


def priorities_by_dimension(priorities: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The group's priorities grouped by dimension, each list in rank order."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for raw in sorted(priorities, key=lambda item: int(item["rank"])):
        priority = Priority.model_validate(raw)
        entry: dict[str, Any] = {"rank": priority.rank, "title": priority.title}
        if priority.votes is not None:
            entry["votes"] = priority.votes
        if priority.score is not None:
            entry["score"] = priority.score
        grouped[priority.dimension].append(entry)
    return dict(sorted(grouped.items()))


def finalized_event_data(appraisal: Appraisal) -> dict[str, Any]:
    """What other services learn: where, when, which version, and the ranked priorities.

    Never member data or the findings' free text: only what the group chose to rank.
    """
    assert appraisal.finalized_at is not None
    return {
        "appraisal_id": str(appraisal.id),
        "city": appraisal.city,
        "working_group_id": str(appraisal.working_group_id),
        "districts": list(appraisal.districts),
        "period": appraisal.period,
        "series_id": str(appraisal.series_id),
        "sequence": appraisal.sequence,
        "corrects_id": str(appraisal.corrects_id) if appraisal.corrects_id else None,
        "finalized_at": appraisal.finalized_at.isoformat(),
        "priorities_by_dimension": priorities_by_dimension(appraisal.priorities),
    }


async def correct_appraisal(
    *,
    session: AsyncSession,
    principal: Principal,
    city: str,
    appraisal_id: uuid.UUID,
    correction_in: CorrectionCreate,
) -> Appraisal:
    """Open a correction: a new draft version copying the latest finalized one."""
    require_city(principal, city)
    previous = await get_appraisal(
        session=session, city=city, appraisal_id=appraisal_id, for_update=True
    )
    if previous.status != "finalized":
        raise Conflict(
            f"Only a finalized appraisal is corrected; this one is {previous.status} "
            "and can still be edited."
        )
    repository = AppraisalRepository(session)
    latest = await repository.latest_sequence(previous.series_id)
    if latest != previous.sequence:
        raise Conflict(
            f"This is version {previous.sequence} of {latest}; correct the latest version."
        )
    correction = Appraisal(
        city=previous.city,
        working_group_id=previous.working_group_id,
        title=previous.title,
        districts=list(previous.districts),
        period=previous.period,
        status="draft",
        series_id=previous.series_id,
        sequence=previous.sequence + 1,
        corrects_id=previous.id,
        correction_reason=correction_in.reason,
        template_id=previous.template_id,
        created_by=principal.subject,
        version=1,
        **{field: list(getattr(previous, field)) for field in CONTENT_FIELDS},
    )
    return await repository.add(correction)
