"""PostgreSQL restarted under a running service: `/readyz` tells the truth meanwhile, and the
service recovers without being restarted itself."""

import httpx

from usmdev.postgres import EmbeddedPostgres
from usmdev.pytest_plugin import ServiceFactory, principal
from usmdev.waiting import eventually

ADMIN = principal(["platform_admin"], ["*"])


def city(slug: str) -> dict[str, str]:
    return {"slug": slug, "name": slug.title(), "country_code": "ZA", "role": "learning"}


async def test_a_database_restart_is_reported_and_survived(
    usm_service: ServiceFactory, usm_postgres: EmbeddedPostgres
) -> None:
    async with usm_service("network") as network, network.client(ADMIN) as client:
        assert (await client.get("/readyz")).status_code == 200
        assert (await client.post("/api/v1/network/cities", json=city("durban"))).status_code == 201

        usm_postgres.stop()
        try:
            down = await client.get("/readyz")
            assert down.status_code == 503
            assert down.json()["checks"]["database"].startswith("unavailable")
            refused = await client.post("/api/v1/network/cities", json=city("cape-town"))
            assert refused.status_code == 503
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["retry-after"] == "2"
        finally:
            usm_postgres.start()

        async def ready_again() -> httpx.Response | None:
            response = await client.get("/readyz")
            return response if response.status_code == 200 else None

        await eventually(ready_again, timeout_s=30, what="the service to see its database again")
        created = await client.post("/api/v1/network/cities", json=city("cape-town"))
        assert created.status_code == 201
        slugs = [c["slug"] for c in (await client.get("/api/v1/network/cities")).json()["items"]]
        assert slugs == ["cape-town", "durban"]
