"""Sync on a schedule: every `sync_interval_s`, pull each enabled peer in turn.

Runs inside the service process next to the kit's relay and consumer. Several replicas may
run it at once: a page is applied only if the peer's cursor is still the one it was fetched
with, so concurrent runs never apply a page twice or move a cursor backwards.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI

from usm_network.config import NetworkSettings
from usm_network.sync.repository import PeerRepository
from usm_network.sync.runner import SyncRunner
from usmkit.runtime import ServiceRuntime

logger = logging.getLogger(__name__)
STOP_GRACE_S = 10.0

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


async def run_schedule(
    runtime: ServiceRuntime, settings: NetworkSettings, stopping: asyncio.Event
) -> None:
    runner = SyncRunner(database=runtime.database, outbox=runtime.outbox, settings=settings)
    while not stopping.is_set():
        try:
            async with runtime.database.transaction() as session:
                peers = await PeerRepository(session).enabled_ids()
            for node_id in peers:
                if stopping.is_set():
                    return
                await runner.run(node_id)
                runtime.relay.wake()
        except Exception:
            # The loop must outlive a database hiccup; the next tick tries again.
            logger.exception("scheduled sync failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=settings.sync_interval_s)


def with_sync_schedule(
    lifespan: Lifespan, runtime: ServiceRuntime, settings: NetworkSettings
) -> Lifespan:
    """The app's lifespan, plus the sync loop while the app runs."""

    @asynccontextmanager
    async def lifespan_with_sync(app: FastAPI) -> AsyncIterator[Any]:
        async with lifespan(app) as state:
            stopping = asyncio.Event()
            task = asyncio.create_task(run_schedule(runtime, settings, stopping), name="sync")
            try:
                yield state
            finally:
                stopping.set()
                try:
                    await asyncio.wait_for(task, STOP_GRACE_S)
                except TimeoutError:
                    logger.warning("scheduled sync did not stop in time; cancelled")

    return lifespan_with_sync
