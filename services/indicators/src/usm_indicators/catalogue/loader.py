"""Loads the platform catalogue into the database; safe to run again after it changes."""

from typing import Any

from sqlalchemy import Connection, Table, inspect
from sqlalchemy.dialects.postgresql import insert

from usm_indicators.catalogue.platform import platform_data_elements, platform_indicators
from usm_indicators.models import DataElement, Indicator
from usm_indicators.models.catalogue import PLATFORM


def _upsert(
    connection: Connection, table: Table, rows: list[dict[str, Any]], keys: list[str]
) -> None:
    # Only the columns the database has now: an early migration running this loader must
    # not write a column a later migration adds.
    existing = {column["name"] for column in inspect(connection).get_columns(table.name)}
    rows = [{name: row[name] for name in row if name in existing} for row in rows]
    statement = insert(table)
    # is_active is the platform operator's choice once loaded; a reload keeps it.
    kept = {*keys, "is_active", "id"}
    updates = {
        column.name: statement.excluded[column.name]
        for column in table.columns
        if column.name not in kept and column.name in rows[0]
    }
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates), rows)


def load_platform_catalogue(connection: Connection) -> None:
    """Insert or refresh the platform's data elements and indicators (called by a migration)."""
    data_elements: Table = DataElement.__table__  # type: ignore[assignment]
    indicators: Table = Indicator.__table__  # type: ignore[assignment]
    _upsert(connection, data_elements, platform_data_elements(), ["code"])
    rows = [{**row, "city": PLATFORM} for row in platform_indicators()]
    _upsert(connection, indicators, rows, ["city", "code"])
