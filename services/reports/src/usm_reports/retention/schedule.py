"""The retention purge on a schedule, inside the service process (every
`retention_interval_s`). Several replicas may run it at once: each purge is one UPDATE
that only touches rows still holding a contact, so concurrent runs change nothing twice."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI

from usm_reports.config import ReportsSettings
from usm_reports.retention.service import apply_retention
from usmkit.runtime import ServiceRuntime

logger = logging.getLogger(__name__)
STOP_GRACE_S = 10.0

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


async def run_retention(
    runtime: ServiceRuntime, settings: ReportsSettings, stopping: asyncio.Event
) -> None:
    while not stopping.is_set():
        try:
            async with runtime.database.transaction() as session:
                await apply_retention(session=session, settings=settings, now=datetime.now(UTC))
        except Exception:
            # The loop must outlive a database hiccup; the next tick tries again.
            logger.exception("retention purge failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=settings.retention_interval_s)


def with_retention(
    lifespan: Lifespan, runtime: ServiceRuntime, settings: ReportsSettings
) -> Lifespan:
    """The app's lifespan, plus the retention loop while the app runs."""

    @asynccontextmanager
    async def lifespan_with_retention(app: FastAPI) -> AsyncIterator[Any]:
        async with lifespan(app) as state:
            stopping = asyncio.Event()
            task = asyncio.create_task(
                run_retention(runtime, settings, stopping), name="reports-retention"
            )
            try:
                yield state
            finally:
                stopping.set()
                try:
                    await asyncio.wait_for(task, STOP_GRACE_S)
                except TimeoutError:
                    logger.warning("retention purge did not stop in time; cancelled")

    return lifespan_with_retention
