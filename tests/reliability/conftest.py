"""Fault injection against real processes: a whole stack with a PostgreSQL server and a broker
of its own, since these tests stop, kill and restart them, and the session's servers are shared
with every other test."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from usm_gateway.config import GatewaySettings
from usm_gateway.identity import mint_dev_token
from usmdev.catalog import SERVICE_SPECS
from usmdev.stack import Stack, StackLayout
from usmdev.waiting import eventually
from usmkit.events.topics import topic_for

# A restarted process or server takes a few seconds on a busy two-core machine; a consumer
# group waits out a killed member's session before it hands its partitions to the new one.
RECOVERY_TIMEOUT_S = 60
CATEGORY = "streetlight"
# How much of each process's log a failure report shows: enough for the last recovery.
LOG_TAIL_BYTES = 6_000
SPECS = {spec.name: spec for spec in SERVICE_SPECS}


@pytest.fixture(scope="session")
def fault_stack(usm_base_dir: Path) -> Iterator[Stack]:
    """Four services and the gateway as processes, on their own PostgreSQL and broker."""
    stack = Stack(StackLayout.on_free_ports(usm_base_dir / "fault-stack"))
    with stack.running():
        yield stack


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed fault test reports the end of every process's log: what a broker or a
    consumer did during the fault is gone once the session's directory is removed."""
    report = yield
    stack = getattr(item, "funcargs", {}).get("fault_stack")
    if report.failed and isinstance(stack, Stack):
        for log in sorted((stack.layout.base_dir / "logs").glob("*.log")):
            with log.open("rb") as file:
                file.seek(max(0, log.stat().st_size - LOG_TAIL_BYTES))
                tail = file.read().decode("utf-8", "replace")
            report.sections.append((f"end of {log.name}", tail))
    return report


@pytest.fixture(autouse=True)
async def whole_stack_afterwards(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """A test that fails half-way may leave a process or server down: bring it back, so that
    the tests after it find a whole stack and fail, if they do, for their own reasons."""
    yield
    if "fault_stack" not in request.fixturenames:
        return
    stack: Stack = request.getfixturevalue("fault_stack")
    if not stack.postgres.is_running():
        stack.postgres.start()
    if stack.broker.process is None:
        stack.broker.start()
    for name in SPECS:
        await revive(stack, name)


@pytest.fixture
async def gateway(fault_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fault_stack.layout.gateway_url, timeout=30) as client:
        yield client


def bearer(roles: list[str], cities: list[str], *, subject: str) -> dict[str, str]:
    """A dev-issuer token, as `usm token` mints them."""
    secret = GatewaySettings().dev_issuer_secret.get_secret_value()
    token = mint_dev_token(secret=secret, subject=subject, roles=roles, cities=cities)
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class City:
    """A member city made for one test, so its counts and reports are that test's alone."""

    slug: str
    admin: dict[str, str]
    analyst: dict[str, str]
    # Each test submits as its own resident: the gateway rate-limits per caller.
    resident: dict[str, str]

    def report(self, number: int) -> dict[str, Any]:
        return {
            "city": self.slug,
            "category_code": CATEGORY,
            "address_string": f"{number} Long Street",
            "description": "The streetlight is out.",
        }


@pytest.fixture
async def city(gateway: httpx.AsyncClient) -> City:
    """A registered city whose reports service already knows it and has a category."""
    slug = f"rel-{uuid.uuid4().hex[:10]}"
    admin = bearer(["platform_admin"], ["*"], subject=f"admin-{slug}")
    registered = await gateway.post(
        "/api/v1/network/cities",
        json={"slug": slug, "name": slug.title(), "country_code": "ZA", "role": "learning"},
        headers=admin,
    )
    assert registered.status_code == 201, registered.text

    async def category_created() -> bool:
        # 422 until city.registered has reached the reports service.
        response = await gateway.post(
            f"/api/v1/reports/cities/{slug}/categories",
            json={
                "code": CATEGORY,
                "names": {"en": "Broken streetlight"},
                "dimension": "personal",
                "sensitivity": "normal",
            },
            headers=admin,
        )
        return response.status_code in (201, 409)

    await eventually(category_created, timeout_s=RECOVERY_TIMEOUT_S, what=f"reports to know {slug}")
    return City(
        slug=slug,
        admin=admin,
        analyst=bearer(["city_analyst"], [slug], subject=f"analyst-{slug}"),
        resident=bearer(["resident"], [slug], subject=f"resident-{slug}"),
    )


async def submit_reports(gateway: httpx.AsyncClient, city: City, count: int) -> list[str]:
    """Submit `count` reports through the gateway, each accepted; returns their ids."""
    report_ids = []
    for number in range(count):
        response = await gateway.post(
            "/api/v1/reports",
            json=city.report(number),
            headers={**city.resident, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 201, response.text
        report_ids.append(str(response.json()["id"]))
    return report_ids


async def report_count(gateway: httpx.AsyncClient, city: City) -> int | None:
    """The indicators service's report-derived count for the city's category; None while
    nothing is counted or while the count is small enough to be suppressed (1 to 4)."""
    response = await gateway.get(
        f"/api/v1/indicators/cities/{city.slug}/report-counts", headers=city.analyst
    )
    assert response.status_code == 200, response.text
    counts = [row["count"] for row in response.json()["items"] if row["category_code"] == CATEGORY]
    return None if not counts or None in counts else sum(counts)


async def stored_report_ids(gateway: httpx.AsyncClient, city: City) -> list[str]:
    """Every report the reports service holds for the city, through the staff list."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params = {"city": city.slug, "limit": "100", **({"cursor": cursor} if cursor else {})}
        response = await gateway.get("/api/v1/reports", params=params, headers=city.admin)
        assert response.status_code == 200, response.text
        page = response.json()
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


def kill(stack: Stack, name: str) -> None:
    """SIGKILL: no graceful shutdown, no final offset commit, connections simply vanish."""
    process = stack.processes[name]
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


async def restart(stack: Stack, name: str) -> None:
    """Start a service process again on its port and wait until it says it is ready."""
    spec = SPECS[name]
    stack.start_process(
        name, spec.app_factory, stack.layout.service_ports[name], stack.service_env(spec)
    )
    await wait_ready(stack.layout.service_url(name), what=f"{name} to be ready again")


async def revive(stack: Stack, name: str) -> None:
    """Restart a service a failed test left dead, so the tests after it find a whole stack."""
    process = stack.processes.get(name)
    if process is None or process.poll() is not None:
        await restart(stack, name)


async def readyz(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(f"{url}/readyz")


async def wait_ready(url: str, *, what: str) -> None:
    async def ready() -> bool:
        try:
            return (await readyz(url)).status_code == 200
        except httpx.TransportError:
            return False

    await eventually(ready, timeout_s=RECOVERY_TIMEOUT_S, what=what)


async def connect(stack: Stack, service: str) -> Any:
    """A plain connection to a service's database, for what only the database can show."""
    return await asyncpg.connect(stack.postgres.url(f"usm_{service}", driver="postgresql"))


async def read_topic(bootstrap_servers: str, topic: str) -> list[ConsumerRecord]:
    """Every record on `topic`, from the beginning up to its end as of this call."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # refreshes metadata so the partitions are known
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []

        async def read_to_end() -> bool:
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                records.extend(batch)
            positions = {p: await consumer.position(p) for p in partitions}
            return all(positions[p] >= ends[p] for p in partitions)

        await eventually(read_to_end, timeout_s=RECOVERY_TIMEOUT_S, what=f"{topic} read to end")
        return records
    finally:
        await consumer.stop()


async def group_offsets(
    bootstrap_servers: str, group: str, topic: str
) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    """What `group` has committed on each partition of `topic` (-1: nothing), and where each
    partition ends."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        found = await admin.list_consumer_group_offsets(group, partitions=partitions)
        committed = {p: found[p].offset if p in found else -1 for p in partitions}
        return committed, ends
    finally:
        await consumer.stop()
        await admin.close()


async def reports_settled(stack: Stack) -> str | None:
    """None when the reports service has published every event it recorded and the
    indicators consumer has committed every one of them (no count can move any more);
    otherwise what is still outstanding."""
    connection = await connect(stack, "reports")
    try:
        backlog = await connection.fetchval(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )
    finally:
        await connection.close()
    if backlog:
        return f"{backlog} events not yet published by reports"
    committed, ends = await group_offsets(
        stack.broker.bootstrap_servers, "indicators", topic_for("reports")
    )
    # -1: the group has committed nothing there, which is caught up on an empty partition.
    behind = {
        p.partition: (committed[p], end) for p, end in ends.items() if max(committed[p], 0) < end
    }
    if behind:
        return f"indicators' committed offset behind the end on partitions {behind}"
    return None


async def wait_settled(stack: Stack, *, timeout_s: float) -> None:
    """Wait until `reports_settled`; a timeout says what was still outstanding."""
    outstanding: list[str | None] = [None]

    async def settled() -> bool:
        outstanding[0] = await reports_settled(stack)
        return outstanding[0] is None

    try:
        await eventually(settled, timeout_s=timeout_s, what="the events to be published and read")
    except TimeoutError as exc:
        raise TimeoutError(f"{exc}; outstanding: {outstanding[0]}") from None
