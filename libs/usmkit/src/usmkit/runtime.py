"""A service's process-wide parts and the lifespan that starts and stops them."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession

from usmkit.db import Database
from usmkit.events.cloudevents import SchemaRegistry
from usmkit.events.consumer import ConsumerRunner, Subscription
from usmkit.events.kafka import ProducerHolder
from usmkit.events.outbox import EVENTS_WRITTEN, Outbox
from usmkit.events.relay import OutboxRelay
from usmkit.housekeeping import Expiry, kit_expiries, purge_expired
from usmkit.settings import KitSettings
from usmkit.tables import KitTables

logger = logging.getLogger(__name__)

STOP_GRACE_S = 20.0
# The relay and the consumer each hold at most one connection at a time.
EVENTS_POOL_SIZE = 2


@dataclass(frozen=True)
class Repeated:
    """Work a service does in the background while it runs: at start, then every
    `interval_s` after the previous round ended. Several replicas may run it at once, so the
    work must allow that. A round that fails is logged; the next one tries again."""

    name: str
    interval_s: float
    work: Callable[[], Awaitable[object]]


async def _repeat_until(stopping: asyncio.Event, repeated: Repeated) -> None:
    """The rounds of `repeated`, until `stopping` is set."""
    while not stopping.is_set():
        try:
            await repeated.work()
        except Exception:
            # The loop must outlive a database or broker hiccup.
            logger.exception("%s failed; the next round tries again", repeated.name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=repeated.interval_s)


@dataclass
class Background:
    """The loops a process runs beside its requests (relay, consumer, `Repeated` work),
    named `<label>-<name>`, stopped together: each ends at its next pause once asked, and
    what is still busy after `STOP_GRACE_S` is cancelled."""

    label: str
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def spawn(self, name: str, work: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> None:
        """Run `work(stopping)` until it returns; a crash is logged."""
        task = asyncio.create_task(work(self.stopping), name=f"{self.label}-{name}")
        task.add_done_callback(_report_crash)
        self._tasks.append(task)

    def repeat(self, repeated: Repeated) -> None:
        self.spawn(repeated.name, lambda stopping: _repeat_until(stopping, repeated))

    async def stop(self) -> None:
        self.stopping.set()
        if self._tasks:
            _, busy = await asyncio.wait(self._tasks, timeout=STOP_GRACE_S)
            for task in busy:
                task.cancel()
            for task in busy:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._tasks.clear()
        # Stopped: it may start again.
        self.stopping.clear()


def housekeeping(database: Database, expiries: tuple[Expiry, ...], interval_s: float) -> Repeated:
    """The purge of expired rows of the kit's tables (usmkit.housekeeping), on a schedule."""

    async def purge_now() -> None:
        await purge_expired(database, expiries, now=datetime.now(UTC))

    return Repeated(name="housekeeping", interval_s=interval_s, work=purge_now)


@dataclass
class ServiceRuntime:
    """Everything a running service shares between requests and background tasks."""

    service_name: str
    settings: KitSettings
    tables: KitTables
    subscription: Subscription | None
    registry: SchemaRegistry = field(default_factory=SchemaRegistry)
    database: Database = field(init=False)
    events_database: Database = field(init=False)
    producer: ProducerHolder = field(init=False)
    outbox: Outbox = field(init=False)
    relay: OutboxRelay = field(init=False)
    consumer: ConsumerRunner | None = field(init=False, default=None)
    background: Background = field(init=False)
    _repeated: list[Repeated] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.background = Background(self.service_name)
        self.database = Database(
            self.settings.database_url, pool_size=self.settings.database_pool_size
        )
        # The relay and the consumer have connections of their own: under load, requests
        # queue for the request pool, and events waiting behind them would be late by as
        # long (seen: event lag p50 0.8 s at 200 reports/s).
        self.events_database = Database(self.settings.database_url, pool_size=EVENTS_POOL_SIZE)
        self.producer = ProducerHolder(self.settings, client_id=self.service_name)
        self.outbox = Outbox(
            service=self.service_name,
            tables=self.tables,
            registry=self.registry,
            topic_prefix=self.settings.kafka_topic_prefix,
        )
        self.relay = OutboxRelay(
            service=self.service_name,
            database=self.events_database,
            tables=self.tables,
            producer=self.producer,
            poll_interval_s=self.settings.outbox_poll_interval_s,
        )
        if self.subscription is not None:
            self.consumer = ConsumerRunner(
                service=self.service_name,
                settings=self.settings,
                database=self.events_database,
                tables=self.tables,
                registry=self.registry,
                producer=self.producer,
                subscription=self.subscription,
                on_events_written=self.relay.wake,
            )
        self.repeat(
            housekeeping(
                self.database,
                kit_expiries(self.tables, self.settings),
                self.settings.housekeeping_interval_s,
            )
        )

    @asynccontextmanager
    async def request_transaction(self) -> AsyncIterator[AsyncSession]:
        """A request's transaction (`Database.transaction`); once it committed new outbox
        rows, the relay publishes at once. (Not after reads: an empty poll is four round
        trips.)"""
        async with self.database.transaction() as session:
            yield session
        if session.info.get(EVENTS_WRITTEN):
            self.relay.wake()

    def repeat(self, repeated: Repeated) -> None:
        """Run `repeated` next to the relay and the consumer, from the next start on."""
        self._repeated.append(repeated)

    @property
    def stopping(self) -> bool:
        """The service is stopping: long work should end at its next pause."""
        return self.background.stopping.is_set()

    def start_background(self) -> None:
        self.background.spawn("relay", self.relay.run)
        if self.consumer is not None and self.settings.consumers_enabled:
            self.background.spawn("consumer", self.consumer.run)
        for repeated in self._repeated:
            self.background.repeat(repeated)

    async def stop(self) -> None:
        """Stop the background loops (`Background.stop`), then close the connections."""
        await self.background.stop()
        await self.producer.close()
        await self.database.dispose()
        await self.events_database.dispose()


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("background task %s stopped", task.get_name(), exc_info=task.exception())


def settle_garbage_collection(environment: str) -> None:
    """Once a server process started: leave what start-up built (modules, models,
    compiled statements: about 150,000 objects) out of every later collection, and collect
    the youngest objects after 10,000 net allocations instead of 700.

    Under intake load (reports, 10 s, 2026-11-26) the collector took 0.86 s of the
    process's 8.1 s of CPU: 482 young collections, triggered by the allocations inside one
    request although nearly all of it is freed by reference counting when it ends, and 4
    full ones through the start-up objects, stopping the event loop for up to 121 ms each.
    After: 2 collections, 0.01 s. The gateway's one full collection in 40 s of paced
    intake stopped it for 139 ms, and every request in flight with it.

    Not in tests (`environment` "test"), which start many apps in one process: each must be
    collectable once it stopped."""
    if environment == "test":
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def lifespan_for(runtime: ServiceRuntime) -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = runtime
        runtime.start_background()
        settle_garbage_collection(runtime.settings.environment)
        try:
            yield
        finally:
            await runtime.stop()

    return lifespan


async def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent; a request that
    never uses it (reports intake writing by itself) sends nothing (`Database.transaction`)."""
    runtime = await get_runtime(request)
    async with runtime.request_transaction() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
