from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import chain
from operator import countOf, itemgetter
from typing import Any

from asyncpg import UniqueViolationError
from sqlalchemy import Row, column, func, select, table, tuple_, union
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import DataValue, ReportCount
from usm_indicators.models.report_count import UNASSIGNED_DISTRICT
from usm_indicators.values.validation import RECORD_COLUMNS, Record
from usmkit.pagination import PageParams

SORT_KEY = (
    DataValue.data_element_code,
    DataValue.district_code,
    DataValue.period,
    DataValue.sex,
    DataValue.age_band,
    DataValue.disability,
)


# Loads of at least this many rows go through COPY rather than a multi-row INSERT: far
# fewer round trips, and PostgreSQL's fastest way in.
COPY_THRESHOLD = 1_000
STAGING_TABLE = "data_values_staging"
_staging = table(STAGING_TABLE, *(column(name) for name in RECORD_COLUMNS))

# COPY's text format: fields split by tabs, rows ended by newlines, NULL as \N; a
# backslash, tab, newline or carriage return inside a field is written escaped.
_NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(records: Sequence[Record]) -> bytes:
    """The records as the data of a text-format COPY.

    Text rather than binary (asyncpg's `copy_records_to_table`): a row is one f-string,
    where the binary encoder converts every Decimal field by field in Python (about 3
    against 15 ms of CPU per 10,000 rows; PostgreSQL parses either as fast). A field
    needing an escape is rare (a source with a tab or a backslash): counting the
    separators of the whole text finds one, and only then is every field escaped.

    Handed to asyncpg as a memoryview: it writes a buffer straight out, where a file
    (BytesIO) is read 512 KB at a time in a worker thread (and bytes would be taken for
    a file name)."""
    null = _NULL
    text = "".join(
        [
            # `!s`: str() itself, twice as fast on a Decimal as format() is.
            f"{city}\t{code}\t{district}\t{period}\t{sex}\t{age}\t{disability}\t"
            f"{value!s}\t{null if source is None else source}\t{quality}\n"
            for city, code, district, period, sex, age, disability, value, source, quality in (
                records
            )
        ]
    )
    nulls = countOf(map(itemgetter(8), records), None)
    if (
        text.count("\t") != (len(RECORD_COLUMNS) - 1) * len(records)
        or text.count("\n") != len(records)
        or text.count("\\") != nulls
        or "\r" in text
    ):
        text = "".join(
            "\t".join(null if field is None else str(field).translate(_ESCAPES) for field in record)
            + "\n"
            for record in records
        )
    return text.encode()


class DataValueRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def store(self, records: Sequence[Record]) -> None:
        """Insert the records or replace the values of the cells they name (validated, one
        record per cell). A large load goes as `store_parts` stores it, in one part."""
        if len(records) < COPY_THRESHOLD:
            await self.session.execute(
                self._on_conflict(insert(DataValue)),
                [dict(zip(RECORD_COLUMNS, record, strict=True)) for record in records],
            )
            return
        await self.store_parts(iter([records]))

    async def store_parts(self, parts: Iterator[Sequence[Record]]) -> list[Record]:
        """`store` for a large load whose records come a part at a time (one record per
        cell across all parts); returns them all. Each part is sent to PostgreSQL as soon
        as `parts` gives it, so the next part is made (checked) while PostgreSQL takes this
        one in. If `parts` raises, nothing is stored and its exception propagates.

        The load is COPied straight into `data_values` under a savepoint: when every cell
        is new (the usual case: new periods, a first load) that is the whole cost. If a
        cell already has a value the COPY fails on the primary key, the savepoint undoes
        it, and the load goes through a staging table and one upsert instead; a load whose
        first cell is kept already (a reload) goes there at once."""
        first = next(parts)
        records = list(first)
        if await self._has_cell(first[0]):
            # A reload (its first cell is kept already): straight to the upsert.
            records.extend(chain.from_iterable(parts))
            await self._upsert_through_staging(records)
            return records
        stopped: list[Exception] = []

        async def copy_data() -> AsyncIterator[memoryview]:
            # A memoryview: asyncpg writes a buffer straight out.
            try:
                yield memoryview(copy_text(first))
                for part in parts:
                    records.extend(part)
                    yield memoryview(copy_text(part))
            except Exception as error:
                # Raised inside the COPY, it would be cancelled on a second connection:
                # the COPY is ended instead, and undone below.
                stopped.append(error)

        try:
            async with self.session.begin_nested():
                # Asked for inside the block: the session emits SAVEPOINT only then.
                driver = await self._driver_connection()
                await driver.copy_to_table(
                    DataValue.__tablename__, source=copy_data(), columns=RECORD_COLUMNS
                )
                if stopped:
                    raise stopped[0]
        except UniqueViolationError:
            if stopped:
                raise stopped[0] from None
            # asyncpg sends every part even after PostgreSQL refused the COPY; should it
            # stop short, the parts not taken yet are checked and added here.
            records.extend(chain.from_iterable(parts))
            await self._upsert_through_staging(records)
        return records

    async def _has_cell(self, record: Record) -> bool:
        key = dict(zip(("city", *(column.key for column in SORT_KEY)), record[:7], strict=True))
        found = await self.session.scalar(select(DataValue.value).filter_by(**key))
        return found is not None

    async def _upsert_through_staging(self, records: Sequence[Record]) -> None:
        await self._copy_to_staging(records)
        statement = insert(DataValue).from_select(list(RECORD_COLUMNS), select(_staging))
        await self.session.execute(self._on_conflict(statement))

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

    async def _driver_connection(self) -> Any:
        """The asyncpg connection under the session, inside the session's transaction
        (asyncpg has no types: Any)."""
        connection = await self.session.connection()
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None, "an asyncpg connection"
        return driver

    async def _copy_to_staging(self, records: Sequence[Record]) -> None:
        """COPY the records into a temporary table of this connection, emptied at commit
        (or rollback), inside the session's transaction."""
        connection = await self.session.connection()
        await connection.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {STAGING_TABLE} "
            "(LIKE data_values INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        await connection.exec_driver_sql(f"TRUNCATE {STAGING_TABLE}")
        driver = await self._driver_connection()
        await driver.copy_to_table(
            STAGING_TABLE, source=memoryview(copy_text(records)), columns=RECORD_COLUMNS
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
