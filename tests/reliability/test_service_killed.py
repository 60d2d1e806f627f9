"""The reports service killed in the middle of a request: the gateway answers 503 promptly as
problem+json, and a retry with the same Idempotency-Key after the restart makes one report."""

import asyncio
import os
import signal
import time
import uuid
from pathlib import Path

import httpx
from tests.reliability.conftest import City, connect, kill, restart, stored_report_ids

from usmdev.stack import Stack
from usmdev.waiting import eventually

# The gateway's connect timeout is 2 s; a dead upstream must not cost more than that.
PROMPT_S = 3.0


def assert_unavailable(response: httpx.Response, elapsed_s: float) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 503
    assert elapsed_s < PROMPT_S, f"answered after {elapsed_s:.1f}s"


async def test_a_killed_service_gives_503_and_a_keyed_retry_makes_one_report(
    fault_stack: Stack, gateway: httpx.AsyncClient, city: City
) -> None:
    headers = {**city.resident, "Idempotency-Key": str(uuid.uuid4())}
    body = city.report(1)
    # Hold the outbox so the intake stops inside its transaction (a keyed request writes in
    # the session's, with its key), in the statement that writes the report and its event,
    # before the commit: a deterministic "mid-request".
    blocker = await connect(fault_stack, "reports")
    # A second connection to look from, outside the blocker's transaction.
    observer = await connect(fault_stack, "reports")
    try:
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("LOCK TABLE outbox IN EXCLUSIVE MODE")
        submitted = asyncio.create_task(gateway.post("/api/v1/reports", json=body, headers=headers))

        async def intake_blocked() -> bool:
            # A lock asked for on the outbox and not granted (the statement's text may be
            # cut short in pg_stat_activity: the intake statement is long).
            waiting = await observer.fetchval(
                "SELECT count(*) FROM pg_locks JOIN pg_class ON pg_class.oid = pg_locks.relation"
                " WHERE pg_class.relname = 'outbox' AND NOT pg_locks.granted"
            )
            return bool(waiting)

        await eventually(intake_blocked, timeout_s=30, what="the intake to wait on the outbox")
        killed_at = time.monotonic()
        kill(fault_stack, "reports")
        assert_unavailable(await submitted, time.monotonic() - killed_at)
        await transaction.rollback()
    finally:
        await observer.close()
        await blocker.close()

    # While it stays down, every call is refused at once too.
    started = time.monotonic()
    refused = await gateway.post("/api/v1/reports", json=body, headers=headers)
    assert_unavailable(refused, time.monotonic() - started)

    await restart(fault_stack, "reports")
    first = await gateway.post("/api/v1/reports", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = await gateway.post("/api/v1/reports", json=body, headers=headers)
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    receipt = first.json()
    assert (again.json()["id"], again.json()["tracking_code"]) == (
        receipt["id"],
        receipt["tracking_code"],
    )
    # The killed attempt left nothing behind: its transaction died with the process.
    assert await stored_report_ids(gateway, city) == [receipt["id"]]
    tracked = await gateway.get(f"/api/v1/reports/track/{receipt['tracking_code']}")
    assert tracked.status_code == 200
    assert tracked.json()["status"] == "submitted"


def unread_bytes(port: int) -> int:
    """Bytes that reached connections to `port` and were not read yet (Linux /proc/net/tcp)."""
    total = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        established = fields[3] == "01"
        if local_port == port and established:
            total += int(fields[4].split(":")[1], 16)
    return total


async def test_a_service_killed_before_it_read_the_request_gives_503(
    fault_stack: Stack, gateway: httpx.AsyncClient, city: City
) -> None:
    """Frozen with the request still unread in its socket, then killed: the kernel resets the
    connection instead of closing it, which the gateway must answer the same way."""
    headers = {**city.resident, "Idempotency-Key": str(uuid.uuid4())}
    body = city.report(2)
    port = fault_stack.layout.service_ports["reports"]
    os.kill(fault_stack.processes["reports"].pid, signal.SIGSTOP)
    submitted = asyncio.create_task(gateway.post("/api/v1/reports", json=body, headers=headers))

    async def request_queued() -> bool:
        return unread_bytes(port) > 0

    try:
        await eventually(request_queued, what="the request to wait in the frozen service's socket")
    finally:
        killed_at = time.monotonic()
        kill(fault_stack, "reports")  # SIGKILL ends a stopped process too
    assert_unavailable(await submitted, time.monotonic() - killed_at)

    await restart(fault_stack, "reports")

    retried = await gateway.post("/api/v1/reports", json=body, headers=headers)
    assert retried.status_code == 201, retried.text
    assert await stored_report_ids(gateway, city) == [retried.json()["id"]]
