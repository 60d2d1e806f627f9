"""The admission limit, on bare ASGI apps (pure concurrency logic)."""

import asyncio

import httpx
from starlette.types import Message, Receive, Scope, Send

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


def http_scope(path: str) -> Scope:
    return {"type": "http", "method": "POST", "path": path, "headers": []}


async def test_a_slow_upload_or_a_slow_reader_holds_no_turn() -> None:
    """With one turn: a body still arriving, then an answer still being read, do not keep
    another request waiting."""
    bodies: list[bytes] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        bodies.append(message["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        await send({"type": "http.response.body", "body": b"end"})

    limit = AdmissionLimit(app, limit=1)
    body_parts: asyncio.Queue[Message] = asyncio.Queue()
    await body_parts.put({"type": "http.request", "body": b"first", "more_body": True})
    reader_may_go_on = asyncio.Event()
    answering = asyncio.Event()
    answered: list[Message] = []

    async def slow_reader(message: Message) -> None:
        answered.append(message)
        answering.set()
        if message.get("more_body"):
            await reader_may_go_on.wait()

    async def quick_body() -> Message:
        return {"type": "http.request", "body": b"quick", "more_body": False}

    async def quick_reader(message: Message) -> None:
        return None

    uploading = asyncio.create_task(limit(http_scope("/upload"), body_parts.get, slow_reader))
    # The upload has sent part of its body: another request goes through meanwhile (if it
    # had to wait for the upload's turn, it would wait for ever: the bound says so).
    await asyncio.wait_for(limit(http_scope("/quick"), quick_body, quick_reader), 10)
    assert bodies == [b"quick"]
    await body_parts.put({"type": "http.request", "body": b"", "more_body": False})
    # The upload's body is whole; its answer has started and waits for its reader.
    await asyncio.wait_for(answering.wait(), 10)
    await asyncio.wait_for(limit(http_scope("/quick"), quick_body, quick_reader), 10)
    assert bodies == [b"quick", b"first", b"quick"]
    reader_may_go_on.set()
    await uploading
    assert [message["type"] for message in answered] == [
        "http.response.start",
        "http.response.body",
        "http.response.body",
    ]
