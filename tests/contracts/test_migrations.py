"""Each service's migrations build exactly the tables its models declare."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from usmdev.catalog import DATABASE_SPECS
from usmdev.pytest_plugin import DatabaseFactory


@pytest.mark.parametrize("service", [spec.name for spec in DATABASE_SPECS])
async def test_migrations_match_models(service: str, usm_database: DatabaseFactory) -> None:
    metadata: MetaData = importlib.import_module(f"usm_{service}.models").Base.metadata

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with usm_database(service) as url:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                diff = await connection.run_sync(differences)
        finally:
            await engine.dispose()
    assert diff == []
