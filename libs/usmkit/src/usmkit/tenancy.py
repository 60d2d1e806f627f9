"""Each service's local copy of the city registry, kept from `city.registered` events.

Services learn about cities from events, never by calling network; this table is
that copy, and `city_exists` is how a write checks its city.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, DateTime, MetaData, String, Table, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usmkit.db import new_metadata
from usmkit.events.cloudevents import CloudEvent, event_type

CITY_REGISTERED = event_type("network", "city.registered")


def define_city_directory(metadata: MetaData) -> Table:
    return Table(
        "known_cities",
        metadata,
        Column("slug", String(100), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("country_code", String(2), nullable=False),
        Column("registered_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def create_city_directory(connection: Connection) -> None:
    """Create the table; called from a service's migration."""
    metadata = new_metadata()
    define_city_directory(metadata)
    metadata.create_all(connection)


class CityDirectory:
    def __init__(self, table: Table) -> None:
        self.table = table

    async def record(self, session: AsyncSession, event: CloudEvent) -> None:
        """Handler for `city.registered`: later registrations update the name."""
        data = event.data
        statement = insert(self.table).values(
            slug=data["slug"], name=data["name"], country_code=data["country_code"]
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[self.table.c.slug],
                set_={
                    "name": statement.excluded.name,
                    "country_code": statement.excluded.country_code,
                },
            )
        )

    async def exists(self, session: AsyncSession, slug: str) -> bool:
        found = await session.scalar(select(self.table.c.slug).where(self.table.c.slug == slug))
        return found is not None
