"""Duplicate reports: finding candidates, and merging a duplicate into its primary.

The candidate list is computed when asked for, never stored: the rule (same city and
category, within `duplicate_radius_m` and `duplicate_window_hours`) is configuration, and
a stored list would go stale as reports arrive and get merged. Intake stores only a hint,
the earliest candidate at that moment (`duplicates.repository.earliest_candidate`).
"""

import math
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.audit.service import SENSITIVE_READ_SCOPE
from usm_reports.duplicates.repository import EARTH_RADIUS_M, DuplicateRepository
from usm_reports.duplicates.schemas import (
    DuplicateCandidate,
    DuplicateCandidates,
    ReportMergeCreate,
)
from usm_reports.models import Report, ReportStatusChange
from usm_reports.reports.repository import StatusChangeRepository
from usm_reports.reports.service import get_report_for_staff, staff_views
from usmkit.auth import Principal, require_city
from usmkit.concurrency import require_if_match
from usmkit.events.outbox import Outbox
from usmkit.problems import Conflict, FieldError, Forbidden, NotFound, UnprocessableContent


def distance_m(first: Report, second: Report) -> float | None:
    """Great-circle (haversine) distance between two reports' points."""
    if None in (first.latitude, first.longitude, second.latitude, second.longitude):
        return None
    assert first.latitude is not None and first.longitude is not None
    assert second.latitude is not None and second.longitude is not None
    phi1, phi2 = math.radians(first.latitude), math.radians(second.latitude)
    d_phi = phi2 - phi1
    d_lambda = math.radians(second.longitude - first.longitude)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def _refuse_sensitive(report: Report, principal: Principal) -> None:
    if report.sensitivity == "sensitive" and not principal.has_scope(SENSITIVE_READ_SCOPE):
        raise Forbidden(f"Sensitive reports need the scope {SENSITIVE_READ_SCOPE!r} here.")


async def find_candidates(
    *,
    session: AsyncSession,
    report_id: uuid.UUID,
    principal: Principal,
    radius_m: float,
    window_hours: float,
    limit: int,
) -> DuplicateCandidates:
    """Possible duplicates of a report, nearest first; sensitive ones only for callers
    with `reports:sensitive:read` (and a sensitive report's own candidates likewise)."""
    report = await get_report_for_staff(session=session, report_id=report_id, principal=principal)
    _refuse_sensitive(report, principal)
    # The box query over-selects corners; fetch more than asked and measure exactly.
    near = await DuplicateRepository(session).near(
        report,
        radius_m=radius_m,
        window=timedelta(hours=window_hours),
        include_sensitive=principal.has_scope(SENSITIVE_READ_SCOPE),
        limit=limit * 2,
    )
    measured = [(candidate, distance_m(report, candidate)) for candidate in near]
    kept = sorted(
        (
            (candidate, distance)
            for candidate, distance in measured
            if distance is None or distance <= radius_m
        ),
        key=lambda pair: (pair[1] or 0.0, pair[0].submitted_at),
    )[:limit]
    views = await staff_views(
        session=session,
        reports=[candidate for candidate, _ in kept],
        principal=principal,
        action="duplicates.list",
    )
    return DuplicateCandidates(
        report_id=report.id,
        radius_m=radius_m,
        window_hours=window_hours,
        items=[
            DuplicateCandidate(
                report=view,
                distance_m=None if distance is None else round(distance, 1),
                hours_apart=round(
                    abs((candidate.submitted_at - report.submitted_at).total_seconds()) / 3600, 2
                ),
            )
            for (candidate, distance), view in zip(kept, views, strict=True)
        ],
    )


async def merge_report(
    *,
    session: AsyncSession,
    outbox: Outbox,
    report_id: uuid.UUID,
    merge_in: ReportMergeCreate,
    principal: Principal,
    if_match: str | None,
) -> Report:
    """Merge a duplicate into its primary: link it, record the step in its history and
    announce `report.merged` so counts drop it. Repeating a merge already done changes
    nothing and answers the same."""
    into_field = ["body", "into_report_id"]
    if merge_in.into_report_id == report_id:
        raise UnprocessableContent(
            "A report cannot be merged into itself.",
            errors=[FieldError(loc=into_field, msg="The report itself.", type="same_report")],
        )
    locked = await DuplicateRepository(session).get_pair_for_update(
        report_id, merge_in.into_report_id
    )
    duplicate = locked.get(report_id)
    if duplicate is None:
        raise NotFound("No such report.")
    require_city(principal, duplicate.city)
    primary = locked.get(merge_in.into_report_id)
    if primary is None or primary.city != duplicate.city:
        raise UnprocessableContent(
            "The primary report must be a report of the same city.",
            errors=[FieldError(loc=into_field, msg="No such report here.", type="unknown_report")],
        )
    _refuse_sensitive(duplicate, principal)
    _refuse_sensitive(primary, principal)
    if duplicate.merged_into_id == primary.id:
        return duplicate
    if duplicate.merged_into_id is not None:
        raise Conflict(f"The report was already merged into {duplicate.merged_into_id}.")
    require_if_match(if_match, duplicate.version, "report")
    if primary.merged_into_id is not None:
        raise Conflict(
            f"{primary.id} was itself merged into {primary.merged_into_id}; merge into that one."
        )
    now = datetime.now(UTC)
    repository = DuplicateRepository(session)
    await repository.repoint(duplicate.id, primary.id)
    duplicate.merged_into_id = primary.id
    duplicate.merged_at = now
    duplicate.updated_at = now
    duplicate.version += 1
    await StatusChangeRepository(session).add(
        ReportStatusChange(
            id=uuid.uuid4(),
            report_id=duplicate.id,
            from_status=duplicate.status,
            to_status=duplicate.status,
            actor=principal.subject,
            changed_at=now,
            public_note=merge_in.public_note,
            merged_into_id=primary.id,
        )
    )
    submitted_at = duplicate.submitted_at.astimezone(UTC)
    # The keys of the duplicate's report.submitted, so counts can drop exactly it.
    await outbox.record(
        session,
        "report.merged",
        subject=str(duplicate.id),
        city=duplicate.city,
        data={
            "report_id": str(duplicate.id),
            "into_report_id": str(primary.id),
            "city": duplicate.city,
            "category_code": duplicate.category_code,
            "sensitivity": duplicate.sensitivity,
            "district_code": duplicate.district_code,
            "period": submitted_at.strftime("%Y-%m"),
            "merged_at": now.isoformat(),
        },
    )
    return duplicate
