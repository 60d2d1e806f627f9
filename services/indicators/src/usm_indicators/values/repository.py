from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, column, func, select, table, tuple_, union
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import DataValue, ReportCount
from usm_indicators.models.report_count import UNASSIGNED_DISTRICT
from usmkit.pagination import PageParams

SORT_KEY = (
    DataValue.data_element_code,
    DataValue.district_code,
    DataValue.period,
    DataValue.sex,
    DataValue.age_band,
    DataValue.disability,
)


# Loads of at least this many rows go through COPY into a staging table, then one
# INSERT ... SELECT ... ON CONFLICT: far fewer round trips than a multi-row INSERT.
COPY_THRESHOLD = 1_000
STAGING_TABLE = "data_values_staging"
_STAGED = (
    "city",
    "data_element_code",
    "district_code",
    "period",
    "sex",
    "age_band",
    "disability",
    "value",
    "source",
    "quality",
)
_staging = table(STAGING_TABLE, *(column(name) for name in _STAGED))


class DataValueRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert_many(self, rows: list[dict[str, Any]]) -> None:
        """Insert the rows or replace the values of the cells they name (already validated,
        one row per cell)."""
        if len(rows) >= COPY_THRESHOLD:
            await self._copy_to_staging(rows)
            statement = insert(DataValue).from_select(list(_STAGED), select(_staging))
            await self.session.execute(self._on_conflict(statement))
        else:
            await self.session.execute(self._on_conflict(insert(DataValue)), rows)

    @staticmethod
    def _on_conflict(statement: Insert) -> Insert:
        return statement.on_conflict_do_update(
            index_elements=["city", *(key.name for key in SORT_KEY)],
            set_={
                "value": statement.excluded.value,
                "source": statement.excluded.source,
                "quality": statement.excluded.quality,
                "updated_at": func.now(),
            },
        )

    async def _copy_to_staging(self, rows: list[dict[str, Any]]) -> None:
        """COPY the rows into a temporary table of this connection, emptied at commit (or
        rollback), inside the session's transaction."""
        connection = await self.session.connection()
        # Through SQLAlchemy first: it opens the transaction the COPY then joins.
        await connection.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {STAGING_TABLE} "
            "(LIKE data_values INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        await connection.exec_driver_sql(f"TRUNCATE {STAGING_TABLE}")
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None, "an asyncpg connection"
        await raw.copy_records_to_table(
            STAGING_TABLE,
            records=[tuple(row[name] for name in _STAGED) for row in rows],
            columns=list(_STAGED),
        )

    async def list(
        self,
        city: str,
        params: PageParams,
        *,
        data_element: str | None,
        district_code: str | None,
        period: str | None,
    ) -> Sequence[DataValue]:
        query = (
            select(DataValue)
            .where(DataValue.city == city)
            .order_by(*SORT_KEY)
            .limit(params.limit + 1)
        )
        if params.after:
            query = query.where(tuple_(*SORT_KEY) > tuple(str(part) for part in params.after))
        if data_element is not None:
            query = query.where(DataValue.data_element_code == data_element)
        if district_code is not None:
            query = query.where(DataValue.district_code == district_code)
        if period is not None:
            query = query.where(DataValue.period == period)
        return (await self.session.scalars(query)).all()

    async def for_computation(
        self,
        city: str,
        codes: Iterable[str],
        periods: Iterable[str],
        *,
        district_code: str | None = None,
    ) -> Sequence[Row[str, str, str, str, str, str, Decimal]]:
        """Every value of these data elements in these periods: all districts (and the
        whole city), or one district. Plain columns: no ORM objects to build."""
        query = select(*SORT_KEY, DataValue.value).where(
            DataValue.city == city,
            DataValue.data_element_code.in_(list(codes)),
            DataValue.period.in_(list(periods)),
        )
        if district_code is not None:
            query = query.where(DataValue.district_code == district_code)
        return (await self.session.execute(query)).all()

    async def periods_in_city(self, city: str) -> Sequence[str]:
        """The periods with data: posted values, or reports counted (they are values of
        `REPORTS_ELEMENT`)."""
        posted = select(DataValue.period).where(DataValue.city == city)
        reported = select(ReportCount.period).where(
            ReportCount.city == city, ReportCount.district_code != UNASSIGNED_DISTRICT
        )
        return (await self.session.scalars(union(posted, reported))).all()
