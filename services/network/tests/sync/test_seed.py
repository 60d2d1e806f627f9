import asyncio
from typing import Any

import httpx

from usmdev.pytest_plugin import principal
from usmdev.seed_network import seed_network
from usmkit.auth import mint_internal_token


async def test_seed_is_idempotent(network_nodes: Any) -> None:
    async with network_nodes("node-a") as (node,):
        runtime = node.harness.runtime
        token = mint_internal_token(
            principal(["platform_admin"], ["*"], subject="usm-seed"),
            audience="network",
            secret=runtime.settings.internal_jwt_secret.get_secret_value(),
        )

        def run_twice() -> None:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=node.url, headers=headers, timeout=10) as client:
                seed_network(client)
                seed_network(client)

        # As `usm seed` leaves it: the city registered with its bare minimum.
        async with node.admin() as admin:
            bare = {"slug": "durban", "name": "Durban", "country_code": "ZA", "role": "pilot"}
            assert (await admin.post("/api/v1/network/cities", json=bare)).status_code == 201
        await asyncio.to_thread(run_twice)
        async with node.harness.client() as anonymous:
            items = (await anonymous.get("/api/v1/network/knowledge")).json()["items"]
            cities = (await anonymous.get("/api/v1/network/cities")).json()["items"]
            links = (await anonymous.get("/api/v1/network/partnerships")).json()["items"]
        assert len(items) == 2
        assert [city["slug"] for city in cities] == ["ciudad-juarez", "durban"]
        assert len(links) == 1
        durban = next(city for city in cities if city["slug"] == "durban")
        assert (durban["time_zone"], durban["version"]) == ("Africa/Johannesburg", 2)
