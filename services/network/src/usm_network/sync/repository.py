import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_network.models import Base, Peer, SyncChange, SyncNonce, SyncRun
from usmkit.pagination import PageParams, cursor_parts

# Feed writers queue on this lock until they commit, so `seq` order is commit order and a
# reader that has seen seq N will never later find a committed change below N.
_FEED_LOCK = int.from_bytes(
    hashlib.blake2b(b"network:sync-feed", digest_size=8).digest(), "big", signed=True
)


def _table(model: type[Base]) -> Table:
    """The model's table: bulk writes go through Core, not the ORM's per-row bookkeeping."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


@dataclass(frozen=True)
class FeedEntry:
    record_type: str
    record_id: str
    origin_node: str | None
    version: int
    payload: dict[str, Any] | None  # None for a tombstone


class SharedRecordRepository:
    """Bulk writes, for any shared table, of records that peers own (applied by sync)."""

    def __init__(self, session: AsyncSession, model: type[Base], key: str) -> None:
        self.session = session
        self.model = model
        self.key = getattr(model, key)
        self.key_name = key

    async def origins(self, keys: Sequence[object]) -> dict[object, str | None]:
        """The origin node of each record held, locked until the transaction ends."""
        if not keys:
            return {}
        query = (
            select(self.key, self.model.origin_node)  # type: ignore[attr-defined]
            .where(self.key.in_(list(keys)))
            .with_for_update()
        )
        return {row[0]: row[1] for row in (await self.session.execute(query)).all()}

    async def upsert(self, rows: Sequence[dict[str, Any]], *, insert_only: frozenset[str]) -> None:
        """Insert the rows, or update the held ones (leaving `insert_only` columns alone)."""
        if not rows:
            return
        # One statement executed for many rows (the driver batches them): a multi-row
        # VALUES built here would be compiled anew for every page, which costs more.
        statement = insert(_table(self.model))
        updated = set(rows[0]) - insert_only - {self.key_name}
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[self.key_name],
                set_={name: statement.excluded[name] for name in sorted(updated)},
            ),
            list(rows),
        )

    async def delete(self, keys: Sequence[object]) -> None:
        if keys:
            await self.session.execute(delete(self.model).where(self.key.in_(list(keys))))


class FeedRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest(self, record_type: str, record_id: str) -> SyncChange | None:
        return await self.session.scalar(
            select(SyncChange).where(
                SyncChange.record_type == record_type, SyncChange.record_id == record_id
            )
        )

    async def put(
        self,
        *,
        record_type: str,
        record_id: str,
        origin_node: str | None,
        version: int,
        payload: dict[str, Any] | None,
    ) -> None:
        """Replace the record's entry with its new version (or tombstone) at the feed's end."""
        await self.put_many(
            [
                FeedEntry(
                    record_type=record_type,
                    record_id=record_id,
                    origin_node=origin_node,
                    version=version,
                    payload=payload,
                )
            ]
        )

    async def put_many(self, entries: Sequence[FeedEntry]) -> None:
        """Replace each record's entry (distinct records) at the feed's end, in this order."""
        if not entries:
            return
        await self.session.execute(select(func.pg_advisory_xact_lock(_FEED_LOCK)))
        await self.session.execute(
            delete(SyncChange).where(
                tuple_(SyncChange.record_type, SyncChange.record_id).in_(
                    [(entry.record_type, entry.record_id) for entry in entries]
                )
            )
        )
        await self.session.execute(
            insert(_table(SyncChange)),
            [
                {
                    "record_type": entry.record_type,
                    "record_id": entry.record_id,
                    "origin_node": entry.origin_node,
                    "version": entry.version,
                    "deleted": entry.payload is None,
                    "payload": entry.payload,
                }
                for entry in entries
            ],
        )

    async def latest_many(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[str | None, int]]:
        """(origin node, version) of the feed's entry for each (record type, record id) held."""
        if not keys:
            return {}
        query = select(
            SyncChange.record_type, SyncChange.record_id, SyncChange.origin_node, SyncChange.version
        ).where(tuple_(SyncChange.record_type, SyncChange.record_id).in_(list(keys)))
        rows = (await self.session.execute(query)).all()
        return {(row[0], row[1]): (row[2], row[3]) for row in rows}

    async def read(
        self, *, after: int, limit: int, exclude_origin: str, record_types: list[str]
    ) -> Sequence[SyncChange]:
        """Entries after `after` in feed order, leaving out what `exclude_origin` owns."""
        query = (
            select(SyncChange)
            .where(
                SyncChange.seq > after,
                SyncChange.record_type.in_(record_types),
                or_(SyncChange.origin_node.is_(None), SyncChange.origin_node != exclude_origin),
            )
            .order_by(SyncChange.seq)
            .limit(limit + 1)
        )
        return (await self.session.scalars(query)).all()


class PeerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, node_id: str, *, for_update: bool = False) -> Peer | None:
        return await self.session.get(
            Peer, node_id, with_for_update=for_update, populate_existing=for_update
        )

    async def add(self, peer: Peer) -> Peer:
        self.session.add(peer)
        await self.session.flush()
        await self.session.refresh(peer)
        return peer

    async def delete(self, peer: Peer) -> None:
        await self.session.delete(peer)
        await self.session.flush()

    async def enabled_ids(self) -> list[str]:
        query = select(Peer.node_id).where(Peer.enabled.is_(True)).order_by(Peer.node_id)
        return list((await self.session.scalars(query)).all())

    async def list(self, params: PageParams) -> Sequence[Peer]:
        query = select(Peer).order_by(Peer.node_id).limit(params.limit + 1)
        if params.after:
            query = query.where(Peer.node_id > str(params.after[0]))
        return (await self.session.scalars(query)).all()


class NonceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, node_id: str, nonce: str) -> bool:
        """Record a nonce; False when it was seen before (a replay)."""
        claimed = await self.session.scalar(
            insert(SyncNonce)
            .values(node_id=node_id, nonce=nonce)
            .on_conflict_do_nothing()
            .returning(SyncNonce.nonce)
        )
        return claimed is not None

    async def forget_before(self, moment: datetime) -> None:
        await self.session.execute(delete(SyncNonce).where(SyncNonce.seen_at < moment))


class RunRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, run: SyncRun) -> SyncRun:
        self.session.add(run)
        await self.session.flush()
        return run

    async def list(self, params: PageParams, *, peer_node_id: str | None) -> Sequence[SyncRun]:
        query = (
            select(SyncRun)
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .limit(params.limit + 1)
        )
        if params.after:
            started, run_id = cursor_parts(params.after, datetime.fromisoformat, uuid.UUID)
            query = query.where(tuple_(SyncRun.started_at, SyncRun.id) < (started, run_id))
        if peer_node_id is not None:
            query = query.where(SyncRun.peer_node_id == peer_node_id)
        return (await self.session.scalars(query)).all()
