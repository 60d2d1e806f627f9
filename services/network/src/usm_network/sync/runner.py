"""Pull a peer's change feed over HTTP and apply it, page by page.

Each page is fetched with a signed request, its signed response is checked and the whole
page validated before anything is applied; the page and the peer's new cursor are then
committed together, so a peer that dies mid-sync leaves a consistent state and the next
run resumes from the last committed cursor. Network failures, timeouts, 5xx answers and
garbage are retried with exponential backoff, then the run is recorded as failed; a
refusal of this node's credentials (401, 403) fails the run at once.
"""

import argparse
import asyncio
import functools
import gc
import logging
import random
import ssl
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from usm_network import SERVICE_NAME
from usm_network.config import NetworkSettings
from usm_network.models import SyncRun, kit_tables
from usm_network.sync import sealing, service, signing
from usm_network.sync.repository import PeerRepository, RunRepository
from usm_network.sync.schemas import FeedPage
from usmkit.db import Database
from usmkit.events.cloudevents import SchemaRegistry
from usmkit.events.outbox import Outbox
from usmkit.problems import NotFound

logger = logging.getLogger(__name__)

FEED_PATH = "/api/v1/network/sync/feed"
API_KEY_HEADER = "X-API-Key"
REFUSALS = frozenset({401, 403})
MAX_PAGES_PER_RUN = 10_000
MAX_ERROR_CHARS = 500


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Loading the CA bundle costs tens of milliseconds: once per process, not per run."""
    return ssl.create_default_context()


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Run a synchronous burst of allocations with Python's cyclic garbage collector held.

    Validating a page creates tens of thousands of objects at once; the collector, counting
    allocations, would traverse them again and again (and the whole process, in full
    collections) while they are being built, which measured as much CPU as the validation
    itself. Nothing else runs meanwhile (no await inside), nothing cyclic is made, and the
    collector resumes as it was afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class PeerFailure(Exception):
    """The peer could not be reached or answered with something unusable."""


class PeerRefused(PeerFailure):
    """The peer (or its gateway) refused this node's credentials: 401 or 403.

    Not retried: a missing or wrong API key, a key without `network:sync`, a wrong secret
    or a paused peer stays so until an operator acts, and hammering a gateway with refused
    credentials only spends its rate limit.
    """


class CursorMoved(Exception):
    """Another run advanced the peer's cursor meanwhile; this run stops."""


@dataclass
class RunCounts:
    pages: int = 0
    received: int = 0
    applied: int = 0
    deleted: int = 0
    skipped: int = 0
    attempts: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PeerTarget:
    node_id: str
    base_url: str
    # Kept out of the repr: a target may end up in a log line or a traceback.
    secret: str = field(repr=False)
    cursor: str
    # For the peer's gateway (`X-API-Key`); None when the peer is called directly.
    api_key: str | None = field(repr=False)


class SyncRunner:
    """Runs syncs from peers into this node's database."""

    def __init__(
        self,
        *,
        database: Database,
        outbox: Outbox,
        settings: NetworkSettings,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.database = database
        self.outbox = outbox
        self.settings = settings
        self.transport = transport

    async def run(self, peer_node_id: str) -> SyncRun:
        """Pull everything new from the peer; the run is recorded whatever happens."""
        started_at = datetime.now(UTC)
        clock = time.monotonic()
        target = await self._target(peer_node_id)
        counts = RunCounts()
        error: str | None = None
        try:
            await self._pull(target, counts)
        except (PeerFailure, CursorMoved) as exc:
            error = str(exc)[:MAX_ERROR_CHARS]
            logger.warning("sync from %s failed: %s", peer_node_id, error)
        duration_ms = int((time.monotonic() - clock) * 1000)
        return await self._record(peer_node_id, started_at, duration_ms, counts, error)

    async def _target(self, peer_node_id: str) -> PeerTarget:
        async with self.database.transaction() as session:
            peer = await PeerRepository(session).get(peer_node_id)
            if peer is None:
                raise NotFound(f"No peer {peer_node_id!r}.")
            secret = sealing.unseal(self._sealing_key, peer.node_id, peer.secret_sealed)
            api_key = (
                None
                if peer.api_key_sealed is None
                else sealing.unseal(self._sealing_key, peer.node_id, peer.api_key_sealed, "api_key")
            )
            return PeerTarget(peer.node_id, peer.base_url, secret, peer.cursor or "0", api_key)

    @property
    def _sealing_key(self) -> str:
        return self.settings.sync_secret_key.get_secret_value()

    async def _pull(self, target: PeerTarget, counts: RunCounts) -> None:
        """Fetch and apply pages in feed order, one page fetched ahead.

        The next page is asked for while this one is applied, so the peer serving it and
        this node validating it overlap with PostgreSQL applying the last one. Applying
        (and committing the cursor) stays strictly in order: a page is only applied after
        the one before it was committed, and a failure leaves the cursor at the last page
        applied, as without the read-ahead.
        """
        cursor = target.cursor
        timeout = httpx.Timeout(self.settings.sync_timeout_s)
        async with httpx.AsyncClient(
            base_url=target.base_url,
            timeout=timeout,
            transport=self.transport,
            verify=_tls_context(),
        ) as client:
            fetching = asyncio.create_task(self._fetch_with_retries(client, target, cursor, counts))
            try:
                for pages_left in range(MAX_PAGES_PER_RUN, 0, -1):
                    page = await fetching
                    if page.has_more and pages_left > 1:
                        fetching = asyncio.create_task(
                            self._fetch_with_retries(client, target, page.next_cursor, counts)
                        )
                    await self._apply(target, cursor, page, counts)
                    counts.pages += 1
                    cursor = page.next_cursor
                    if not page.has_more:
                        return
            finally:
                # A page fetched ahead of a failure (or of the last page) is not applied.
                fetching.cancel()
                await asyncio.gather(fetching, return_exceptions=True)

    async def _fetch_with_retries(
        self, client: httpx.AsyncClient, target: PeerTarget, cursor: str, counts: RunCounts
    ) -> FeedPage:
        attempts = max(1, self.settings.sync_max_attempts)
        for attempt in range(1, attempts + 1):
            counts.attempts += 1
            try:
                return await self._fetch(client, target, cursor)
            except PeerRefused:
                raise
            except PeerFailure:
                if attempt == attempts:
                    raise
            delay = self.settings.sync_backoff_s * 2 ** (attempt - 1)
            await asyncio.sleep(delay * (1 + random.random() / 4))  # noqa: S311 (jitter)
        raise AssertionError("unreachable")

    async def _fetch(self, client: httpx.AsyncClient, target: PeerTarget, cursor: str) -> FeedPage:
        query = urlencode({"cursor": cursor, "limit": self.settings.sync_page_size})
        signed = signing.sign_request(
            secret=target.secret,
            node_id=self.settings.node_id,
            method="GET",
            path=FEED_PATH,
            query=query,
        )
        headers = signed.headers()
        if target.api_key is not None:
            # Through the peer's gateway: it authenticates this node as its `partner_node`
            # client; the peer's network service still checks the signature.
            headers[API_KEY_HEADER] = target.api_key
        try:
            response = await client.get(f"{FEED_PATH}?{query}", headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise PeerFailure(f"{target.node_id} unreachable: {type(exc).__name__}") from exc
        if response.status_code in REFUSALS:
            raise PeerRefused(f"{target.node_id} answered {response.status_code}")
        if response.status_code != 200:
            raise PeerFailure(f"{target.node_id} answered {response.status_code}")
        try:
            signing.verify_response(
                signing.Signed.from_headers(response.headers),
                secret=target.secret,
                expected_node=target.node_id,
                status=response.status_code,
                request_nonce=signed.nonce,
                body=response.content,
                max_skew_s=self.settings.sync_max_clock_skew_s,
            )
        except signing.SignatureError as exc:
            raise PeerFailure(f"{target.node_id} response refused: {exc}") from exc
        try:
            with _without_cyclic_gc():
                page = FeedPage.model_validate_json(response.content)
        except ValidationError as exc:
            raise PeerFailure(
                f"{target.node_id} sent an invalid feed page ({exc.error_count()} errors)"
            ) from exc
        if page.node_id != target.node_id:
            raise PeerFailure(f"{target.node_id} sent a page of {page.node_id}")
        return page

    async def _apply(
        self, target: PeerTarget, cursor: str, page: FeedPage, counts: RunCounts
    ) -> None:
        if not page.changes and page.next_cursor == cursor:
            return  # nothing new: nothing to commit
        async with self.database.transaction() as session:
            peer = await PeerRepository(session).get(target.node_id, for_update=True)
            if peer is None or (peer.cursor or "0") != cursor:
                raise CursorMoved(f"the cursor of {target.node_id} moved during the run")
            outcomes = await service.apply_page(
                session=session, changes=page.changes, peer=peer, local_node=self.settings.node_id
            )
            for outcome in outcomes:
                setattr(counts, outcome, getattr(counts, outcome) + 1)
            counts.received += len(page.changes)
            peer.cursor = page.next_cursor

    async def _record(
        self,
        peer_node_id: str,
        started_at: datetime,
        duration_ms: int,
        counts: RunCounts,
        error: str | None,
    ) -> SyncRun:
        async with self.database.transaction() as session:
            run = SyncRun(
                id=uuid.uuid4(),
                peer_node_id=peer_node_id,
                status="failed" if error else "ok",
                started_at=started_at,
                finished_at=datetime.now(UTC),
                duration_ms=duration_ms,
                pages=counts.pages,
                received=counts.received,
                applied=counts.applied,
                deleted=counts.deleted,
                skipped=counts.skipped,
                attempts=counts.attempts,
                error=error,
            )
            await RunRepository(session).add(run)
            await PeerRepository(session).set_last_run(peer_node_id, run.finished_at)
            await self._announce(session, run)
        return run

    async def _announce(self, session: AsyncSession, run: SyncRun) -> None:
        await self.outbox.record(
            session,
            "sync.completed",
            subject=str(run.id),
            # Sync belongs to the deployment, not a city: the node id is the message key.
            city=self.settings.node_id,
            data={
                "run_id": str(run.id),
                "node_id": self.settings.node_id,
                "peer_node_id": run.peer_node_id,
                "status": run.status,
                "pages": run.pages,
                "received": run.received,
                "applied": run.applied,
                "deleted": run.deleted,
                "skipped": run.skipped,
                "attempts": run.attempts,
                "duration_ms": run.duration_ms,
                "error": run.error,
            },
        )


async def sync_once(peer_node_id: str) -> int:
    """One sync run from a peer, with settings from `USM_NETWORK_*`; 0 when it succeeded."""
    settings = NetworkSettings()
    database = Database(settings.database_url, pool_size=2)
    outbox = Outbox(
        service=SERVICE_NAME,
        tables=kit_tables,
        registry=SchemaRegistry(),
        topic_prefix=settings.kafka_topic_prefix,
    )
    try:
        run = await SyncRunner(database=database, outbox=outbox, settings=settings).run(
            peer_node_id
        )
    finally:
        await database.dispose()
    print(
        f"sync from {peer_node_id}: {run.status} in {run.duration_ms} ms; "
        f"received {run.received}, applied {run.applied}, deleted {run.deleted}, "
        f"skipped {run.skipped}" + (f"; error: {run.error}" if run.error else "")
    )
    return 0 if run.status == "ok" else 1


def main() -> None:
    """`python -m usm_network.sync.runner --peer <node id>`: one sync run now."""
    parser = argparse.ArgumentParser(description="Pull one peer's change feed now.")
    parser.add_argument("--peer", required=True, help="The peer's node id.")
    raise SystemExit(asyncio.run(sync_once(parser.parse_args().peer)))


if __name__ == "__main__":
    main()
