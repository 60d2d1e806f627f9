import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pydantic_core
from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    String,
    Table,
    Text,
    cast,
    column,
    delete,
    func,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import ColumnElement, TableValuedAlias

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


def _incoming(table: Table, rows: Sequence[Mapping[str, Any]]) -> TableValuedAlias:
    """`rows` (dicts of the same keys: column names) as a set of rows typed like the table's
    columns, read by PostgreSQL from one JSON parameter.

    One parameter for a whole page: encoding it is one call into pydantic-core (which takes
    validated models as they are), where binding every value of every row, each JSONB value
    encoded by the standard library, cost more than the statements themselves.
    """
    names = list(rows[0])
    document = cast(literal(pydantic_core.to_json(list(rows)).decode(), Text), JSONB)
    return (
        func.jsonb_to_recordset(document)
        .table_valued(*(column(name, table.c[name].type) for name in names))
        .render_derived(name="incoming", with_types=True)
    )


@dataclass(frozen=True)
class FeedEntry:
    record_type: str
    record_id: str
    origin_node: str | None
    version: int
    # The record as validated (a model or its JSON-ready dict); None for a tombstone.
    payload: BaseModel | dict[str, Any] | None


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
            .where(self._is_one_of(keys))
            .with_for_update()
        )
        return {row[0]: row[1] for row in (await self.session.execute(query)).all()}

    def _is_one_of(self, keys: Sequence[object]) -> ColumnElement[bool]:
        # One parameter, not one per key: SQLAlchemy names and binds each member of an
        # IN list anew for every page, which cost more than the query.
        incoming = _incoming(_table(self.model), [{self.key_name: key} for key in keys])
        return self.key.in_(select(incoming))  # type: ignore[no-any-return]

    async def upsert(self, rows: Sequence[dict[str, Any]], *, insert_only: frozenset[str]) -> None:
        """Insert the rows, or update the held ones (leaving `insert_only` columns alone)."""
        if not rows:
            return
        table = _table(self.model)
        incoming = _incoming(table, rows)
        statement = insert(table).from_select(list(incoming.c.keys()), select(incoming))
        updated = set(rows[0]) - insert_only - {self.key_name}
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[self.key_name],
                set_={name: statement.excluded[name] for name in sorted(updated)},
            )
        )

    async def delete(self, keys: Sequence[object]) -> None:
        if keys:
            await self.session.execute(delete(self.model).where(self._is_one_of(keys)))


def _is_one_of(pairs: Sequence[tuple[str, str]]) -> ColumnElement[bool]:
    """The feed entry is one of these (record type, record id) pairs.

    A literal list of pairs (`IN ((..), (..), ...)`) is checked pair by pair against every
    entry of the feed; a set joined on the unique index is not.
    """
    incoming = _incoming(
        _table(SyncChange),
        [{"record_type": record_type, "record_id": record_id} for record_type, record_id in pairs],
    )
    return tuple_(SyncChange.record_type, SyncChange.record_id).in_(select(incoming))


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
                _is_one_of([(entry.record_type, entry.record_id) for entry in entries])
            )
        )
        incoming = _incoming(
            _table(SyncChange),
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
        # The rows come out of the JSON array in its order, so `seq` follows `entries`.
        await self.session.execute(
            insert(_table(SyncChange)).from_select(list(incoming.c.keys()), select(incoming))
        )

    async def latest_many(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[str | None, int]]:
        """(origin node, version) of the feed's entry for each (record type, record id) held."""
        if not keys:
            return {}
        query = select(
            SyncChange.record_type, SyncChange.record_id, SyncChange.origin_node, SyncChange.version
        ).where(_is_one_of(keys))
        rows = (await self.session.execute(query)).all()
        return {(row[0], row[1]): (row[2], row[3]) for row in rows}

    async def read_page_json(
        self,
        *,
        after: int,
        limit: int,
        exclude_origin: str,
        record_types: list[str] | None,
        local_node: str,
    ) -> str:
        """The feed page after `after` as JSON text (a `FeedPage`), leaving out what
        `exclude_origin` owns and, unless `record_types` is None (all), other record types;
        this node's own entries carry `local_node` as their origin.

        PostgreSQL writes the JSON: the stored payloads go out as they are, never decoded
        into Python objects and encoded again (that cost more than the rest of serving).
        """
        conditions = [
            SyncChange.seq > after,
            or_(SyncChange.origin_node.is_(None), SyncChange.origin_node != exclude_origin),
        ]
        if record_types is not None:
            # Only when needed: with statistics not yet updated after a bulk write, this
            # condition leads the planner to the (record_type, record_id) index and a sort
            # of the whole rest of the feed for every page, instead of walking `seq`.
            conditions.append(SyncChange.record_type.in_(record_types))
        page_and_one_more = (
            select(
                SyncChange.seq,
                SyncChange.record_type,
                SyncChange.record_id,
                SyncChange.origin_node,
                SyncChange.version,
                SyncChange.deleted,
                SyncChange.payload,
            )
            .where(*conditions)
            .order_by(SyncChange.seq)
            # One row past the page tells whether there is more.
            .limit(limit + 1)
            .subquery()
        )
        # Numbered after the LIMIT, so only those rows are numbered (a window function below
        # the LIMIT would need every later entry of the feed sorted first).
        candidates = select(
            page_and_one_more,
            func.row_number().over(order_by=page_and_one_more.c.seq).label("position"),
        ).subquery()
        in_page = candidates.c.position <= limit
        change = func.json_build_object(
            "seq",
            candidates.c.seq,
            "record_type",
            candidates.c.record_type,
            "record_id",
            candidates.c.record_id,
            "origin_node",
            func.coalesce(candidates.c.origin_node, cast(literal(local_node), String)),
            "version",
            candidates.c.version,
            "deleted",
            candidates.c.deleted,
            "payload",
            candidates.c.payload,
        )
        page = func.json_build_object(
            "node_id",
            cast(literal(local_node), String),
            "changes",
            func.coalesce(
                func.json_agg(aggregate_order_by(change, candidates.c.seq)).filter(in_page),
                cast(literal("[]"), JSON),
            ),
            "next_cursor",
            cast(func.coalesce(func.max(candidates.c.seq).filter(in_page), after), String),
            "has_more",
            func.count() > limit,
        )
        text = await self.session.scalar(select(cast(page, Text)).select_from(candidates))
        assert text is not None  # an aggregate without GROUP BY always has its one row
        return text


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

    async def set_last_run(self, node_id: str, finished_at: datetime) -> None:
        """One statement, no read first: every run, an empty one too, ends with it."""
        await self.session.execute(
            update(Peer).where(Peer.node_id == node_id).values(last_run_at=finished_at)
        )

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
