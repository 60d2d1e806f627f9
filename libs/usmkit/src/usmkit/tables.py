"""Tables every service carries: outbox, inbox and idempotency keys.

They are defined once here and attached to each service's own metadata, so every
service keeps them in its own database and its own migrations create them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Identity,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from usmkit.db import new_metadata


@dataclass(frozen=True)
class KitTables:
    outbox: Table
    inbox: Table
    idempotency_keys: Table


def define_kit_tables(metadata: MetaData) -> KitTables:
    """Attach the kit's tables to a service's metadata."""
    outbox = Table(
        "outbox",
        metadata,
        # The relay publishes visible rows in id order (docs/decisions.md, causal order).
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("message_key", String(200), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("envelope", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(100), nullable=False),
        Column("event_id", Uuid, nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id"),
    )
    return KitTables(
        outbox=outbox, inbox=inbox, idempotency_keys=define_idempotency_table(metadata)
    )


def define_idempotency_table(metadata: MetaData) -> Table:
    """Stored answers of `Idempotency-Key` requests (see usmkit.idempotency)."""
    # Neither the key nor the response is stored in the clear: the row is found by the key's
    # hash and the response is sealed with a key derived from the Idempotency-Key itself, so
    # only a caller presenting the key can read it (responses may hold secrets such as
    # tracking codes).
    return Table(
        "idempotency_keys",
        metadata,
        Column("scope", String(300), nullable=False),
        Column("key_hash", String(64), nullable=False),
        Column("request_hash", String(64), nullable=False),
        Column("response_sealed", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("scope", "key_hash"),
    )


def create_kit_tables(connection: Connection) -> None:
    """Create the kit's tables; called from each service's first migration."""
    metadata = new_metadata()
    define_kit_tables(metadata)
    metadata.create_all(connection)


def drop_kit_tables(connection: Connection) -> None:
    metadata = new_metadata()
    define_kit_tables(metadata)
    metadata.drop_all(connection)
