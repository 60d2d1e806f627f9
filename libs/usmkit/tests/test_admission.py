"""The admission limit, on a bare ASGI app (pure concurrency logic)."""

import asyncio

import httpx
from starlette.types import Receive, Scope, Send

from usmkit.admission import AdmissionLimit


class Gate:
    """An app whose requests all wait at one gate; it counts how many are inside."""

    def __init__(self) -> None:
        self.inside = 0
        self.most_inside = 0
        self.open = asyncio.Event()
        self.arrived = asyncio.Condition()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with self.arrived:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
            self.arrived.notify_all()
        if scope["path"] != "/healthz":
            await self.open.wait()
        self.inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def until_inside(self, count: int) -> None:
        async with self.arrived:
            await self.arrived.wait_for(lambda: self.inside >= count)


async def test_requests_beyond_the_limit_wait_and_all_are_answered() -> None:
    gate = Gate()
    transport = httpx.ASGITransport(app=AdmissionLimit(gate, limit=3))
    async with httpx.AsyncClient(transport=transport, base_url="http://usm") as client:
        calls = [asyncio.create_task(client.get(f"/api/v1/things/{n}")) for n in range(8)]
        await gate.until_inside(3)
        # Waiting requests have not reached the app; a probe still passes while it is full.
        assert (await client.get("/healthz")).status_code == 200
        assert gate.inside == 3
        gate.open.set()
        answers = await asyncio.gather(*calls)
    assert [answer.status_code for answer in answers] == [200] * 8
    assert gate.most_inside == 3 + 1  # the probe, let in beside the three
