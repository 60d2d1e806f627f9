from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from usm_indicators.models import Base
from usmdev.pytest_plugin import ServiceHarness


async def test_models_and_migrations_agree(indicators: ServiceHarness) -> None:
    """The migrated database has exactly the tables, columns and constraints of the models."""

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with indicators.runtime.database.engine.connect() as connection:
        assert await connection.run_sync(differences) == []
