"""The change feed (what this node serves) and applying a peer's changes (what it takes)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from usm_network.cities.repository import CityRepository
from usm_network.knowledge.repository import KnowledgeRepository
from usm_network.models import City, KnowledgeItem, Peer
from usm_network.sync import sealing, signing
from usm_network.sync.repository import FeedRepository, NonceRepository, PeerRepository
from usm_network.sync.schemas import (
    CityRecord,
    FeedChange,
    FeedPage,
    KnowledgeRecord,
    PeerCreate,
    PeerUpdate,
)
from usmkit.concurrency import require_if_match
from usmkit.problems import Conflict, NotFound, Unauthorized

Outcome = Literal["applied", "deleted", "skipped"]


# --- serving the feed -------------------------------------------------------------------


async def authenticate_peer(
    *,
    session: AsyncSession,
    signed: signing.Signed,
    sealing_key: str,
    method: str,
    path: str,
    query: str,
    body: bytes,
    max_skew_s: int,
) -> tuple[Peer, str]:
    """The enabled peer that signed this request, and its secret; anything else is 401."""
    peer = await PeerRepository(session).get(signed.node_id)
    if peer is None or not peer.enabled:
        raise Unauthorized("Unknown or disabled peer.")
    secret = sealing.unseal(sealing_key, peer.node_id, peer.secret_sealed)
    try:
        signing.verify_request(
            signed,
            secret=secret,
            method=method,
            path=path,
            query=query,
            body=body,
            max_skew_s=max_skew_s,
        )
    except signing.SignatureError as exc:
        raise Unauthorized(f"The request signature was refused: {exc}.") from exc
    nonces = NonceRepository(session)
    if not await nonces.claim(peer.node_id, signed.nonce):
        raise Unauthorized("The request signature was refused: nonce already used.")
    # A nonce outside the window is refused by its timestamp, so older ones can go.
    await nonces.forget_before(datetime.now(UTC) - timedelta(seconds=2 * max_skew_s))
    return peer, secret


async def read_feed(
    *, session: AsyncSession, peer: Peer, local_node: str, after: int, limit: int
) -> FeedPage:
    """The next changes for `peer`: only what it is shared, never what it originated."""
    rows = await FeedRepository(session).read(
        after=after, limit=limit, exclude_origin=peer.node_id, record_types=list(peer.shares)
    )
    page = rows[:limit]
    changes = [
        FeedChange(
            seq=row.seq,
            record_type=row.record_type,
            record_id=row.record_id,
            origin_node=row.origin_node or local_node,
            version=row.version,
            deleted=row.deleted,
            payload=row.payload,
        )
        for row in page
    ]
    return FeedPage(
        node_id=local_node,
        changes=changes,
        next_cursor=str(page[-1].seq if page else after),
        has_more=len(rows) > limit,
    )


# --- applying a peer's changes ----------------------------------------------------------


async def apply_change(
    *, session: AsyncSession, change: FeedChange, peer: Peer, local_node: str
) -> Outcome:
    """Apply one change idempotently by (origin, record id, version).

    The origin owns a record: this node's own records are never overwritten, a record
    owned by another origin is left alone, and an older or equal version changes nothing.
    Applied changes go on this node's feed in turn, so they travel on down a chain.
    """
    if change.record_type not in peer.accepts or change.origin_node == local_node:
        return "skipped"
    feed = FeedRepository(session)
    known = await feed.latest(change.record_type, change.record_id)
    if known is not None:
        if (known.origin_node or local_node) != change.origin_node:
            return "skipped"
        if known.version >= change.version:
            return "skipped"
    if change.record_type == "knowledge_item":
        done = await _apply_knowledge(session, change)
    else:
        done = await _apply_city(session, change)
    if not done:
        return "skipped"
    await feed.put(
        record_type=change.record_type,
        record_id=change.record_id,
        origin_node=change.origin_node,
        version=change.version,
        payload=change.payload,
    )
    return "deleted" if change.deleted else "applied"


async def _apply_knowledge(session: AsyncSession, change: FeedChange) -> bool:
    repository = KnowledgeRepository(session)
    item = await repository.get(uuid.UUID(change.record_id), for_update=True)
    if item is not None and item.origin_node != change.origin_node:
        return False
    if change.deleted:
        if item is not None:
            await repository.delete(item)
        return True
    record = KnowledgeRecord.model_validate(change.payload)
    fields = record.model_dump(exclude={"id"})
    if item is None:
        await repository.add(
            KnowledgeItem(
                id=record.id,
                origin_node=change.origin_node,
                origin_ref=f"node:{change.origin_node}:{record.id}",
                **fields,
            )
        )
    else:
        for name, value in fields.items():
            setattr(item, name, value)
        await repository.save(item)
    return True


async def _apply_city(session: AsyncSession, change: FeedChange) -> bool:
    repository = CityRepository(session)
    city = await repository.get(change.record_id, for_update=True)
    if city is not None and city.origin_node != change.origin_node:
        return False
    if change.deleted:
        if city is not None:
            await repository.delete(city)
        return True
    record = CityRecord.model_validate(change.payload)
    fields = record.model_dump()
    if city is None:
        await repository.add(City(origin_node=change.origin_node, contacts=[], **fields))
    else:
        for name, value in fields.items():
            setattr(city, name, value)
        city.updated_at = datetime.now(UTC)
        await repository.save(city)
    return True


# --- peers ------------------------------------------------------------------------------


async def add_peer(
    *, session: AsyncSession, sealing_key: str, local_node: str, peer_in: PeerCreate
) -> Peer:
    """Register a peer deployment; its secret is sealed before it is stored."""
    repository = PeerRepository(session)
    if peer_in.node_id == local_node:
        raise Conflict("A node cannot be its own peer.")
    if await repository.get(peer_in.node_id) is not None:
        raise Conflict(f"The peer {peer_in.node_id!r} is already registered.")
    return await repository.add(
        Peer(
            node_id=peer_in.node_id,
            base_url=peer_in.base_url.rstrip("/"),
            secret_sealed=sealing.seal(
                sealing_key, peer_in.node_id, peer_in.secret.get_secret_value()
            ),
            shares=list(peer_in.shares),
            accepts=list(peer_in.accepts),
            enabled=peer_in.enabled,
        )
    )


async def update_peer(
    *,
    session: AsyncSession,
    sealing_key: str,
    node_id: str,
    peer_in: PeerUpdate,
    if_match: str | None,
) -> Peer:
    """Change a peer under `If-Match`: rotate its secret, pause it, change what is exchanged."""
    peer = await PeerRepository(session).get(node_id, for_update=True)
    if peer is None:
        raise NotFound(f"No peer {node_id!r}.")
    require_if_match(if_match, peer.version, "peer")
    changes = peer_in.model_dump(
        exclude_unset=True, exclude_none=True, exclude={"secret", "restart"}
    )
    if "base_url" in changes:
        changes["base_url"] = changes["base_url"].rstrip("/")
    for name, value in changes.items():
        setattr(peer, name, value)
    if peer_in.secret is not None:
        peer.secret_sealed = sealing.seal(sealing_key, node_id, peer_in.secret.get_secret_value())
    if peer_in.restart:
        peer.cursor = None
    peer.version += 1
    await session.flush()
    await session.refresh(peer)
    return peer


async def get_peer(*, session: AsyncSession, node_id: str) -> Peer:
    peer = await PeerRepository(session).get(node_id)
    if peer is None:
        raise NotFound(f"No peer {node_id!r}.")
    return peer
