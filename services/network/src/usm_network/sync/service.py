"""The change feed (what this node serves) and applying a peer's changes (what it takes)."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from usm_network.models import Base, City, IndicatorAggregate, KnowledgeItem, Peer
from usm_network.sync import sealing, signing
from usm_network.sync.repository import (
    FeedEntry,
    FeedRepository,
    NonceRepository,
    PeerRepository,
    SharedRecordRepository,
)
from usm_network.sync.schemas import (
    RECORD_TYPES,
    FeedChange,
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
) -> bytes:
    """The next page of changes for `peer`, as the JSON of a `FeedPage`: only what it is
    shared, never what it originated.

    Entries are served as stored, without validating them again: they were written from
    this node's records or from validated pages, and the receiving peer validates the
    whole page anyway.
    """
    page = await FeedRepository(session).read_page_json(
        after=after,
        limit=limit,
        exclude_origin=peer.node_id,
        record_types=None if set(RECORD_TYPES) <= set(peer.shares) else list(peer.shares),
        local_node=local_node,
    )
    return page.encode()


# --- applying a peer's changes ----------------------------------------------------------


@dataclass(frozen=True)
class SharedKind:
    """How a record type is stored here when it comes from a peer."""

    model: type[Base]
    key: str
    parse_key: Callable[[str], object]
    row: Callable[[FeedChange], dict[str, Any]]
    # Columns set when the copy is first stored and never overwritten by a newer version.
    insert_only: frozenset[str] = frozenset()


# Rows hold the validated records' values as they are (nested models included): the
# repository encodes a page's rows to JSON in one pass.


def _fields(record: BaseModel) -> dict[str, Any]:
    # Not `dict(record)`: it first asks the model for `keys`, which pydantic answers through
    # its slow missing-attribute path, a cost that showed per synced record.
    return {name: getattr(record, name) for name in type(record).model_fields}


def _knowledge_row(change: FeedChange) -> dict[str, Any]:
    return {
        **_fields(change.record),
        "origin_node": change.origin_node,
        "origin_ref": f"node:{change.origin_node}:{change.record_id}",
    }


def _city_row(change: FeedChange) -> dict[str, Any]:
    return {
        **_fields(change.record),
        "origin_node": change.origin_node,
        "contacts": [],
        "updated_at": datetime.now(UTC),
    }


def _aggregate_row(change: FeedChange) -> dict[str, Any]:
    return {
        **_fields(change.record),
        "origin_node": change.origin_node,
        "updated_at": datetime.now(UTC),
    }


SHARED_KINDS: dict[str, SharedKind] = {
    "knowledge_item": SharedKind(
        KnowledgeItem, "id", uuid.UUID, _knowledge_row, frozenset({"origin_ref"})
    ),
    "city": SharedKind(City, "slug", str, _city_row, frozenset({"contacts"})),
    "indicator_aggregate": SharedKind(IndicatorAggregate, "id", uuid.UUID, _aggregate_row),
}


async def apply_page(
    *, session: AsyncSession, changes: list[FeedChange], peer: Peer, local_node: str
) -> list[Outcome]:
    """Apply a page of changes idempotently by (origin, record id, version); one outcome
    per change, in order.

    The origin owns a record: this node's own records are never overwritten, a record
    owned by another origin is left alone, and an older or equal version changes nothing.
    Applied changes go on this node's feed in turn, so they travel on down a chain. A page
    costs a few statements per record type, not a few per record.
    """
    feed = FeedRepository(session)
    known = await feed.latest_many([(c.record_type, c.record_id) for c in changes])
    outcomes: list[Outcome] = ["skipped"] * len(changes)
    # The newest acceptable change of each record (a page normally holds each once).
    chosen: dict[tuple[str, str], int] = {}
    for position, change in enumerate(changes):
        if change.record_type not in peer.accepts or change.origin_node == local_node:
            continue
        record = (change.record_type, change.record_id)
        if record in known:
            origin, version = known[record]
            if (origin or local_node) != change.origin_node or version >= change.version:
                continue
        if record in chosen:
            outcomes[chosen[record]] = "skipped"
        chosen[record] = position
        known[record] = (change.origin_node, change.version)
        outcomes[position] = "deleted" if change.deleted else "applied"
    for record_type, kind in SHARED_KINDS.items():
        positions = [p for (type_, _), p in chosen.items() if type_ == record_type]
        await _apply_kind(session, kind, [changes[p] for p in positions], positions, outcomes)
    await feed.put_many(
        [
            FeedEntry(
                record_type=change.record_type,
                record_id=change.record_id,
                origin_node=change.origin_node,
                version=change.version,
                payload=change.payload,
            )
            for position, change in enumerate(changes)
            if outcomes[position] != "skipped"
        ]
    )
    return outcomes


async def _apply_kind(
    session: AsyncSession,
    kind: SharedKind,
    changes: list[FeedChange],
    positions: list[int],
    outcomes: list[Outcome],
) -> None:
    """Store or delete one record type's chosen changes; a record held here under another
    origin (not on the feed, e.g. a local row) is left alone and its change skipped."""
    repository = SharedRecordRepository(session, kind.model, kind.key)
    keys = [kind.parse_key(change.record_id) for change in changes]
    held = await repository.origins(keys)
    upserts: list[dict[str, Any]] = []
    deletions: list[object] = []
    for change, key, position in zip(changes, keys, positions, strict=True):
        if key in held and held[key] != change.origin_node:
            outcomes[position] = "skipped"
        elif change.deleted:
            deletions.append(key)
        else:
            upserts.append(kind.row(change))
    await repository.delete(deletions)
    await repository.upsert(upserts, insert_only=kind.insert_only)


# --- peers ------------------------------------------------------------------------------


def _sealed_api_key(sealing_key: str, node_id: str, api_key: SecretStr | None) -> bytes | None:
    if api_key is None:
        return None
    return sealing.seal(sealing_key, node_id, api_key.get_secret_value(), "api_key")


async def add_peer(
    *, session: AsyncSession, sealing_key: str, local_node: str, peer_in: PeerCreate
) -> Peer:
    """Register a peer deployment; its secret and API key are sealed before they are stored."""
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
            api_key_sealed=_sealed_api_key(sealing_key, peer_in.node_id, peer_in.api_key),
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
    """Change a peer under `If-Match`: rotate its secret or API key, pause it, change what
    is exchanged."""
    peer = await PeerRepository(session).get(node_id, for_update=True)
    if peer is None:
        raise NotFound(f"No peer {node_id!r}.")
    require_if_match(if_match, peer.version, "peer")
    changes = peer_in.model_dump(
        exclude_unset=True, exclude_none=True, exclude={"secret", "api_key", "restart"}
    )
    if "base_url" in changes:
        changes["base_url"] = changes["base_url"].rstrip("/")
    for name, value in changes.items():
        setattr(peer, name, value)
    if peer_in.secret is not None:
        peer.secret_sealed = sealing.seal(sealing_key, node_id, peer_in.secret.get_secret_value())
    # An explicit `null` removes the key; leaving the field out keeps it.
    if "api_key" in peer_in.model_fields_set:
        peer.api_key_sealed = _sealed_api_key(sealing_key, node_id, peer_in.api_key)
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
