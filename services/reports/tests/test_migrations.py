import asyncio

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from usm_reports.models import Base
from usmdev.catalog import SERVICE_SPECS
from usmdev.pytest_plugin import DatabaseFactory


async def test_the_migrations_build_what_the_models_describe(
    usm_database: DatabaseFactory,
) -> None:
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with usm_database("reports") as database_url:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                assert await connection.run_sync(differences) == []
        finally:
            await engine.dispose()


async def test_the_migrations_go_down_and_up_again(usm_database: DatabaseFactory) -> None:
    [spec] = [spec for spec in SERVICE_SPECS if spec.name == "reports"]
    async with usm_database("reports") as database_url:
        config = Config(str(spec.root / "alembic.ini"))
        config.attributes["database_url"] = database_url
        # Alembic runs its own event loop, so it gets a thread.
        await asyncio.to_thread(command.downgrade, config, "base")
        await asyncio.to_thread(command.upgrade, config, "head")
