"""PostgreSQL restarted under running services (one in-process, then the whole stack under
load): `/readyz` tells the truth meanwhile, the services recover without being restarted
themselves, and no accepted write is lost."""

import asyncio
import uuid

import httpx
from tests.reliability.conftest import (
    RECOVERY_TIMEOUT_S,
    City,
    bearer,
    read_topic,
    readyz,
    report_count,
    stored_report_ids,
    wait_settled,
)

from usmdev.catalog import SERVICE_SPECS
from usmdev.postgres import EmbeddedPostgres
from usmdev.pytest_plugin import ServiceFactory, principal
from usmdev.stack import Stack
from usmdev.waiting import eventually
from usmkit.events.topics import DEAD_LETTER_TOPIC

ADMIN = principal(["platform_admin"], ["*"])
RESIDENTS = 3


def city_body(slug: str) -> dict[str, str]:
    return {"slug": slug, "name": slug.title(), "country_code": "ZA", "role": "learning"}


async def test_a_database_restart_is_reported_and_survived(
    usm_service: ServiceFactory, usm_postgres: EmbeddedPostgres
) -> None:
    async with usm_service("network") as network, network.client(ADMIN) as client:
        assert (await client.get("/readyz")).status_code == 200
        assert (
            await client.post("/api/v1/network/cities", json=city_body("durban"))
        ).status_code == 201

        usm_postgres.stop()
        try:
            down = await client.get("/readyz")
            assert down.status_code == 503
            assert down.json()["checks"]["database"].startswith("unavailable")
            refused = await client.post("/api/v1/network/cities", json=city_body("cape-town"))
            assert refused.status_code == 503
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["retry-after"] == "2"
        finally:
            usm_postgres.start()

        async def ready_again() -> httpx.Response | None:
            response = await client.get("/readyz")
            return response if response.status_code == 200 else None

        await eventually(ready_again, timeout_s=30, what="the service to see its database again")
        created = await client.post("/api/v1/network/cities", json=city_body("cape-town"))
        assert created.status_code == 201
        slugs = [c["slug"] for c in (await client.get("/api/v1/network/cities")).json()["items"]]
        assert slugs == ["cape-town", "durban"]


class Intake:
    """Residents submitting reports through the gateway without pause, each answer kept."""

    def __init__(self, gateway: httpx.AsyncClient, city: City) -> None:
        self.gateway = gateway
        self.city = city
        self.accepted: list[str] = []
        self.refused: list[httpx.Response] = []
        self.stopping = asyncio.Event()

    async def resident(self) -> None:
        while not self.stopping.is_set():
            # A new resident each time: the gateway's per-caller rate limit stays out of it.
            who = bearer(["resident"], [self.city.slug], subject=f"resident-{uuid.uuid4()}")
            response = await self.gateway.post(
                "/api/v1/reports",
                json=self.city.report(len(self.accepted)),
                headers={**who, "Idempotency-Key": str(uuid.uuid4())},
            )
            if response.status_code == 201:
                self.accepted.append(response.json()["id"])
            else:
                self.refused.append(response)

    async def accepted_more_than(self, count: int) -> bool:
        return len(self.accepted) > count

    async def refused_some(self) -> bool:
        return bool(self.refused)


async def all_ready(stack: Stack, *, expected: int) -> bool:
    urls = [stack.layout.service_url(spec.name) for spec in SERVICE_SPECS]
    answers = await asyncio.gather(*(readyz(url) for url in [*urls, stack.layout.gateway_url]))
    return all(answer.status_code == expected for answer in answers)


async def test_a_database_restart_under_load_loses_no_accepted_report(
    fault_stack: Stack, gateway: httpx.AsyncClient, city: City
) -> None:
    pids = {name: process.pid for name, process in fault_stack.processes.items()}
    intake = Intake(gateway, city)
    residents = [asyncio.create_task(intake.resident()) for _ in range(RESIDENTS)]
    try:
        await eventually(lambda: intake.accepted_more_than(5), what="intake to be under way")
        await asyncio.to_thread(fault_stack.postgres.stop)
        accepted_before = len(intake.accepted)
        try:
            # Every process says it is not ready, and why, while the database is away.
            await eventually(lambda: all_ready(fault_stack, expected=503), what="all unready")
            for spec in SERVICE_SPECS:
                down = (await readyz(fault_stack.layout.service_url(spec.name))).json()
                assert down["checks"]["database"].startswith("unavailable"), down
            gateway_down = (await readyz(fault_stack.layout.gateway_url)).json()
            assert gateway_down["checks"]["database"].startswith("unavailable"), gateway_down
            assert gateway_down["checks"]["reports"] != "ok", gateway_down
            await eventually(intake.refused_some, what="a report to be refused")
        finally:
            await asyncio.to_thread(fault_stack.postgres.start)
        # The same processes recover on their own.
        await eventually(
            lambda: all_ready(fault_stack, expected=200),
            timeout_s=RECOVERY_TIMEOUT_S,
            what="every process to see the database again",
        )
        await eventually(
            lambda: intake.accepted_more_than(accepted_before + 5),
            timeout_s=RECOVERY_TIMEOUT_S,
            what="intake to accept reports again",
        )
    finally:
        intake.stopping.set()
        await asyncio.gather(*residents)
    assert {name: process.pid for name, process in fault_stack.processes.items()} == pids
    assert all(process.poll() is None for process in fault_stack.processes.values())

    # No accepted report is lost, and each one reaches the indicators count exactly once.
    stored = await stored_report_ids(gateway, city)
    assert set(intake.accepted) <= set(stored)

    await wait_settled(fault_stack, timeout_s=RECOVERY_TIMEOUT_S)
    # A database outage is the platform's failure, not the event's: nothing may be dead-lettered.
    dead_letters = [
        {name: value.decode() for name, value in record.headers}
        for record in await read_topic(fault_stack.broker.bootstrap_servers, DEAD_LETTER_TOPIC)
        if record.key == city.slug.encode()
    ]
    reasons = [
        f"{letter['usm-dlq-consumer']}: {letter['usm-dlq-reason']}" for letter in dead_letters
    ]
    counted = await report_count(gateway, city)
    assert (counted, reasons) == (len(stored), []), (
        f"{counted} counted of {len(stored)} stored; dead letters: {reasons}"
    )
    # Last, so that a lost or doubled report is what a failure shows first: a refusal is a
    # clean 503 the resident can retry, never a server error.
    for response in intake.refused:
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
