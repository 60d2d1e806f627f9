"""Network deployments side by side: each with its own database, served on a real port."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal
from usmdev.servers import serve

ADMIN = principal(["platform_admin"], ["*"], subject="node-admin")
SHARED_SECRET = "a-shared-secret-for-tests-0123456789abcdef"


@dataclass
class Node:
    """One network deployment: its in-process harness and the URL peers call it on."""

    node_id: str
    harness: ServiceHarness
    url: str

    def admin(self) -> httpx.AsyncClient:
        return self.harness.client(ADMIN)

    async def add_peer(self, other: "Node", *, secret: str = SHARED_SECRET, **fields: Any) -> None:
        async with self.admin() as client:
            response = await client.post(
                "/api/v1/network/peers",
                json={"node_id": other.node_id, "base_url": other.url, "secret": secret, **fields},
            )
            assert response.status_code == 201, response.text

    async def sync_from(self, other: "Node") -> dict[str, Any]:
        async with self.admin() as client:
            response = await client.post(f"/api/v1/network/peers/{other.node_id}/sync")
        assert response.status_code == 200, response.text
        run: dict[str, Any] = response.json()
        return run


NodesFactory = Callable[..., AbstractAsyncContextManager[list[Node]]]


@pytest.fixture
def network_nodes(usm_service: ServiceFactory) -> NodesFactory:
    """`async with network_nodes("node-a", "node-b") as (a, b):` deployments on real ports."""

    @asynccontextmanager
    async def start(*node_ids: str, **overrides: Any) -> AsyncIterator[list[Node]]:
        settings = {"sync_backoff_s": 0.01, "sync_timeout_s": 2.0, **overrides}
        async with AsyncExitStack() as stack:
            nodes: list[Node] = []
            for node_id in node_ids:
                harness = await stack.enter_async_context(
                    usm_service("network", node_id=node_id, **settings)
                )
                url = await stack.enter_async_context(serve(harness.app))
                nodes.append(Node(node_id=node_id, harness=harness, url=url))
            yield nodes

    return start


@pytest.fixture
def serve_app() -> Callable[[ASGIApp], AbstractAsyncContextManager[str]]:
    """Serve any ASGI app on a real port (e.g. a misbehaving peer)."""
    return serve
