"""A statement compiled once and run with the driver's SQL behaves as SQLAlchemy's own
execution of it, on SQLAlchemy's connection or the driver's pool: the same values stored,
the same errors raised."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import (
    ARRAY,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    bindparam,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import JSONB

from usmdev.pytest_plugin import KitDatabase
from usmkit.db import DriverStatement, is_data_exception, is_transient, sqlstate_of

metadata = MetaData()
notes = Table(
    "driver_statement_notes",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("body", String(20), nullable=False),
    Column("details", JSONB, nullable=False),
    Column("tags", ARRAY(String), nullable=False),
    Column("written_at", DateTime(timezone=True), nullable=False),
    Column("weight", Integer, nullable=False),
)

# The weight comes from a literal SQLAlchemy turns into a parameter of its own.
INSERT_NOTE = insert(notes).from_select(
    ["id", "body", "details", "tags", "written_at", "weight"],
    select(
        bindparam("id", type_=Uuid()),
        bindparam("body", type_=String()),
        bindparam("details", type_=JSONB()),
        bindparam("tags", type_=ARRAY(String())),
        bindparam("written_at", type_=DateTime(timezone=True)),
        func.abs(literal(-7)) + bindparam("extra", type_=Integer()),
    ),
)


def note(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "body": "lamp out",
        "details": {"light_state": "out", "nested": [1, "two", None]},
        "tags": ["street", "night"],
        "written_at": datetime(2026, 11, 26, 5, 0, tzinfo=UTC),
        "extra": 1,
    }
    values.update(changes)
    return values


async def test_values_are_stored_as_sqlalchemy_stores_them(
    usm_kit_database: KitDatabase,
) -> None:
    engine = usm_kit_database.database.engine
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        statement = DriverStatement.compile(INSERT_NOTE.returning(notes.c.id), engine.dialect)
        driven, usual = note(), note()
        returned = (await statement.execute(connection, driven)).scalar_one()
        await connection.execute(INSERT_NOTE, usual)
    committed = note()
    row = await usm_kit_database.database.fetch_committed(statement, committed)
    assert row is not None
    async with engine.connect() as connection:
        rows = {
            row.id: row
            for row in await connection.execute(select(notes).order_by(notes.c.written_at))
        }
    assert returned == driven["id"]
    assert row[0] == committed["id"]
    expected = rows[usual["id"]]
    for stored in (rows[driven["id"]], rows[committed["id"]]):
        assert stored.details == expected.details == driven["details"]
        assert stored.tags == expected.tags == ["street", "night"]
        assert stored.written_at == expected.written_at == driven["written_at"]
        assert stored.weight == expected.weight == 8


async def test_errors_are_sqlalchemys(usm_kit_database: KitDatabase) -> None:
    engine = usm_kit_database.database.engine
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    statement = DriverStatement.compile(INSERT_NOTE, engine.dialect)
    async with engine.connect() as connection:
        # Too long for String(20): a data exception, the input's fault (422 for a request).
        with pytest.raises(sa_exc.DBAPIError) as raised:
            await statement.execute(connection, note(body="x" * 21))
        assert is_data_exception(raised.value)
        await connection.rollback()
        duplicate = note()
        await statement.execute(connection, duplicate)
        with pytest.raises(sa_exc.IntegrityError):
            await statement.execute(connection, note(id=duplicate["id"]))
    database = usm_kit_database.database
    committed = note()
    await database.fetch_committed(statement, committed)
    with pytest.raises(sa_exc.DBAPIError) as raised:
        await database.fetch_committed(statement, note(body="x" * 21))
    assert is_data_exception(raised.value)
    with pytest.raises(sa_exc.DBAPIError) as raised:
        await database.fetch_committed(statement, note(id=committed["id"]))
    assert not is_data_exception(raised.value)
    assert not is_transient(raised.value)
    assert sqlstate_of(raised.value) == "23505"


def test_statements_with_expanding_parameters_are_refused(
    usm_kit_database: KitDatabase,
) -> None:
    dialect = usm_kit_database.database.engine.dialect
    expanding = select(notes.c.id).where(notes.c.body.in_(bindparam("bodies", expanding=True)))
    with pytest.raises(ValueError):
        DriverStatement.compile(expanding, dialect)
