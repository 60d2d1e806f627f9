"""The transactional outbox: events are rows written with the change they describe."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from usmkit.events.cloudevents import CloudEvent, SchemaRegistry, new_event
from usmkit.events.topics import topic_for
from usmkit.tables import KitTables


def _city_lock_key(service: str, city: str) -> int:
    digest = hashlib.blake2b(f"outbox:{service}:{city}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Outbox:
    """Records a service's events in the caller's transaction."""

    def __init__(
        self, *, service: str, tables: KitTables, registry: SchemaRegistry, topic_prefix: str = ""
    ) -> None:
        self.service = service
        self.topic = topic_prefix + topic_for(service)
        self.table = tables.outbox
        self.registry = registry

    async def record(
        self,
        session: AsyncSession,
        name: str,
        *,
        subject: str,
        city: str,
        data: dict[str, Any],
        version: int = 1,
    ) -> CloudEvent:
        """Validate and write one event; it is published only if the transaction commits."""
        event = new_event(
            service=self.service, name=name, subject=subject, city=city, data=data, version=version
        )
        self.registry.validate(event)
        # Same-city writers queue here until commit, so per city the outbox ids
        # (the relay's publishing order) follow commit order.
        await session.execute(
            select(func.pg_advisory_xact_lock(_city_lock_key(self.service, city)))
        )
        await session.execute(
            self.table.insert().values(
                event_id=event.id,
                topic=self.topic,
                message_key=city,
                event_type=event.type,
                envelope=event.model_dump(mode="json"),
            )
        )
        return event
