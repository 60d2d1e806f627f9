import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import CountedReport, ReportCount
from usm_indicators.models.report_count import REPORTS_ELEMENT, UNASSIGNED_DISTRICT
from usm_indicators.report_counts.repository import ReportCountRepository
from usm_indicators.report_counts.schemas import ReportCountRead
from usm_indicators.values.service import announce_new_values
from usmkit.events.outbox import Outbox
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


async def record_report_events(
    *, session: AsyncSession, events: Sequence[tuple[uuid.UUID, str, ReportChange]]
) -> None:
    """Update what is known of each report (id, city, change, in the order they happened),
    move the counts of the cells whose reports started or stopped counting, and keep the
    districts and months that moved for the next announcement. Reports outside every
    district are in no indicator: their cells are not announced.

    A report counts once submitted, unless its newest status is `rejected` or it was merged
    into another report. The reports' rows are locked, so concurrent events of one report
    apply one after the other; the consumer's inbox makes each event apply once. A report
    that counted keeps its cell, so the net move of each report is what its events one by
    one would have made.
    """
    repository = ReportCountRepository(session)
    reports = await repository.counted_reports({report_id: city for report_id, city, _ in events})
    counted_before = {report_id: report.counts for report_id, report in reports.items()}
    for report_id, _, change in events:
        _apply(reports[report_id], change)
    await session.flush()
    moves: dict[tuple[str, str, str, str], int] = {}
    for report_id, report in reports.items():
        if report.counts == counted_before[report_id]:
            continue
        # Its cell now: a report that counted before kept the one it counted in.
        cell = _cell_key(report)
        assert cell is not None
        moves[cell] = moves.get(cell, 0) + (1 if report.counts else -1)
    await repository.adjust(moves)
    await repository.note_moved(
        {
            (city, district, period)
            for (city, district, _, period), delta in moves.items()
            if delta and district != UNASSIGNED_DISTRICT
        }
    )


async def announce_moved_counts(*, session: AsyncSession, outbox: Outbox) -> list[str]:
    """Announce the district counts moved since the last announcement as new
    `REPORTS_ELEMENT` values, one `values.updated` per city, so that their alerts and
    aggregates are recomputed as after a load; the cities announced."""
    moved: dict[str, tuple[set[str], set[str]]] = {}
    for city, district, period in await ReportCountRepository(session).take_moved():
        periods, districts = moved.setdefault(city, (set(), set()))
        periods.add(period)
        districts.add(district)
    if not moved:
        return []
    # The transactions that moved the counts committed before this one took their cells:
    # a recompute whose snapshot includes this transaction sees every one of them.
    for city, (periods, districts) in sorted(moved.items()):
        await announce_new_values(
            session=session,
            outbox=outbox,
            city=city,
            data_elements=[REPORTS_ELEMENT],
            periods=sorted(periods),
            districts=sorted(districts),
        )
    return sorted(moved)


def _cell_key(report: CountedReport) -> tuple[str, str, str, str] | None:
    if report.district_code is None or report.category_code is None or report.period is None:
        return None
    return (report.city, report.district_code, report.category_code, report.period)


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
