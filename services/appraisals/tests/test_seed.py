"""The demo data loads through the API and a second run changes nothing."""

import asyncio

import httpx

from usmdev.pytest_plugin import ServiceHarness, principal
from usmdev.seed_appraisals import seed_appraisals

BASE = "/api/v1/appraisals/cities/durban"


class BridgeTransport(httpx.BaseTransport):
    """Lets the synchronous seed client, run in a thread, call the in-process app."""

    def __init__(self, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self.loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        call = self.client.request(
            request.method, request.url.raw_path.decode(), headers=headers, content=request.read()
        )
        response = asyncio.run_coroutine_threadsafe(call, self.loop).result(timeout=30)
        return httpx.Response(
            response.status_code, headers=response.headers, content=response.content
        )


async def test_seed_is_idempotent(appraisals: ServiceHarness) -> None:
    admin = principal(["platform_admin"], ["*"], subject="usm-seed")
    async with appraisals.client(admin) as client:
        transport = BridgeTransport(client, asyncio.get_running_loop())
        with httpx.Client(transport=transport, base_url="http://gateway") as sync_client:
            await asyncio.to_thread(seed_appraisals, sync_client)
            await asyncio.to_thread(seed_appraisals, sync_client)

        groups = (await client.get(f"{BASE}/working-groups")).json()["items"]
        assert len(groups) == 1
        members = (await client.get(f"{BASE}/working-groups/{groups[0]['id']}/members")).json()
        assert len(members["items"]) == 6
        appraisals_listed = (await client.get(f"{BASE}/appraisals")).json()["items"]
        assert [item["status"] for item in appraisals_listed] == ["finalized"]
        plans = (await client.get(f"{BASE}/plans")).json()["items"]
        assert [plan["status"] for plan in plans] == ["active"]
        progress = (await client.get(f"{BASE}/plans/{plans[0]['id']}/progress")).json()
        # Lighting (450000 ZAR) at 40%, walking groups (50000 ZAR) at 0%: 36% budget-weighted.
        assert (progress["progress"], progress["weighting"]) == (36.0, "budget")
