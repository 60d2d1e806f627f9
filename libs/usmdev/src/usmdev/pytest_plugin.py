"""pytest plugin: one PostgreSQL server and one broker per session, a fresh database per
test cloned from a migrated template, and in-process services wired to both."""

from __future__ import annotations

import asyncio
import importlib
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from usmdev.broker import EmbeddedBroker
from usmdev.catalog import DATABASE_SPECS, ServiceSpec
from usmdev.postgres import EmbeddedPostgres
from usmdev.stack import free_port, migrate
from usmkit.auth import Principal, mint_internal_token, scopes_for
from usmkit.db import Database, new_metadata
from usmkit.events.cloudevents import CloudEvent, event_type
from usmkit.events.consumer import Subscription
from usmkit.events.topics import ALL_TOPICS
from usmkit.runtime import Repeated, ServiceRuntime
from usmkit.settings import KitSettings
from usmkit.tables import KitTables, define_kit_tables

SPECS = {spec.name: spec for spec in DATABASE_SPECS}


@pytest.fixture(scope="session")
def usm_base_dir() -> Iterator[Path]:
    # Not pytest's tmp dirs: those are private to root, and as root the server runs as
    # another user that must reach its data directory.
    base = Path(tempfile.mkdtemp(prefix="usm-test-"))
    base.chmod(0o755)
    yield base
    # USM_KEEP_TEST_DIR=1 keeps the servers' and processes' logs for a post-mortem.
    if os.environ.get("USM_KEEP_TEST_DIR") == "1":
        print(f"\nUSM test directory kept: {base}")
        return
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def usm_postgres(usm_base_dir: Path) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(usm_base_dir / "pgdata", port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def usm_broker(usm_base_dir: Path) -> Iterator[EmbeddedBroker]:
    broker = EmbeddedBroker(port=free_port(), log_file=usm_base_dir / "broker.log")
    broker.start()
    yield broker
    broker.stop()


class Templates:
    """A migrated template database per service, made once per session on first use."""

    def __init__(self, postgres: EmbeddedPostgres) -> None:
        self.postgres = postgres
        self._made: set[str] = set()

    def name_for(self, service: str) -> str:
        template = f"template_{service}"
        if service not in self._made:
            asyncio.run(self.postgres.create_database(template))
            migrate(SPECS[service], self.postgres.url(template))
            self._made.add(service)
        return template


@pytest.fixture(scope="session")
def usm_templates(usm_postgres: EmbeddedPostgres) -> Templates:
    return Templates(usm_postgres)


DatabaseFactory = Callable[[str], AbstractAsyncContextManager[str]]


@pytest.fixture
def usm_database(usm_postgres: EmbeddedPostgres, usm_templates: Templates) -> DatabaseFactory:
    """`async with usm_database("reports") as url:` a fresh migrated database, dropped after."""

    @asynccontextmanager
    async def make(service: str) -> AsyncIterator[str]:
        # The template is made synchronously (alembic runs its own event loop).
        template = await asyncio.to_thread(usm_templates.name_for, service)
        name = f"test_{service}_{uuid.uuid4().hex[:12]}"
        await usm_postgres.create_database(name, template=template)
        try:
            yield usm_postgres.url(name)
        finally:
            await usm_postgres.drop_database(name)

    return make


@dataclass
class KitDatabase:
    database: Database
    tables: KitTables


@pytest.fixture
async def usm_kit_database(usm_database: DatabaseFactory) -> AsyncIterator[KitDatabase]:
    """A fresh database with the kit's tables, for testing the kit's mechanics alone."""
    # Every service's template carries the kit tables; any one will do.
    async with usm_database("network") as url:
        database = Database(url, pool_size=5)
        try:
            yield KitDatabase(database=database, tables=define_kit_tables(new_metadata()))
        finally:
            await database.dispose()


@pytest.fixture
async def usm_topic_prefix(usm_broker: EmbeddedBroker) -> str:
    """A private set of topics for this test, so no test sees another's events."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    await usm_broker.create_topics(tuple(prefix + topic for topic in ALL_TOPICS))
    return prefix


KitRuntimeFactory = Callable[..., AbstractAsyncContextManager[ServiceRuntime]]


@pytest.fixture
def usm_kit_runtime(
    usm_database: DatabaseFactory, usm_broker: EmbeddedBroker, usm_topic_prefix: str
) -> KitRuntimeFactory:
    """`async with usm_kit_runtime(subscription=..., repeated=[...], **settings) as runtime:`
    the kit's runtime alone, its background loops running, on a fresh database with the kit's
    tables and this test's topics: for testing the kit's background work without a service."""

    @asynccontextmanager
    async def start(
        *,
        subscription: Subscription | None = None,
        repeated: Sequence[Repeated] = (),
        **overrides: Any,
    ) -> AsyncIterator[ServiceRuntime]:
        # Every service's template carries the kit tables; any one will do.
        async with usm_database("network") as url:
            runtime = ServiceRuntime(
                service_name="network",
                settings=KitSettings(
                    environment="test",
                    database_url=url,
                    kafka_bootstrap_servers=usm_broker.bootstrap_servers,
                    kafka_topic_prefix=usm_topic_prefix,
                    **overrides,
                ),
                tables=define_kit_tables(new_metadata()),
                subscription=subscription,
            )
            for work in repeated:
                runtime.repeat(work)
            runtime.start_background()
            try:
                yield runtime
            finally:
                await runtime.stop()

    return start


def principal(
    roles: list[str], cities: list[str] | None = None, subject: str = "tester"
) -> Principal:
    return Principal(
        subject=subject, roles=roles, scopes=sorted(scopes_for(roles)), cities=cities or []
    )


@dataclass
class ServiceHarness:
    """A service running in-process on the session's servers."""

    app: FastAPI
    runtime: ServiceRuntime

    async def deliver(self, event: CloudEvent) -> bool:
        """Hand an event to the service's consumer as the broker would; False if seen before."""
        assert self.runtime.consumer is not None, f"{self.runtime.service_name} consumes nothing"
        return await self.runtime.consumer.handle(event)

    async def deliver_all(self, events: Sequence[CloudEvent]) -> list[CloudEvent]:
        """Hand events of one handler to the consumer together, as a run fetched from one
        partition; returns those not seen before."""
        assert self.runtime.consumer is not None, f"{self.runtime.service_name} consumes nothing"
        return await self.runtime.consumer.handle_all(events)

    async def recorded(self, name: str) -> list[CloudEvent]:
        """The service's events named `name` (`report.submitted`) in its outbox, oldest
        first, each checked against its schema."""
        outbox = self.runtime.tables.outbox
        async with self.runtime.database.sessions() as session:
            envelopes = await session.scalars(
                select(outbox.c.envelope)
                .where(outbox.c.event_type == event_type(self.runtime.service_name, name))
                .order_by(outbox.c.id)
            )
            events = [CloudEvent.model_validate(envelope) for envelope in envelopes]
        for event in events:
            self.runtime.registry.validate(event)
        return events

    def client(self, who: Principal | None = None) -> httpx.AsyncClient:
        """A client calling as `who` (anonymous by default), as the gateway would."""
        caller = who or Principal.anonymous()
        token = mint_internal_token(
            caller,
            audience=self.runtime.service_name,
            secret=self.runtime.settings.internal_jwt_secret.get_secret_value(),
        )
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {token}"},
        )


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


ServiceFactory = Callable[..., AbstractAsyncContextManager[ServiceHarness]]


@pytest.fixture
def usm_service(
    usm_database: DatabaseFactory, usm_broker: EmbeddedBroker, usm_topic_prefix: str
) -> ServiceFactory:
    """`async with usm_service("network", consumers=True) as harness:` a running service."""

    @asynccontextmanager
    async def start(
        service: str, *, consumers: bool = False, **overrides: Any
    ) -> AsyncIterator[ServiceHarness]:
        spec: ServiceSpec = SPECS[service]
        async with usm_database(service) as database_url:
            settings = _load(spec.settings_class)(
                environment="test",
                database_url=database_url,
                database_pool_size=5,
                kafka_bootstrap_servers=usm_broker.bootstrap_servers,
                kafka_topic_prefix=usm_topic_prefix,
                outbox_poll_interval_s=0.05,
                consumer_retry_backoff_s=0.05,
                consumers_enabled=consumers,
                **overrides,
            )
            app: FastAPI = _load(spec.app_factory)(settings)
            async with app.router.lifespan_context(app):
                yield ServiceHarness(app=app, runtime=app.state.runtime)

    return start


GatewayAppFactory = Callable[..., AbstractAsyncContextManager[FastAPI]]
GatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def usm_gateway_app(usm_database: DatabaseFactory) -> GatewayAppFactory:
    """`async with usm_gateway_app({"reports": url}, **settings) as app:` a started gateway app
    (its own fresh database) routing to the given service URLs, e.g. to serve on a port."""
    from usm_gateway.config import GatewaySettings
    from usm_gateway.main import create_app

    @asynccontextmanager
    async def start(urls: dict[str, str], **overrides: Any) -> AsyncIterator[FastAPI]:
        async with usm_database("gateway") as database_url:
            settings = GatewaySettings(
                **{
                    "environment": "test",
                    "database_url": database_url,
                    "service_urls": urls,
                    "dev_issuer_enabled": True,
                    # Generous: a loaded CI machine must not turn a slow answer into a 504.
                    "upstream_timeout_s": 10.0,
                    "max_body_bytes": 1000,
                    "max_bulk_body_bytes": 2000,
                    "api_key_cache_s": 0,
                    **overrides,
                }
            )
            app = create_app(settings)
            async with app.router.lifespan_context(app):
                yield app

    return start


@pytest.fixture
def usm_gateway(usm_gateway_app: GatewayAppFactory) -> GatewayFactory:
    """`async with usm_gateway({"reports": url}, **settings) as client:` a gateway in-process
    (its own fresh database), routing to the given service URLs."""

    @asynccontextmanager
    async def start(urls: dict[str, str], **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        async with (
            usm_gateway_app(urls, **overrides) as app,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gateway"
            ) as client,
        ):
            yield client

    return start
