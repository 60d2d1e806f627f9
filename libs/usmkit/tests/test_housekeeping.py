"""Housekeeping of the kit's tables (outbox, inbox, idempotency keys) on real PostgreSQL."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select

from usmdev.pytest_plugin import KitDatabase, KitRuntimeFactory
from usmdev.waiting import eventually
from usmkit.db import Database
from usmkit.housekeeping import kit_expiries, purge_expired
from usmkit.settings import KitSettings
from usmkit.tables import KitTables

NOW = datetime.now(UTC)
SETTINGS = KitSettings(
    environment="test",
    outbox_retention_days=7,
    inbox_retention_days=14,
    idempotency_key_retention_hours=24,
)


def outbox_row(*, published_at: datetime | None, created_at: datetime = NOW) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4(),
        "topic": "usm.network.v1",
        "message_key": "durban",
        "event_type": "org.usm.network.city.registered.v1",
        "envelope": {},
        "created_at": created_at,
        "published_at": published_at,
    }


def inbox_row(*, received_at: datetime) -> dict[str, Any]:
    return {
        "consumer": "indicators",
        "event_id": uuid.uuid4(),
        "event_type": "org.usm.reports.report.submitted.v1",
        "received_at": received_at,
    }


def idempotency_row(*, created_at: datetime) -> dict[str, Any]:
    return {
        "scope": "portal:POST:/api/v1/reports",
        "key_hash": uuid.uuid4().hex,
        "request_hash": "0" * 64,
        "response_sealed": b"sealed",
        "created_at": created_at,
    }


async def add(
    database: Database, table: Table, count: int, row: Callable[[], dict[str, Any]]
) -> None:
    async with database.transaction() as session:
        await session.execute(insert(table), [row() for _ in range(count)])


async def remaining(database: Database, tables: KitTables) -> dict[str, list[datetime | None]]:
    """Each table's stamps that are left, oldest first (an unpublished event's is None)."""
    stamps = {
        "outbox": tables.outbox.c.published_at,
        "inbox": tables.inbox.c.received_at,
        "idempotency_keys": tables.idempotency_keys.c.created_at,
    }
    async with database.transaction() as session:
        return {
            name: list((await session.scalars(select(stamp).order_by(stamp))).all())
            for name, stamp in stamps.items()
        }


async def test_rows_past_their_retention_are_deleted_in_batches_and_the_rest_kept(
    usm_kit_database: KitDatabase,
) -> None:
    kit = usm_kit_database
    outbox, inbox, keys = kit.tables.outbox, kit.tables.inbox, kit.tables.idempotency_keys
    day, hour, minute = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
    # Just past and just within each retention, and events never published, however old: the
    # relay has yet to send them.
    rows: list[tuple[Table, int, Callable[[], dict[str, Any]]]] = [
        (outbox, 7, lambda: outbox_row(published_at=NOW - 7 * day - minute)),
        (outbox, 1, lambda: outbox_row(published_at=NOW - 6 * day - 23 * hour)),
        (outbox, 2, lambda: outbox_row(published_at=None, created_at=NOW - 30 * day)),
        (inbox, 7, lambda: inbox_row(received_at=NOW - 14 * day - minute)),
        (inbox, 1, lambda: inbox_row(received_at=NOW - 13 * day - 23 * hour)),
        (keys, 7, lambda: idempotency_row(created_at=NOW - 24 * hour - minute)),
        (keys, 1, lambda: idempotency_row(created_at=NOW - 23 * hour)),
    ]
    for table, count, row in rows:
        await add(kit.database, table, count, row)

    # Three rows a statement: each table's seven go in three statements.
    purged = await purge_expired(
        kit.database, kit_expiries(kit.tables, SETTINGS), now=NOW, batch_rows=3
    )

    assert purged == {"outbox": 7, "inbox": 7, "idempotency_keys": 7}
    assert await remaining(kit.database, kit.tables) == {
        "outbox": [NOW - 6 * day - 23 * hour, None, None],
        "inbox": [NOW - 13 * day - 23 * hour],
        "idempotency_keys": [NOW - 23 * hour],
    }
    # Nothing more to do the next time.
    again = await purge_expired(kit.database, kit_expiries(kit.tables, SETTINGS), now=NOW)
    assert again == {"outbox": 0, "inbox": 0, "idempotency_keys": 0}


async def test_replicas_purging_at_once_delete_each_row_once(
    usm_kit_database: KitDatabase,
) -> None:
    kit = usm_kit_database
    await add(
        kit.database,
        kit.tables.outbox,
        400,
        lambda: outbox_row(published_at=NOW - timedelta(days=8)),
    )
    await add(
        kit.database, kit.tables.inbox, 400, lambda: inbox_row(received_at=NOW - timedelta(days=15))
    )
    expiries = kit_expiries(kit.tables, SETTINGS)

    results = await asyncio.gather(
        *(purge_expired(kit.database, expiries, now=NOW, batch_rows=50) for _ in range(3))
    )

    assert sum(result["outbox"] for result in results) == 400
    assert sum(result["inbox"] for result in results) == 400
    left = await remaining(kit.database, kit.tables)
    assert left["outbox"] == [] and left["inbox"] == []


async def test_a_running_service_purges_on_its_schedule(
    usm_kit_runtime: KitRuntimeFactory,
) -> None:
    async with usm_kit_runtime(
        housekeeping_interval_s=0.05, inbox_retention_days=SETTINGS.inbox_retention_days
    ) as runtime:
        inbox = runtime.tables.inbox
        # Rows that expire while the service runs go at its next round.
        await add(
            runtime.database, inbox, 3, lambda: inbox_row(received_at=NOW - timedelta(days=15))
        )
        await add(runtime.database, inbox, 1, lambda: inbox_row(received_at=NOW))

        async def only_the_recent_one_left() -> bool:
            async with runtime.database.transaction() as session:
                count = select(func.count()).select_from(runtime.tables.inbox)
                return await session.scalar(count) == 1

        await eventually(only_the_recent_one_left, what="the expired inbox rows deleted")
        assert (await remaining(runtime.database, runtime.tables))["inbox"] == [NOW]
