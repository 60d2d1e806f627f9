from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import ReportCount
from usm_indicators.models.report_count import UNASSIGNED_DISTRICT
from usm_indicators.report_counts.repository import ReportCountRepository
from usm_indicators.report_counts.schemas import ReportCountRead
from usmkit.suppression import SUPPRESSION_THRESHOLD, is_small_cell


async def count_report(
    *, session: AsyncSession, city: str, district_code: str | None, category_code: str, period: str
) -> None:
    """Add one submitted report to its city, district, category and month."""
    await ReportCountRepository(session).increment(
        city=city,
        district_code=district_code or UNASSIGNED_DISTRICT,
        category_code=category_code,
        period=period,
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
