import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_network.models import Peer, SyncChange, SyncNonce, SyncRun
from usmkit.pagination import PageParams, cursor_parts

# Feed writers queue on this lock until they commit, so `seq` order is commit order and a
# reader that has seen seq N will never later find a committed change below N.
_FEED_LOCK = int.from_bytes(
    hashlib.blake2b(b"network:sync-feed", digest_size=8).digest(), "big", signed=True
)


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
        await self.session.execute(select(func.pg_advisory_xact_lock(_FEED_LOCK)))
        await self.session.execute(
            delete(SyncChange).where(
                SyncChange.record_type == record_type, SyncChange.record_id == record_id
            )
        )
        await self.session.execute(
            insert(SyncChange).values(
                record_type=record_type,
                record_id=record_id,
                origin_node=origin_node,
                version=version,
                deleted=payload is None,
                payload=payload,
            )
        )

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
