from typing import Any

from usmdev.waiting import eventually

LIGHTING = {
    "kind": "practice",
    "title": "Lighting walking routes to schools",
    "summary": "Residents mapped dark routes; the city lit them first.",
    "origin_city": "durban",
    "language": "en",
}


async def test_peers_are_pulled_on_a_schedule(network_nodes: Any) -> None:
    async with network_nodes("node-a", "node-b", sync_interval_s=0.1) as (a, b):
        await a.add_peer(b)
        await b.add_peer(a)
        async with a.admin() as client:
            city = {"slug": "durban", "name": "Durban", "country_code": "ZA", "role": "pilot"}
            assert (await client.post("/api/v1/network/cities", json=city)).status_code == 201
            created = await client.post("/api/v1/network/knowledge", json=LIGHTING)
            assert created.status_code == 201

        async def arrived_on_b() -> list[Any] | None:
            async with b.harness.client() as anonymous:
                items: list[Any] = (await anonymous.get("/api/v1/network/knowledge")).json()[
                    "items"
                ]
            return items or None

        [copied] = await eventually(arrived_on_b, timeout_s=10, what="the scheduled sync")
        assert copied["origin_node"] == "node-a"
