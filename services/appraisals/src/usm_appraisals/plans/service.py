import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from usm_appraisals.indicators.service import check_known_indicators
from usm_appraisals.models import Plan, PlanItem, ProgressUpdate
from usm_appraisals.plans.exports import PlanDocument, plan_document
from usm_appraisals.plans.repository import PlanItemRepository, PlanRepository
from usm_appraisals.plans.rollup import METHOD, Node, Rolled, roll_up, rounded
from usm_appraisals.plans.schemas import (
    ItemChange,
    PlanChanges,
    PlanCreate,
    PlanItemCreate,
    PlanItemUpdate,
    PlanProgressRead,
    PlanRead,
    PlanRevisionCreate,
    PlanTransitionCreate,
    PlanVersionRead,
    ProgressUpdateCreate,
    RolledItem,
)
from usmkit.auth import Principal, require_city
from usmkit.concurrency import require_if_match
from usmkit.events.outbox import Outbox
from usmkit.pagination import Page, PageParams, cursor_parts, split_page
from usmkit.problems import Conflict, FieldError, NotFound, UnprocessableContent

ALLOWED_TRANSITIONS = {
    ("draft", "approved"),
    ("draft", "archived"),
    ("approved", "active"),
    ("active", "completed"),
    ("active", "archived"),
    ("completed", "archived"),
}


def transition_refusal(current: str, target: str) -> str | None:
    """Why a plan cannot move from `current` to `target`, or None when it can."""
    if (current, target) in ALLOWED_TRANSITIONS:
        return None
    if current == target:
        return f"The plan is already {current}."
    if current == "archived":
        return "An archived plan is final; it cannot move any more."
    if current in ("approved", "active") and target == "draft":
        return f"An {current} plan changes only through a new version (POST .../revisions)."
    if target == "active":
        return "Only an approved plan is activated; approve it first."
    if target == "completed":
        return "Only an active plan is completed."
    return f"A plan cannot move from {current} to {target}."


def _field_error(message: str, loc: list[str | int], error_type: str) -> UnprocessableContent:
    return UnprocessableContent(message, errors=[FieldError(loc=loc, msg=message, type=error_type)])


async def create_plan(
    *, session: AsyncSession, principal: Principal, city: str, plan_in: PlanCreate
) -> PlanRead:
    """Draw a draft plan from finalized, current appraisals of one Working Group."""
    require_city(principal, city)
    repository = PlanRepository(session)
    wanted = list(dict.fromkeys(plan_in.appraisal_ids))
    found = {appraisal.id: appraisal for appraisal in await repository.appraisals(city, wanted)}
    superseded = await repository.superseded(wanted)
    errors = []
    for index, appraisal_id in enumerate(plan_in.appraisal_ids):
        loc: list[str | int] = ["body", "appraisal_ids", index]
        appraisal = found.get(appraisal_id)
        if appraisal is None:
            errors.append(FieldError(loc=loc, msg="No such appraisal here.", type="unknown"))
        elif appraisal.status != "finalized":
            errors.append(FieldError(loc=loc, msg="Not finalized.", type="not_finalized"))
        elif appraisal_id in superseded:
            errors.append(FieldError(loc=loc, msg="Superseded by a correction.", type="superseded"))
    if errors:
        raise UnprocessableContent(
            "Plans are drawn from finalized, current appraisals.", errors=errors
        )
    groups = {appraisal.working_group_id for appraisal in found.values()}
    if len(groups) != 1:
        raise _field_error(
            "The appraisals come from different Working Groups.",
            ["body", "appraisal_ids"],
            "mixed_groups",
        )
    districts = sorted({code for appraisal in found.values() for code in appraisal.districts})
    plan_id = uuid.uuid4()
    plan = Plan(
        id=plan_id,
        series_id=plan_id,
        revision=1,
        city=city,
        working_group_id=groups.pop(),
        title=plan_in.title,
        summary=plan_in.summary,
        districts=districts,
        status="draft",
        created_by=principal.subject,
        version=1,
    )
    plan = await repository.add(plan, wanted)
    return plan_view(plan, sorted(wanted))


def plan_view(plan: Plan, appraisal_ids: list[uuid.UUID]) -> PlanRead:
    return PlanRead(
        id=plan.id,
        city=plan.city,
        working_group_id=plan.working_group_id,
        title=plan.title,
        summary=plan.summary,
        districts=list(plan.districts),
        appraisal_ids=appraisal_ids,
        status=plan.status,
        created_at=plan.created_at,
        activated_at=plan.activated_at,
        series_id=plan.series_id,
        revision=plan.revision,
        revises_id=plan.revises_id,
        change_note=plan.change_note,
        version=plan.version,
    )


async def get_plan(
    *, session: AsyncSession, city: str, plan_id: uuid.UUID, for_update: bool = False
) -> Plan:
    plan = await PlanRepository(session).get(city, plan_id, for_update=for_update)
    if plan is None:
        raise NotFound(f"No plan {plan_id} in {city!r}.")
    return plan


async def read_plan(*, session: AsyncSession, plan: Plan) -> PlanRead:
    linked = await PlanRepository(session).appraisal_ids([plan.id])
    return plan_view(plan, linked[plan.id])


async def transition_plan(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    city: str,
    plan_id: uuid.UUID,
    transition_in: PlanTransitionCreate,
    if_match: str | None,
) -> PlanRead:
    """Move the plan; activating it records `plan.published` with its indicator targets.

    Activating a new version first carries over the reports made on the version it revises
    since it was drawn, then archives the earlier versions still approved or active.
    """
    require_city(principal, city)
    plan = await get_plan(session=session, city=city, plan_id=plan_id, for_update=True)
    refusal = transition_refusal(plan.status, transition_in.to)
    if refusal is not None:
        raise Conflict(refusal)
    require_if_match(if_match, plan.version, "plan")
    items = await PlanItemRepository(session).all_of(plan.id)
    if transition_in.to in ("approved", "active") and not any(
        item.kind == "action" for item in items
    ):
        raise Conflict("A plan without actions cannot be approved or activated.")
    plan.status = transition_in.to
    plan.version += 1
    if transition_in.to == "active":
        plan.activated_at = datetime.now(UTC)
        if plan.revises_id is not None:
            await _supersede(session, plan, items)
    plan = await PlanRepository(session).save(plan)
    view = await read_plan(session=session, plan=plan)
    if plan.status == "active":
        await outbox.record(
            session,
            "plan.published",
            subject=str(plan.id),
            city=plan.city,
            data=published_event_data(view, items),
        )
    return view


def published_event_data(plan: PlanRead, items: Sequence[PlanItem]) -> dict[str, Any]:
    """What indicators needs to track the plan: where, and the targets of its actions."""
    assert plan.activated_at is not None
    return {
        "plan_id": str(plan.id),
        "city": plan.city,
        "working_group_id": str(plan.working_group_id),
        "title": plan.title,
        "districts": plan.districts,
        "appraisal_ids": [str(appraisal_id) for appraisal_id in plan.appraisal_ids],
        "activated_at": plan.activated_at.isoformat(),
        "series_id": str(plan.series_id),
        "revision": plan.revision,
        "revises_id": str(plan.revises_id) if plan.revises_id else None,
        "indicator_targets": [
            {
                "action_id": str(item.id),
                "indicator_code": indicator["code"],
                "districts": list(item.districts) or plan.districts,
                "baseline": indicator["baseline"],
                "target": indicator["target"],
                "unit": indicator.get("unit"),
                "target_date": item.end_date.isoformat() if item.end_date else None,
            }
            for item in items
            if item.kind == "action" and item.status != "cancelled"
            for indicator in item.indicators
        ],
    }


async def add_item(
    *,
    session: AsyncSession,
    principal: Principal,
    city: str,
    plan_id: uuid.UUID,
    item_in: PlanItemCreate,
) -> PlanItem:
    """Add an objective or an action while the plan is a draft."""
    require_city(principal, city)
    plan = await get_plan(session=session, city=city, plan_id=plan_id, for_update=True)
    if plan.status != "draft":
        raise Conflict(f"The plan is {plan.status}; objectives and actions change only in draft.")
    repository = PlanItemRepository(session)
    await _check_placement(repository, plan, item_in)
    await _check_indicators(session, plan, item_in)
    item = PlanItem(
        plan_id=plan.id,
        **item_in.model_dump(exclude={"indicators"}),
        indicators=[indicator.model_dump(mode="json") for indicator in item_in.indicators],
    )
    return await repository.add(item)


def _check_within_parent(parent: PlanItem, item_in: PlanItemCreate) -> None:
    """A child's dates lie within its parent's, where both are known."""
    if parent.start_date and item_in.start_date and item_in.start_date < parent.start_date:
        raise _field_error(
            f"start_date is before the parent's ({parent.start_date}).",
            ["body", "start_date"],
            "outside_parent",
        )
    if parent.end_date and item_in.end_date and item_in.end_date > parent.end_date:
        raise _field_error(
            f"end_date is after the parent's ({parent.end_date}).",
            ["body", "end_date"],
            "outside_parent",
        )


def _check_contains_children(children: Sequence[PlanItem], item_in: PlanItemCreate) -> None:
    """New dates of a parent still contain its children's."""
    for child in children:
        if item_in.start_date and child.start_date and child.start_date < item_in.start_date:
            raise _field_error(
                f"start_date is after that of {child.title!r} ({child.start_date}).",
                ["body", "start_date"],
                "outside_children",
            )
        if item_in.end_date and child.end_date and child.end_date > item_in.end_date:
            raise _field_error(
                f"end_date is before that of {child.title!r} ({child.end_date}).",
                ["body", "end_date"],
                "outside_children",
            )


ITEM_FIELDS = (
    "title",
    "description",
    "lead_actor",
    "partners",
    "districts",
    "start_date",
    "end_date",
    "budget",
    "currency",
    "status",
    "progress",
    "indicators",
)
NOT_NULL_FIELDS = frozenset({"title", "partners", "districts", "status", "progress", "indicators"})


async def update_item(
    *,
    session: AsyncSession,
    principal: Principal,
    city: str,
    plan_id: uuid.UUID,
    item_id: uuid.UUID,
    item_in: PlanItemUpdate,
    if_match: str | None,
) -> PlanItem:
    """Change an item of a draft plan under `If-Match`; the result obeys every creation rule."""
    require_city(principal, city)
    plan = await get_plan(session=session, city=city, plan_id=plan_id, for_update=True)
    repository = PlanItemRepository(session)
    item = await repository.get(plan.id, item_id, for_update=True)
    if item is None:
        raise NotFound(f"No item {item_id} in the plan {plan_id}.")
    if plan.status != "draft":
        raise Conflict(f"The plan is {plan.status}; objectives and actions change only in draft.")
    require_if_match(if_match, item.version, "item")
    changes = item_in.model_dump(exclude_unset=True)
    nulls = [
        FieldError(loc=["body", field], msg="May not be null.", type="null")
        for field in sorted(NOT_NULL_FIELDS & changes.keys())
        if changes[field] is None
    ]
    if nulls:
        raise UnprocessableContent("Some fields may not be null.", errors=nulls)
    current = {field: getattr(item, field) for field in ITEM_FIELDS}
    try:
        merged = PlanItemCreate.model_validate(
            {**current, **changes, "kind": item.kind, "parent_id": item.parent_id}
        )
    except ValidationError as exc:
        raise UnprocessableContent(
            "The changed item would not be valid; see errors.",
            errors=[
                FieldError(
                    loc=["body", *(str(part) for part in error["loc"])],
                    msg=error["msg"],
                    type=error["type"],
                )
                for error in exc.errors()
            ],
        ) from exc
    await _check_placement(repository, plan, merged)
    _check_contains_children(await repository.children(item.id), merged)
    await _check_indicators(session, plan, merged)
    values = merged.model_dump(include=set(changes))
    if "indicators" in values:
        values["indicators"] = [
            indicator.model_dump(mode="json") for indicator in merged.indicators
        ]
    for field, value in values.items():
        setattr(item, field, value)
    item.version += 1
    return await repository.save(item)


async def _check_placement(
    repository: PlanItemRepository, plan: Plan, item_in: PlanItemCreate
) -> None:
    """The parent exists in the plan and contains the item's dates; districts are the plan's."""
    if item_in.parent_id is not None:
        parent = await repository.get(plan.id, item_in.parent_id)
        if parent is None:
            raise _field_error(
                "No such item in this plan.", ["body", "parent_id"], "unknown_parent"
            )
        _check_within_parent(parent, item_in)
    outside = [
        FieldError(
            loc=["body", "districts", index],
            msg=f"{code} is not among the plan's districts.",
            type="unknown_district",
        )
        for index, code in enumerate(item_in.districts)
        if code not in plan.districts
    ]
    if outside:
        raise UnprocessableContent("Districts outside the plan.", errors=outside)


async def _check_indicators(session: AsyncSession, plan: Plan, item_in: PlanItemCreate) -> None:
    await check_known_indicators(
        session,
        plan.city,
        [
            (indicator.code, ["body", "indicators", index, "code"])
            for index, indicator in enumerate(item_in.indicators)
        ],
    )


async def get_item(
    *, session: AsyncSession, city: str, plan_id: uuid.UUID, item_id: uuid.UUID
) -> PlanItem:
    await get_plan(session=session, city=city, plan_id=plan_id)
    item = await PlanItemRepository(session).get(plan_id, item_id)
    if item is None:
        raise NotFound(f"No item {item_id} in the plan {plan_id}.")
    return item


async def report_progress(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    city: str,
    plan_id: uuid.UUID,
    item_id: uuid.UUID,
    update_in: ProgressUpdateCreate,
) -> ProgressUpdate:
    """Report on a leaf action of an active plan; records `action.progressed`."""
    require_city(principal, city)
    plan = await get_plan(session=session, city=city, plan_id=plan_id)
    if plan.status != "active":
        raise Conflict(f"The plan is {plan.status}; progress is reported only while it is active.")
    repository = PlanItemRepository(session)
    item = await repository.get(plan.id, item_id, for_update=True)
    if item is None:
        raise NotFound(f"No item {item_id} in the plan {plan_id}.")
    if item.kind != "action" or await repository.has_children(item.id):
        raise Conflict("Its progress is rolled up from its children; report on those instead.")
    if item.status == "cancelled":
        raise Conflict("The action is cancelled.")
    if update_in.reported_on > date.today():
        raise _field_error("reported_on is in the future.", ["body", "reported_on"], "future_date")
    latest = await repository.latest_report_date(item.id)
    update = await repository.add_update(
        ProgressUpdate(
            item_id=item.id,
            reported_on=update_in.reported_on,
            narrative=update_in.narrative,
            percent=update_in.percent,
            evidence_url=str(update_in.evidence_url) if update_in.evidence_url else None,
            created_by=principal.subject,
        )
    )
    # A late report on an earlier date is kept, but does not roll progress back.
    if latest is None or update_in.reported_on >= latest:
        item.progress = update_in.percent
        item.status = update_in.status or (
            "completed" if update_in.percent == 100 else "in_progress"
        )
        await repository.save(item)
    progress = await plan_progress(session=session, plan=plan)
    await outbox.record(
        session,
        "action.progressed",
        subject=str(item.id),
        city=plan.city,
        data={
            "plan_id": str(plan.id),
            "action_id": str(item.id),
            "city": plan.city,
            "districts": list(item.districts) or list(plan.districts),
            "reported_on": update_in.reported_on.isoformat(),
            "percent": update_in.percent,
            "action_progress": item.progress,
            "action_status": item.status,
            "plan_progress": progress.progress,
            "plan_weighting": progress.weighting,
        },
    )
    return update


async def plan_progress(*, session: AsyncSession, plan: Plan) -> PlanProgressRead:
    """The plan's progress rolled up from its actions (see `rollup.METHOD`)."""
    items = await PlanItemRepository(session).all_of(plan.id)
    by_id = {item.id: item for item in items}
    tree = roll_up(
        [
            Node(
                id=item.id,
                parent_id=item.parent_id,
                progress=item.progress,
                budget=item.budget,
                currency=item.currency,
                cancelled=item.status == "cancelled",
            )
            for item in items
        ]
    )

    def view(rolled: Rolled) -> RolledItem:
        assert rolled.id is not None
        item = by_id[rolled.id]
        return RolledItem(
            id=item.id,
            kind=item.kind,
            title=item.title,
            status=item.status,
            progress=rounded(rolled.progress),
            weighting=rolled.weighting,
            children=[view(child) for child in rolled.children],
        )

    return PlanProgressRead(
        plan_id=plan.id,
        progress=rounded(tree.progress),
        weighting="budget" if tree.weighting == "budget" else "equal",
        method=METHOD,
        objectives=[view(child) for child in tree.children],
    )


def _parents_first(items: Sequence[PlanItem]) -> list[PlanItem]:
    """The tree in an order where each parent comes before its children."""
    placed: set[uuid.UUID] = set()
    ordered: list[PlanItem] = []
    pending = list(items)
    while pending:
        ready = [item for item in pending if item.parent_id is None or item.parent_id in placed]
        ordered.extend(ready)
        placed.update(item.id for item in ready)
        pending = [item for item in pending if item.id not in placed]
    return ordered


async def revise_plan(
    *,
    session: AsyncSession,
    principal: Principal,
    city: str,
    plan_id: uuid.UUID,
    revision_in: PlanRevisionCreate,
) -> PlanRead:
    """A new draft version of an approved or active plan: its tree and reports, copied."""
    require_city(principal, city)
    source = await get_plan(session=session, city=city, plan_id=plan_id, for_update=True)
    if source.status not in ("approved", "active"):
        raise Conflict(
            f"The plan is {source.status}; only an approved or active plan gets a new version"
            " (a draft is edited as it is)."
        )
    repository = PlanRepository(session)
    latest = (await repository.series(source.series_id))[-1]
    if latest.id != source.id:
        raise Conflict(
            f"Version {latest.revision} of this plan exists ({latest.status}); "
            "only the latest version is revised."
        )
    appraisal_ids = (await repository.appraisal_ids([source.id]))[source.id]
    revision = await repository.add(
        Plan(
            id=uuid.uuid4(),
            city=city,
            working_group_id=source.working_group_id,
            title=revision_in.title or source.title,
            summary=revision_in.summary or source.summary,
            districts=list(source.districts),
            status="draft",
            created_by=principal.subject,
            series_id=source.series_id,
            revision=source.revision + 1,
            revises_id=source.id,
            change_note=revision_in.change_note,
            version=1,
        ),
        appraisal_ids,
    )
    items_repository = PlanItemRepository(session)
    originals = await items_repository.all_of(source.id)
    new_ids = {item.id: uuid.uuid4() for item in originals}
    copies = [
        PlanItem(
            id=new_ids[item.id],
            plan_id=revision.id,
            parent_id=new_ids[item.parent_id] if item.parent_id else None,
            kind=item.kind,
            **{field: getattr(item, field) for field in ITEM_FIELDS},
            origin_id=item.id,
            # Kept so the copy lists in the order the items were first added.
            created_at=item.created_at,
            version=1,
        )
        for item in _parents_first(originals)
    ]
    await items_repository.add_all(copies)
    await _carry_reports(items_repository, copies)
    return plan_view(revision, appraisal_ids)


async def _carry_reports(
    repository: PlanItemRepository, copies: Sequence[PlanItem]
) -> set[uuid.UUID]:
    """Copy the reports on the copies' origins not yet carried; the origins that had some."""
    by_origin = {item.origin_id: item for item in copies if item.origin_id is not None}
    updates = await repository.uncarried_updates(by_origin, [item.id for item in copies])
    await repository.add_all(
        [
            ProgressUpdate(
                item_id=by_origin[update.item_id].id,
                reported_on=update.reported_on,
                narrative=update.narrative,
                percent=update.percent,
                evidence_url=update.evidence_url,
                created_by=update.created_by,
                created_at=update.created_at,
                origin_id=update.id,
            )
            for update in updates
        ]
    )
    return {update.item_id for update in updates}


async def _supersede(session: AsyncSession, plan: Plan, items: Sequence[PlanItem]) -> None:
    """On activating a new version: bring over late reports, archive the earlier versions."""
    repository = PlanItemRepository(session)
    reported = await _carry_reports(repository, items)
    if reported:
        origins = {item.id: item for item in await repository.many(reported)}
        for item in items:
            if item.origin_id in reported:
                item.progress = origins[item.origin_id].progress
    for earlier in await PlanRepository(session).series(plan.series_id):
        if earlier.id != plan.id and earlier.status in ("approved", "active"):
            earlier.status = "archived"
            earlier.version += 1


async def plan_versions(
    *, session: AsyncSession, plan: Plan, page: PageParams
) -> Page[PlanVersionRead]:
    """Every version of the plan's series, oldest first, each with what it changed."""
    series = list(await PlanRepository(session).series(plan.series_id))
    after = cursor_parts(page.after, int)[0] if page.after else 0
    shown = [version for version in series if version.revision > after][: page.limit + 1]
    wanted = {version.id for version in shown} | {
        version.revises_id for version in shown if version.revises_id
    }
    items_by_plan: dict[uuid.UUID, list[PlanItem]] = {plan_id: [] for plan_id in wanted}
    for item in await PlanItemRepository(session).all_of_plans(wanted):
        items_by_plan[item.plan_id].append(item)
    by_id = {version.id: version for version in series}
    rows, next_cursor = split_page(shown, page, lambda version: [version.revision])
    return Page[PlanVersionRead](
        items=[
            PlanVersionRead(
                plan_id=version.id,
                revision=version.revision,
                status=version.status,
                title=version.title,
                change_note=version.change_note,
                created_by=version.created_by,
                created_at=version.created_at,
                activated_at=version.activated_at,
                changes=_changes(
                    by_id[version.revises_id],
                    version,
                    items_by_plan[version.revises_id],
                    items_by_plan[version.id],
                )
                if version.revises_id
                else None,
            )
            for version in rows
        ],
        next_cursor=next_cursor,
    )


def _changes(
    previous: Plan,
    current: Plan,
    previous_items: Sequence[PlanItem],
    current_items: Sequence[PlanItem],
) -> PlanChanges:
    """Items are matched by `origin_id`; progress moves by reports, so it is not compared."""
    before = {item.id: item for item in previous_items}
    added: list[ItemChange] = []
    changed: list[ItemChange] = []
    for item in current_items:
        origin = before.get(item.origin_id) if item.origin_id else None
        if origin is None:
            added.append(ItemChange(item_id=item.id, title=item.title, fields=[]))
            continue
        fields = [
            field
            for field in ITEM_FIELDS
            if field != "progress" and getattr(item, field) != getattr(origin, field)
        ]
        if fields:
            changed.append(ItemChange(item_id=item.id, title=item.title, fields=fields))
    return PlanChanges(
        plan_fields=[
            field
            for field in ("title", "summary")
            if getattr(previous, field) != getattr(current, field)
        ],
        items_added=added,
        items_changed=changed,
    )


async def export_document(*, session: AsyncSession, plan: Plan) -> PlanDocument:
    """The plan, its tree in reading order and its rolled-up progress, for the exports."""
    items = await PlanItemRepository(session).all_of(plan.id)
    return plan_document(
        await read_plan(session=session, plan=plan),
        items,
        await plan_progress(session=session, plan=plan),
    )
