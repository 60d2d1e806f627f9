"""Housekeeping of the kit's tables: rows that outlived their use are deleted.

Without it the outbox keeps every event ever published, the inbox every event ever
received and the idempotency table every stored answer, and all grow without bound.
Each service purges its own tables on a schedule (`ServiceRuntime`), the gateway its
idempotency keys.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Table, delete, select, tuple_

from usmkit.db import Database
from usmkit.settings import KitSettings
from usmkit.tables import KitTables

logger = logging.getLogger(__name__)

# Rows deleted per statement, each in a transaction of its own: locks and WAL come in small
# pieces, and a purge after a long pause does not hold up the relay or the consumers.
PURGE_BATCH_ROWS = 5_000


@dataclass(frozen=True)
class Expiry:
    """Rows of `table` are no longer needed once `stamp` is older than `kept`. A row whose
    stamp is null (an event not yet published) never expires."""

    table: Table
    stamp: Column[datetime]
    kept: timedelta


def kit_expiries(tables: KitTables, settings: KitSettings) -> tuple[Expiry, ...]:
    """What a service's outbox, inbox and idempotency keys keep, by the settings."""
    return (
        Expiry(
            tables.outbox,
            tables.outbox.c.published_at,
            timedelta(days=settings.outbox_retention_days),
        ),
        Expiry(
            tables.inbox, tables.inbox.c.received_at, timedelta(days=settings.inbox_retention_days)
        ),
        idempotency_expiry(tables.idempotency_keys, settings),
    )


def idempotency_expiry(table: Table, settings: KitSettings) -> Expiry:
    return Expiry(
        table, table.c.created_at, timedelta(hours=settings.idempotency_key_retention_hours)
    )


async def purge_expired(
    database: Database,
    expiries: tuple[Expiry, ...],
    *,
    now: datetime,
    batch_rows: int = PURGE_BATCH_ROWS,
) -> dict[str, int]:
    """Delete the expired rows of each table; the number deleted, by table."""
    purged = {
        expiry.table.name: await _purge(database, expiry, now - expiry.kept, batch_rows)
        for expiry in expiries
    }
    if any(purged.values()):
        logger.info("housekeeping deleted expired rows: %s", purged)
    return purged


async def _purge(database: Database, expiry: Expiry, before: datetime, batch_rows: int) -> int:
    key = tuple(expiry.table.primary_key.columns)
    # Skip rows another replica's purge holds: replicas purge side by side, never twice.
    expired = (
        select(*key)
        .where(expiry.stamp < before)
        .limit(batch_rows)
        .with_for_update(skip_locked=True)
    )
    statement = delete(expiry.table).where(tuple_(*key).in_(expired))
    total = 0
    while True:
        async with database.transaction() as session:
            connection = await session.connection()
            deleted = (await connection.execute(statement)).rowcount
        total += deleted
        if deleted < batch_rows:
            return total
