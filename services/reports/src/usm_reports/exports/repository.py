import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, not_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.models import Report
from usm_reports.reports.filters import ReportFilter


class ExportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def batch(
        self,
        *,
        city: str,
        report_filter: ReportFilter,
        after: tuple[datetime, uuid.UUID] | None,
        size: int,
        hidden_sensitive_districts: Collection[str | None] = (),
    ) -> Sequence[Report]:
        """The next `size` reports in (submitted_at, id) order after `after`; sensitive
        reports of `hidden_sensitive_districts` (None: outside every district) left out."""
        query = report_filter.apply(select(Report).where(Report.city == city))
        if after is not None:
            query = query.where(tuple_(Report.submitted_at, Report.id) > after)
        if hidden_sensitive_districts:
            codes = [code for code in hidden_sensitive_districts if code is not None]
            hidden: ColumnElement[bool] = Report.district_code.in_(codes)
            if None in hidden_sensitive_districts:
                hidden = or_(hidden, Report.district_code.is_(None))
            query = query.where(not_(and_(Report.sensitivity == "sensitive", hidden)))
        query = query.order_by(Report.submitted_at, Report.id).limit(size)
        return (await self.session.scalars(query)).all()

    async def sensitive_counts_by_district(
        self, city: str, report_filter: ReportFilter
    ) -> dict[str | None, int]:
        query = report_filter.apply(
            select(Report.district_code, func.count())
            .where(Report.city == city, Report.sensitivity == "sensitive")
            .group_by(Report.district_code)
        )
        return {code: count for code, count in (await self.session.execute(query)).all()}
