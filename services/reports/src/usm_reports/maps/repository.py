from collections.abc import Sequence

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.models import Report
from usm_reports.reports.filters import ReportFilter


class MapRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count_normal_by_cell(
        self, city: str, report_filter: ReportFilter
    ) -> Sequence[Row[str | None, int]]:
        """(resolution-9 cell, count) of the city's normal reports with coordinates; merged
        duplicates do not count (their primary does)."""
        query = (
            select(Report.h3_cell, func.count())
            .where(
                Report.city == city,
                Report.sensitivity == "normal",
                Report.h3_cell.is_not(None),
                Report.merged_into_id.is_(None),
            )
            .group_by(Report.h3_cell)
        )
        return (await self.session.execute(report_filter.apply(query))).all()

    async def count_by_district(
        self, city: str, report_filter: ReportFilter
    ) -> Sequence[Row[str | None, int]]:
        """(district code or None for outside every district, count) of all the city's
        reports, sensitive ones included; merged duplicates do not count."""
        query = (
            select(Report.district_code, func.count())
            .where(Report.city == city, Report.merged_into_id.is_(None))
            .group_by(Report.district_code)
        )
        return (await self.session.execute(report_filter.apply(query))).all()
