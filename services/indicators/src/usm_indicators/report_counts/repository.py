import functools
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import (
    Integer,
    Row,
    Select,
    String,
    Table,
    Uuid,
    bindparam,
    delete,
    false,
    func,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import ExecutableReturnsRows
from sqlalchemy.types import TypeEngine

from usm_indicators.models import CountedReport, MovedReportCell, ReportCount
from usm_indicators.models.report_count import UNASSIGNED_DISTRICT
from usmkit.pagination import PageParams


def _rows(**columns: TypeEngine[Any]) -> Select[Any]:
    """`SELECT unnest(:a) AS a, unnest(:b) AS b, ...`: one row per position of equally long
    array parameters. A run of any size is then one statement, built and compiled once; a
    multi-row VALUES list is a new statement, compiled again, for every size."""
    return select(
        *(
            func.unnest(bindparam(name, type_=ARRAY(type_))).label(name)
            for name, type_ in columns.items()
        )
    )


# Core statements on the tables: the ORM would read the array parameters as rows to insert.
_COUNTED_REPORTS = cast(Table, CountedReport.__table__)
_REPORT_COUNTS = cast(Table, ReportCount.__table__)
_MOVED_REPORT_CELLS = cast(Table, MovedReportCell.__table__)


@functools.cache
def _lock_reports() -> ExecutableReturnsRows:
    rows = _rows(report_id=Uuid(), city=String()).subquery()
    statement = insert(_COUNTED_REPORTS).from_select(
        ["report_id", "city", "submitted", "merged"],
        select(rows.c.report_id, rows.c.city, false(), false()).order_by(rows.c.report_id),
    )
    locked = statement.on_conflict_do_update(
        index_elements=[_COUNTED_REPORTS.c.report_id], set_={"city": _COUNTED_REPORTS.c.city}
    ).returning(*_COUNTED_REPORTS.c)
    return select(CountedReport).from_statement(locked)


@functools.cache
def _add_to_cells() -> Insert:
    rows = _rows(
        city=String(),
        district_code=String(),
        category_code=String(),
        period=String(),
        count=Integer(),
    ).subquery()
    cell = (rows.c.city, rows.c.district_code, rows.c.category_code, rows.c.period)
    # In cell order, so that concurrent runs lock the cells they share in the same order.
    statement = insert(_REPORT_COUNTS).from_select(
        ["city", "district_code", "category_code", "period", "count"],
        select(*cell, rows.c.count).order_by(*cell),
    )
    return statement.on_conflict_do_update(
        index_elements=[
            _REPORT_COUNTS.c.city,
            _REPORT_COUNTS.c.district_code,
            _REPORT_COUNTS.c.category_code,
            _REPORT_COUNTS.c.period,
        ],
        set_={"count": _REPORT_COUNTS.c.count + statement.excluded.count},
    )


@functools.cache
def _note_moved() -> Insert:
    rows = _rows(city=String(), district_code=String(), period=String()).subquery()
    cell = (rows.c.city, rows.c.district_code, rows.c.period)
    statement = insert(_MOVED_REPORT_CELLS).from_select(
        ["city", "district_code", "period"], select(*cell).order_by(*cell)
    )
    # A cell already waiting stays as it is: nothing is locked, so the announcement that
    # takes it never waits for the runs that moved it again.
    return statement.on_conflict_do_nothing()


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
        found = await self.session.scalars(
            _lock_reports().execution_options(populate_existing=True),
            {"report_id": list(reports), "city": list(reports.values())},
        )
        return {report.report_id: report for report in found}

    async def adjust(self, moves: Mapping[tuple[str, str, str, str], int]) -> None:
        """Add reports to cells (city, district, category, period) → how many (negative to
        take away); a cell back at zero is removed."""
        moved = {cell: delta for cell, delta in moves.items() if delta}
        if not moved:
            return
        await self.session.execute(
            _add_to_cells(),
            {
                name: [cell[index] for cell in moved]
                for index, name in enumerate(("city", "district_code", "category_code", "period"))
            }
            | {"count": list(moved.values())},
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

    async def note_moved(self, cells: Collection[tuple[str, str, str]]) -> None:
        """Keep these cells (city, district, month) for the next announcement."""
        if not cells:
            return
        await self.session.execute(
            _note_moved(),
            {
                name: [cell[index] for cell in cells]
                for index, name in enumerate(("city", "district_code", "period"))
            },
        )

    async def take_moved(self) -> list[tuple[str, str, str]]:
        """The cells (city, district, month) kept for announcement, no longer kept once the
        transaction commits. Of two transactions taking at once, the second gets none of
        the first's: it waits on their rows and then finds them deleted."""
        taken = await self.session.execute(
            delete(_MOVED_REPORT_CELLS).returning(
                _MOVED_REPORT_CELLS.c.city,
                _MOVED_REPORT_CELLS.c.district_code,
                _MOVED_REPORT_CELLS.c.period,
            )
        )
        return sorted((row.city, row.district_code, row.period) for row in taken)

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
