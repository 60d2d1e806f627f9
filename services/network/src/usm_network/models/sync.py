import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Identity,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from usm_network.models import Base


class Peer(Base):
    """Another USM deployment this one exchanges records with."""

    __tablename__ = "peers"

    node_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    base_url: Mapped[str] = mapped_column(String(500))
    # The shared HMAC secret, sealed with AES-GCM under the service's sync key; never returned.
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # The API key the peer's gateway issued to this node (`partner_node`), sealed likewise;
    # sent as `X-API-Key` when set, never returned. Null: the peer is called directly.
    api_key_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    shares: Mapped[list[str]] = mapped_column(ARRAY(String(30)))
    accepts: Mapped[list[str]] = mapped_column(ARRAY(String(30)))
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    # How far this node has pulled the peer's feed.
    cursor: Mapped[str | None] = mapped_column(String(100))
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped by administrative changes (the ETag), not by sync runs moving the cursor.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def has_api_key(self) -> bool:
        return self.api_key_sealed is not None


class SyncChange(Base):
    """The change feed: the latest version (or tombstone) of every shared record, in the
    order of `seq`. A record's new version replaces its row and takes a new `seq`."""

    __tablename__ = "sync_changes"
    __table_args__ = (UniqueConstraint("record_type", "record_id"),)

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[str] = mapped_column(String(100))
    # Null for this deployment's own records (its node id is filled in when served).
    origin_node: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SyncNonce(Base):
    """Nonces of signed feed requests seen recently: a replay is refused."""

    __tablename__ = "sync_nonces"
    __table_args__ = (PrimaryKeyConstraint("node_id", "nonce"),)

    node_id: Mapped[str] = mapped_column(String(100))
    nonce: Mapped[str] = mapped_column(String(100))
    seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )


class SyncRun(Base):
    """One pull from a peer: what came, what was applied, how long it took, what failed."""

    __tablename__ = "sync_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    peer_node_id: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(10))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer)
    applied: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
