"""The demo data loads through the API and a second run changes nothing."""

import asyncio
import json

import httpx

from usmdev.pytest_plugin import ServiceHarness, principal
from usmdev.seed_appraisals import MEMBERS, seed_appraisals

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
        templates = (await client.get(f"{BASE}/appraisal-templates")).json()["items"]
        assert [len(template["sections"]) for template in templates] == [7]
        appraisals_listed = (await client.get(f"{BASE}/appraisals")).json()["items"]
        assert [item["status"] for item in appraisals_listed] == ["finalized"]
        assert appraisals_listed[0]["template_id"] == templates[0]["id"]
        plans = (await client.get(f"{BASE}/plans")).json()["items"]
        assert [plan["status"] for plan in plans] == ["active"]
        progress = (await client.get(f"{BASE}/plans/{plans[0]['id']}/progress")).json()
        # Lighting (450000 ZAR) at 40%, walking groups (50000 ZAR) at 0%: 36% budget-weighted.
        assert (progress["progress"], progress["weighting"]) == (36.0, "budget")

        # Member personal data never leaves through events, exports or public reads.
        personal = [
            value
            for member in MEMBERS
            for value in (member["name"], *member.get("contact", {}).values())
        ]
        outbox = appraisals.runtime.tables.outbox
        async with appraisals.runtime.database.sessions() as session:
            envelopes = [json.dumps(row.envelope) for row in await session.execute(outbox.select())]
        assert {json.loads(envelope)["type"] for envelope in envelopes} >= {
            "org.usm.appraisals.appraisal.finalized.v1",
            "org.usm.appraisals.plan.published.v1",
            "org.usm.appraisals.action.progressed.v1",
        }
        plan_url = f"{BASE}/plans/{plans[0]['id']}"
        exports = [
            (await client.get(f"{plan_url}/export.{extension}")).text
            for extension in ("html", "csv")
        ]
        for text in (*envelopes, *exports):
            for value in personal:
                assert value not in text
    async with appraisals.client() as anonymous:
        for path in ("working-groups", "appraisals", "plans", "signals", "appraisal-templates"):
            assert (await anonymous.get(f"{BASE}/{path}")).status_code == 403
