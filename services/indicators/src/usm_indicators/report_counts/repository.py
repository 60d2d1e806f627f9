import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import Row, delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import CountedReport, ReportCount
from usm_indicators.models.report_count import UNASSIGNED_DISTRICT
from usmkit.pagination import PageParams


class ReportCountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def counted_report(self, report_id: uuid.UUID, city: str) -> CountedReport:
        """The report's known state, locked until commit (created empty when first heard of).

        One statement: an insert that finds the row updates it to itself, which locks it."""
        statement = insert(CountedReport).values(
            report_id=report_id, city=city, submitted=False, merged=False
        )
        found: CountedReport = (
            await self.session.scalars(
                statement.on_conflict_do_update(
                    index_elements=[CountedReport.report_id],
                    set_={"city": CountedReport.city},
                )
                .returning(CountedReport)
                .execution_options(populate_existing=True)
            )
        ).one()
        return found

    async def adjust(
        self, *, city: str, district_code: str, category_code: str, period: str, delta: int
    ) -> None:
        """Add `delta` reports to a cell; a cell back at zero is removed."""
        statement = insert(ReportCount).values(
            city=city,
            district_code=district_code,
            category_code=category_code,
            period=period,
            count=delta,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    ReportCount.city,
                    ReportCount.district_code,
                    ReportCount.category_code,
                    ReportCount.period,
                ],
                set_={"count": ReportCount.count + delta},
            )
        )
        if delta > 0:
            return
        await self.session.execute(
            delete(ReportCount).where(
                ReportCount.city == city,
                ReportCount.district_code == district_code,
                ReportCount.category_code == category_code,
                ReportCount.period == period,
                ReportCount.count <= 0,
            )
        )

    async def list(
        self, city: str, params: PageParams, *, period: str | None
    ) -> Sequence[ReportCount]:
        sort_key = (ReportCount.period, ReportCount.district_code, ReportCount.category_code)
        query = (
            select(ReportCount)
            .where(ReportCount.city == city)
            .order_by(*sort_key)
            .limit(params.limit + 1)
        )
        if params.after:
            query = query.where(tuple_(*sort_key) > tuple(str(part) for part in params.after))
        if period is not None:
            query = query.where(ReportCount.period == period)
        return (await self.session.scalars(query)).all()

    async def for_computation(
        self, city: str, periods: Iterable[str], *, district_code: str | None = None
    ) -> Sequence[Row[str, str, int]]:
        """Reports counted per district and month in these periods, over all categories:
        every district's, or one district's. Reports outside every district are left out:
        their code is the whole city's, and they would stand for all of it."""
        query = (
            select(ReportCount.district_code, ReportCount.period, func.sum(ReportCount.count))
            .where(
                ReportCount.city == city,
                ReportCount.period.in_(list(periods)),
                ReportCount.district_code != UNASSIGNED_DISTRICT,
            )
            .group_by(ReportCount.district_code, ReportCount.period)
        )
        if district_code is not None:
            query = query.where(ReportCount.district_code == district_code)
        return (await self.session.execute(query)).all()
