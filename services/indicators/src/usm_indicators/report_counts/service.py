import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import CountedReport, ReportCount
from usm_indicators.models.report_count import UNASSIGNED_DISTRICT
from usm_indicators.report_counts.repository import ReportCountRepository
from usm_indicators.report_counts.schemas import ReportCountRead
from usmkit.suppression import SUPPRESSION_THRESHOLD, is_small_cell


@dataclass(frozen=True)
class ReportCell:
    """Where a report is counted: its district, category and month of submission."""

    district_code: str | None
    category_code: str
    period: str


@dataclass(frozen=True)
class ReportChange:
    """What one report event tells about a report."""

    cell: ReportCell | None = None
    submitted: bool = False
    status: tuple[str, datetime] | None = None  # the new status and when it was set
    merged: bool = False


def _apply(report: CountedReport, change: ReportChange) -> None:
    if change.cell is not None and not report.submitted:
        # report.submitted's keys are the report's cell; report.merged names the same ones.
        report.district_code = change.cell.district_code or UNASSIGNED_DISTRICT
        report.category_code = change.cell.category_code
        report.period = change.cell.period
    report.submitted = report.submitted or change.submitted
    report.merged = report.merged or change.merged
    if change.status is not None:
        status, changed_at = change.status
        # Only a newer change moves the status: an older one redelivered late says nothing new.
        if report.status_changed_at is None or changed_at > report.status_changed_at:
            report.status, report.status_changed_at = status, changed_at


async def record_report_event(
    *, session: AsyncSession, report_id: uuid.UUID, city: str, change: ReportChange
) -> ReportCell | None:
    """Update what is known of a report and move its cell's count if whether it counts
    changed; the cell moved, if one did.

    A report counts once submitted, unless its newest status is `rejected` or it was merged
    into another report. The report's row is locked, so concurrent events of one report
    apply one after the other; the consumer's inbox makes each event apply once.
    """
    repository = ReportCountRepository(session)
    report = await repository.counted_report(report_id, city)
    counted_before = report.counts
    _apply(report, change)
    await session.flush()
    if report.counts == counted_before:
        return None
    assert report.district_code is not None and report.category_code is not None
    assert report.period is not None
    await repository.adjust(
        city=report.city,
        district_code=report.district_code,
        category_code=report.category_code,
        period=report.period,
        delta=1 if report.counts else -1,
    )
    return ReportCell(
        district_code=report.district_code or None,
        category_code=report.category_code,
        period=report.period,
    )


def to_published(row: ReportCount, *, threshold: int = SUPPRESSION_THRESHOLD) -> ReportCountRead:
    """The count as it may be shown: small cells are suppressed."""
    suppressed = is_small_cell(row.count, threshold=threshold)
    return ReportCountRead(
        district_code=row.district_code or None,
        category_code=row.category_code,
        period=row.period,
        count=None if suppressed else row.count,
        suppressed=suppressed,
    )
