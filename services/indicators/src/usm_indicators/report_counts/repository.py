import uuid
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Row, delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import CountedReport, ReportCount
from usm_indicators.models.report_count import UNASSIGNED_DISTRICT
from usmkit.pagination import PageParams


class ReportCountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def counted_reports(
        self, reports: Mapping[uuid.UUID, str]
    ) -> dict[uuid.UUID, CountedReport]:
        """The known state of these reports (id → city), locked until commit (created empty
        when first heard of).

        One statement: an insert that finds a row updates it to itself, which locks it. Rows
        are locked in id order, so two transactions over some of the same reports never wait
        on each other in a circle."""
        statement = insert(CountedReport).values(
            [
                {"report_id": report_id, "city": city, "submitted": False, "merged": False}
                for report_id, city in sorted(reports.items())
            ]
        )
        found = await self.session.scalars(
            statement.on_conflict_do_update(
                index_elements=[CountedReport.report_id],
                set_={"city": CountedReport.city},
            )
            .returning(CountedReport)
            .execution_options(populate_existing=True)
        )
        return {report.report_id: report for report in found}

    async def adjust(self, moves: Mapping[tuple[str, str, str, str], int]) -> None:
        """Add reports to cells (city, district, category, period) → how many (negative to
        take away); a cell back at zero is removed."""
        moved = {cell: delta for cell, delta in moves.items() if delta}
        if not moved:
            return
        statement = insert(ReportCount).values(
            [
                {
                    "city": city,
                    "district_code": district_code,
                    "category_code": category_code,
                    "period": period,
                    "count": delta,
                }
                for (city, district_code, category_code, period), delta in sorted(moved.items())
            ]
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    ReportCount.city,
                    ReportCount.district_code,
                    ReportCount.category_code,
                    ReportCount.period,
                ],
                set_={"count": ReportCount.count + statement.excluded.count},
            )
        )
        emptied = [cell for cell, delta in moved.items() if delta < 0]
        if not emptied:
            return
        await self.session.execute(
            delete(ReportCount).where(
                tuple_(
                    ReportCount.city,
                    ReportCount.district_code,
                    ReportCount.category_code,
                    ReportCount.period,
                ).in_(emptied),
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
