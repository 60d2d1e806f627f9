from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.catalogue.repository import CatalogueRepository
from usm_indicators.computation.engine import Cell, DataCube
from usm_indicators.computation.setwise import (
    MAX_ANCESTORS,
    ROLL_UPS,
    Computation,
    PeriodPlan,
    column,
)
from usm_indicators.geography.repository import DistrictRepository
from usm_indicators.models import ComputedLayout, ComputedValue
from usm_indicators.models.data_value import TOTAL, WHOLE_CITY
from usm_indicators.models.report_count import REPORTS_ELEMENT
from usm_indicators.report_counts.repository import ReportCountRepository
from usm_indicators.values.repository import DataValueRepository
from usmkit.periods import PeriodType


async def load_cube(
    session: AsyncSession,
    city: str,
    codes: set[str],
    periods: Iterable[str],
    *,
    district_code: str | None = None,
) -> DataCube:
    """The city's values of these data elements in these periods, ready to compute; only
    one district's when `district_code` is given (the cube then cannot compute the city).

    The report counts are the values of `REPORTS_ELEMENT` (district and month totals) in
    every cell the city did not post a value for: a posted value wins."""
    needed = set(periods)
    elements = await CatalogueRepository(session).data_elements(codes)
    districts = (
        list(await DistrictRepository(session).codes_in_city(city))
        if district_code is None
        else [district_code]
    )
    cube = DataCube(
        aggregations={element.code: element.aggregation for element in elements},
        districts=districts,
    )
    rows = await DataValueRepository(session).for_computation(
        city, codes, needed, district_code=district_code
    )
    for row in rows:
        cube.add(
            Cell(
                row.data_element_code,
                row.district_code,
                row.period,
                row.sex,
                row.age_band,
                row.disability,
            ),
            row.value,
        )
    if REPORTS_ELEMENT in codes:
        counted = await ReportCountRepository(session).for_computation(
            city, needed, district_code=district_code
        )
        for district, period, count in counted:
            cell = Cell(REPORTS_ELEMENT, district, period)
            if cell not in cube.values:
                cube.add(cell, count)
    return cube


class ComputationRepository:
    """The set-wise computation (`computation/setwise.py`): every active indicator of a
    city, for every area and the periods asked, in a few statements, kept in
    `computed_values`. Runs inside the caller's transaction; its working tables are
    temporary and dropped at commit."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _run(self, sql: str, **params: Any) -> None:
        await self.session.execute(text(sql), params)

    async def _create(self, name: str, sql: str, **params: Any) -> None:
        """A working table from a query, analysed: temporary tables have no statistics
        otherwise, and the planner's guesses make the joins nested loops."""
        await self._run(f"DROP TABLE IF EXISTS {name}")
        await self._run(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {sql}", **params)
        await self._run(f"ANALYZE {name}")

    async def signature(self, city: str) -> str | None:
        """What the city's kept values were computed with; None before any recompute."""
        return await self.session.scalar(
            select(ComputedLayout.signature).where(ComputedLayout.city == city)
        )

    async def replace(
        self, *, city: str, plan: PeriodPlan, computation: Computation, whole: bool
    ) -> None:
        """Compute and keep the city's values and index for `plan.targets`, replacing what
        was kept for those periods (for every period when `whole`)."""
        # One recompute of a city at a time (the command beside the service's consumer):
        # the second waits, then replaces what the first kept, instead of colliding with
        # its rows.
        await self._run(
            "SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))",
            key=f"usm-indicators:computed-values:{city}",
        )
        query = delete(ComputedValue).where(ComputedValue.city == city)
        if not whole:
            query = query.where(ComputedValue.period.in_(plan.targets))
        await self.session.execute(query)
        codes = [indicator.code for indicator in computation.indicators]
        layout = {"indicator_codes": codes, "signature": computation.signature}
        statement = insert(ComputedLayout).values(city=city, **layout)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[ComputedLayout.city], set_={**layout, "computed_at": func.now()}
            )
        )
        if not computation.indicators or not plan.targets:
            return
        # The joins and aggregates below hold tens of thousands of wide rows.
        await self._run("SET LOCAL work_mem = '64MB'")
        await self._kept(city, plan, computation, every_period=whole)
        await self._roll_up_over_time(computation)
        await self._over_space(computation)
        await self._run(
            "INSERT INTO computed_values (city, period, district_code, numerators, "  # noqa: S608
            "denominators, indicator_values, public_cells, dimension_scores, "
            "dimension_with_data, score, with_data, public_dimension_scores, "
            "public_dimension_with_data, public_score, public_with_data) "
            "SELECT :city, period, area, numerators, denominators, indicator_values, "
            "public_cells, dimension_scores, dimension_with_data, score, with_data, "
            "public_dimension_scores, public_dimension_with_data, public_score, "
            f"public_with_data FROM ({computation.results('computation_wide')}) results",
            city=city,
        )

    async def _kept(
        self, city: str, plan: PeriodPlan, computation: Computation, *, every_period: bool
    ) -> None:
        """`computation_kept`: per area ("" = whole city) and period, the values kept, one
        column per reference. Districts the city does not have are no area. Report counts
        fill the cells of REPORTS_ELEMENT (district and month totals) the city posted no
        value for. With `every_period` the plan covers every period with data: no filter
        on periods (testing each row against thousands of periods costs more than it
        saves)."""
        await self._create(
            "computation_periods",
            "SELECT * FROM unnest(CAST(:periods AS text[]), CAST(:kinds AS text[]), "
            "CAST(:parents AS text[])) AS p(period, kind, parent)",
            periods=[row[0] for row in plan.periods],
            kinds=[row[1] for row in plan.periods],
            parents=[row[2] for row in plan.periods],
        )
        await self._create(
            "computation_ancestry",
            "SELECT * FROM unnest(CAST(:periods AS text[]), CAST(:ancestors AS text[]), "
            "CAST(:distances AS int[])) AS a(period, ancestor, distance)",
            periods=[row[0] for row in plan.ancestry],
            ancestors=[row[1] for row in plan.ancestry],
            distances=[row[2] for row in plan.ancestry],
        )
        await self._create(
            "computation_targets",
            "SELECT unnest(CAST(:targets AS text[])) AS period",
            targets=plan.targets,
        )
        filters = [dict(reference.filters) for reference in computation.references]
        await self._create(
            "computation_refs",
            "SELECT * FROM unnest(CAST(:refs AS int[]), CAST(:codes AS text[]), "
            "CAST(:sexes AS text[]), CAST(:ages AS text[]), CAST(:disabilities AS text[])) "
            "AS r(ref, code, sex, age_band, disability)",
            refs=list(range(len(computation.references))),
            codes=[reference.code for reference in computation.references],
            sexes=[each.get("sex", TOTAL) for each in filters],
            ages=[each.get("age_band", TOTAL) for each in filters],
            disabilities=[each.get("disability", TOTAL) for each in filters],
        )
        await self._create(
            "computation_kept",
            f"SELECT area, period, {computation.pivot()} FROM ("  # noqa: S608 (generated)
            "  SELECT r.ref, v.district_code AS area, v.period, v.value::float8 AS value "
            "  FROM data_values v "
            "  JOIN computation_refs r ON (r.code, r.sex, r.age_band, r.disability) "
            "    = (v.data_element_code, v.sex, v.age_band, v.disability) "
            "  WHERE v.city = :city "
            "  AND (:every_period OR v.period = ANY(CAST(:periods AS text[]))) "
            "  AND (v.district_code = :whole OR v.district_code IN "
            "    (SELECT code FROM districts WHERE city = :city)) "
            "  UNION ALL "
            "  SELECT r.ref, c.district_code, c.period, sum(c.count)::float8 "
            "  FROM report_counts c "
            "  JOIN computation_refs r ON (r.code, r.sex, r.age_band, r.disability) "
            "    = (:reports, :total, :total, :total) "
            "  WHERE c.city = :city "
            "  AND (:every_period OR c.period = ANY(CAST(:periods AS text[]))) "
            "  AND c.district_code IN (SELECT code FROM districts WHERE city = :city) "
            "  AND NOT EXISTS (SELECT FROM data_values v WHERE v.city = c.city "
            "    AND v.data_element_code = r.code AND v.district_code = c.district_code "
            "    AND v.period = c.period AND v.sex = :total AND v.age_band = :total "
            "    AND v.disability = :total) "
            "  GROUP BY r.ref, c.district_code, c.period"
            ") kept GROUP BY area, period",
            city=city,
            whole=WHOLE_CITY,
            reports=REPORTS_ELEMENT,
            total=TOTAL,
            # An array rather than a join: the planner then uses (city, period) when the
            # periods are a few of many.
            periods=[row[0] for row in plan.periods],
            every_period=every_period,
        )

    async def _roll_up_over_time(self, computation: Computation) -> None:
        """`computation_within`: each reference's value within each period: the value kept
        for it, else its children's combined by the element's aggregation."""
        await self._create(
            "computation_within",
            "SELECT k.* FROM computation_kept k JOIN computation_periods p USING (period) "
            "WHERE p.kind NOT IN (:month, :quarter, :year)",
            month=PeriodType.MONTH.value,
            quarter=PeriodType.QUARTER.value,
            year=PeriodType.YEAR.value,
        )
        for level, child in ROLL_UPS:
            await self._run(
                "INSERT INTO computation_within "  # noqa: S608 (generated)
                "SELECT coalesce(k.area, c.area), coalesce(k.period, c.period), "
                f"{computation.first_of('k', 'c')} "
                "FROM (SELECT k.* FROM computation_kept k "
                "  JOIN computation_periods p USING (period) WHERE p.kind = :level) k "
                f"FULL JOIN (SELECT w.area, p.parent AS period, {computation.roll_up('w')} "
                "  FROM computation_within w JOIN computation_periods p USING (period) "
                "  WHERE p.kind = :child GROUP BY w.area, p.parent) c "
                "ON (c.area, c.period) = (k.area, k.period)",
                level=level.value,
                child=child.value,
            )

    async def _over_space(self, computation: Computation) -> None:
        """`computation_wide`: per area and target period, each reference's value: within
        the period, else (stocks and averages) the nearest containing period's kept
        value; the city's is its whole-city value, else its districts'."""
        ancestors = [f"a{distance}" for distance in range(1, MAX_ANCESTORS + 1)]
        joins = " ".join(
            f"LEFT JOIN computation_ancestry x{distance} "
            f"ON x{distance}.period = c.period AND x{distance}.distance = {distance} "
            f"LEFT JOIN computation_kept a{distance} "
            f"ON (a{distance}.area, a{distance}.period) = (c.area, x{distance}.ancestor)"
            for distance in range(1, MAX_ANCESTORS + 1)
        )
        await self._create(
            "computation_located",
            f"SELECT c.area, c.period, {computation.over_time('w', ancestors)} "  # noqa: S608
            "FROM (SELECT area, period FROM computation_within "
            "  JOIN computation_targets USING (period) "
            "  UNION SELECT k.area, a.period FROM computation_kept k "
            "  JOIN computation_ancestry a ON a.ancestor = k.period) c "
            "LEFT JOIN computation_within w ON (w.area, w.period) = (c.area, c.period) "
            f"{joins}",
        )
        names = ", ".join(column(position) for position in range(len(computation.references)))
        await self._create(
            "computation_wide",
            f"SELECT area, period, {names} FROM computation_located "  # noqa: S608
            "WHERE area <> :whole UNION ALL "
            f"SELECT :whole, period, {computation.city(':whole')} "
            "FROM computation_located GROUP BY period",
            whole=WHOLE_CITY,
        )


class StoredValueRepository:
    """Reads of what the set-wise computation kept."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rows(
        self, city: str, periods: Iterable[str], *, district_code: str | None = None
    ) -> Sequence[ComputedValue]:
        """The kept rows of these periods: every area's, or one ("" = the whole city)."""
        query = select(ComputedValue).where(
            ComputedValue.city == city, ComputedValue.period.in_(list(periods))
        )
        if district_code is not None:
            query = query.where(ComputedValue.district_code == district_code)
        return (await self.session.scalars(query)).all()

    async def district_cells_published(self, city: str, periods: Iterable[str]) -> dict[str, int]:
        """Per period, the district cells a public view shows: with a value, or withheld."""
        query = (
            select(ComputedValue.period, func.sum(ComputedValue.public_cells))
            .where(ComputedValue.city == city, ComputedValue.period.in_(list(periods)))
            .group_by(ComputedValue.period)
        )
        return {period: int(count) for period, count in (await self.session.execute(query)).all()}
