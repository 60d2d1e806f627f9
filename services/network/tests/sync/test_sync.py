"""Real deployments side by side over real HTTP (directly and through a gateway): what
crosses, what does not, and how."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidTag
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from usm_gateway.identity import mint_dev_token
from usm_network.sync import sealing, signing
from usm_network.sync.schemas import FeedPage
from usmdev.pytest_plugin import GatewayAppFactory, principal
from usmdev.servers import serve
from usmkit.settings import DEVELOPMENT_SECRET

FEED = "/api/v1/network/sync/feed"
SECRET = "a-shared-secret-for-tests-0123456789abcdef"
DURBAN = {
    "slug": "durban",
    "name": "Durban (eThekwini)",
    "country_code": "ZA",
    "role": "pilot",
    "time_zone": "Africa/Johannesburg",
    "contacts": [{"name": "Safer Cities Unit", "email": "safer@example.org"}],
}
LIGHTING = {
    "kind": "practice",
    "title": "Lighting walking routes to schools",
    "summary": "Residents mapped dark routes; the city lit them first.",
    "body": "- Night walks with parents",
    "dimensions": ["personal"],
    "tags": ["lighting"],
    "origin_city": "durban",
    "language": "en",
}


async def share(node: Any, item: dict[str, Any], city: dict[str, Any] = DURBAN) -> dict[str, Any]:
    async with node.admin() as client:
        if (await client.get(f"/api/v1/network/cities/{city['slug']}")).status_code == 404:
            registered = await client.post("/api/v1/network/cities", json=city)
            assert registered.status_code == 201, registered.text
        created = await client.post("/api/v1/network/knowledge", json=item)
        assert created.status_code == 201, created.text
        body: dict[str, Any] = created.json()
        return body


async def knowledge(node: Any) -> list[dict[str, Any]]:
    async with node.harness.client() as anonymous:
        items: list[dict[str, Any]] = (await anonymous.get("/api/v1/network/knowledge")).json()[
            "items"
        ]
        return items


def signed_get(
    url: str, *, node_id: str, secret: str = SECRET, query: str = "cursor=0&limit=50", **kw: Any
) -> tuple[str, dict[str, str]]:
    signed = signing.sign_request(
        secret=secret, node_id=node_id, method="GET", path=FEED, query=query, **kw
    )
    return f"{url}{FEED}?{query}", signed.headers()


async def test_items_edits_and_deletions_on_a_reach_b(network_nodes: Any) -> None:
    async with network_nodes("node-a", "node-b") as (a, b):
        await a.add_peer(b)
        await b.add_peer(a)
        item = await share(a, LIGHTING)

        run = await b.sync_from(a)
        assert (run["status"], run["received"], run["applied"]) == ("ok", 2, 2), run
        [copied] = await knowledge(b)
        assert (copied["id"], copied["origin_node"], copied["version"]) == (item["id"], "node-a", 1)
        async with b.admin() as client:
            city = await client.get("/api/v1/network/cities/durban")
            assert city.json()["origin_node"] == "node-a"
            assert "safer@example.org" not in city.text
            # Records synced from A are A's to change.
            refused = await client.patch(
                f"/api/v1/network/knowledge/{item['id']}",
                json={"title": "Mine now"},
                headers={"If-Match": '"1"'},
            )
            assert refused.status_code == 409

        async with a.admin() as client:
            edited = await client.patch(
                f"/api/v1/network/knowledge/{item['id']}",
                json={"title": "Safer school routes"},
                headers={"If-Match": '"1"'},
            )
            assert edited.status_code == 200
        run = await b.sync_from(a)
        assert (run["received"], run["applied"]) == (1, 1)
        [copied] = await knowledge(b)
        assert (copied["title"], copied["version"]) == ("Safer school routes", 2)

        nothing_new = await b.sync_from(a)
        assert (nothing_new["status"], nothing_new["received"]) == ("ok", 0)

        async with a.admin() as client:
            withdrawn = await client.delete(
                f"/api/v1/network/knowledge/{item['id']}", headers={"If-Match": '"2"'}
            )
            assert withdrawn.status_code == 204
        run = await b.sync_from(a)
        assert (run["received"], run["deleted"]) == (1, 1)
        assert await knowledge(b) == []

        outbox = b.harness.runtime.tables.outbox
        async with b.harness.runtime.database.sessions() as session:
            rows = (await session.execute(outbox.select().order_by(outbox.c.id))).all()
        completed = [row for row in rows if row.event_type.endswith("sync.completed.v1")]
        assert [row.envelope["data"]["status"] for row in completed] == ["ok"] * 4


async def test_b_never_sends_a_its_own_records_back(network_nodes: Any) -> None:
    async with network_nodes("node-a", "node-b") as (a, b):
        await a.add_peer(b)
        await b.add_peer(a)
        await share(a, LIGHTING)
        await b.sync_from(a)
        cape_town = {**DURBAN, "slug": "cape-town", "name": "Cape Town"}
        await share(
            b, {**LIGHTING, "origin_city": "cape-town", "title": "Taxi rank wardens"}, cape_town
        )

        run = await a.sync_from(b)
        # Only B's own city and item come back; A's records synced to B do not.
        assert (run["received"], run["applied"]) == (2, 2), run
        origins = sorted((item["title"], item["origin_node"]) for item in await knowledge(a))
        assert origins == [
            ("Lighting walking routes to schools", None),
            ("Taxi rank wardens", "node-b"),
        ]
        async with httpx.AsyncClient() as client:
            url, headers = signed_get(b.url, node_id="node-a")
            page = (await client.get(url, headers=headers)).json()
        assert {change["origin_node"] for change in page["changes"]} == {"node-b"}


async def test_the_feed_is_served_in_pages_after_the_cursor(network_nodes: Any) -> None:
    async with network_nodes("node-a") as (a,):
        await a.add_peer(type("Peer", (), {"node_id": "node-b", "url": "http://127.0.0.1:9"})())
        await share(a, LIGHTING)
        await share(a, {**LIGHTING, "title": "Market wardens"})

        async def page(cursor: str, limit: int) -> FeedPage:
            async with httpx.AsyncClient() as client:
                url, headers = signed_get(
                    a.url, node_id="node-b", query=f"cursor={cursor}&limit={limit}"
                )
                response = await client.get(url, headers=headers)
            assert response.status_code == 200, response.text
            return FeedPage.model_validate_json(response.content)

        first = await page("0", 2)
        assert (first.node_id, first.has_more, len(first.changes)) == ("node-a", True, 2)
        assert first.next_cursor == str(first.changes[-1].seq)
        second = await page(first.next_cursor, 2)
        assert (second.has_more, len(second.changes)) == (False, 1)
        changes = first.changes + second.changes
        assert [change.record_type for change in changes] == [
            "city",
            "knowledge_item",
            "knowledge_item",
        ]
        assert sorted(change.seq for change in changes) == [change.seq for change in changes]
        # This node's own records go out under its node id, each with its typed record.
        assert {change.origin_node for change in changes} == {"node-a"}
        assert [change.record.record_id for change in changes] == [
            change.record_id for change in changes
        ]
        # A page exactly as long as what is left has nothing more; past the end, the
        # cursor stays where it is.
        whole = await page("0", 3)
        assert (whole.has_more, [c.seq for c in whole.changes]) == (False, [c.seq for c in changes])
        end = await page(second.next_cursor, 2)
        assert (end.changes, end.has_more, end.next_cursor) == ([], False, second.next_cursor)


async def test_three_node_chain_converges(network_nodes: Any) -> None:
    async with network_nodes("node-a", "node-b", "node-c") as (a, b, c):
        await a.add_peer(b)
        await b.add_peer(a)
        await b.add_peer(c)
        await c.add_peer(b)
        item = await share(a, LIGHTING)
        await b.sync_from(a)
        run = await c.sync_from(b)
        assert (run["received"], run["applied"]) == (2, 2)
        [copied] = await knowledge(c)
        assert (copied["id"], copied["origin_node"]) == (item["id"], "node-a")

        async with a.admin() as client:
            await client.delete(
                f"/api/v1/network/knowledge/{item['id']}", headers={"If-Match": '"1"'}
            )
        await b.sync_from(a)
        run = await c.sync_from(b)
        assert run["deleted"] == 1
        assert await knowledge(c) == []
        # C pulling again from B, and B from C, changes nothing: every node has converged.
        assert (await c.sync_from(b))["applied"] == 0
        assert (await b.sync_from(c))["applied"] == 0


async def test_tampered_replayed_stale_and_unknown_requests_are_refused(
    network_nodes: Any,
) -> None:
    async with network_nodes("node-a") as (a,):
        await a.add_peer(type("Peer", (), {"node_id": "node-b", "url": "http://127.0.0.1:9"})())
        async with httpx.AsyncClient() as client:
            url, headers = signed_get(a.url, node_id="node-b")
            first = await client.get(url, headers=headers)
            assert first.status_code == 200, first.text
            assert first.headers[signing.NODE_HEADER] == "node-a"
            signing.verify_response(
                signing.Signed.from_headers(first.headers),
                secret=SECRET,
                expected_node="node-a",
                status=200,
                request_nonce=headers[signing.NONCE_HEADER],
                body=first.content,
                max_skew_s=300,
            )

            replayed = await client.get(url, headers=headers)
            assert replayed.status_code == 401
            assert "nonce" in replayed.json()["detail"]

            url, headers = signed_get(a.url, node_id="node-b")
            tampered = await client.get(url.replace("limit=50", "limit=51"), headers=headers)
            assert tampered.status_code == 401

            url, headers = signed_get(a.url, node_id="node-b", at=time.time() - 301)
            assert (await client.get(url, headers=headers)).status_code == 401

            url, headers = signed_get(a.url, node_id="node-b", secret="x" * 40)
            assert (await client.get(url, headers=headers)).status_code == 401

            url, headers = signed_get(a.url, node_id="node-z")
            assert (await client.get(url, headers=headers)).status_code == 401

            assert (await client.get(f"{a.url}{FEED}")).status_code == 401

        async with a.harness.client(principal(["city_analyst"], ["durban"])) as analyst:
            url, headers = signed_get("", node_id="node-b")
            assert (await analyst.get(url, headers=headers)).status_code == 403
        async with a.harness.client(principal(["partner_node"])) as partner:
            url, headers = signed_get("", node_id="node-b")
            assert (await partner.get(url, headers=headers)).status_code == 200


async def garbage(request: Request) -> JSONResponse:
    return JSONResponse({"node_id": "node-x", "changes": [{"seq": "lots"}]})


async def test_a_peer_that_is_down_or_sends_garbage_changes_nothing(
    network_nodes: Any, serve_app: Any
) -> None:
    async with network_nodes("node-b", sync_max_attempts=3) as (b,):
        await share(b, LIGHTING)
        before = await knowledge(b)
        down = type("Peer", (), {"node_id": "node-down", "url": "http://127.0.0.1:9"})()
        await b.add_peer(down)
        run = await b.sync_from(down)
        assert (run["status"], run["attempts"], run["applied"]) == ("failed", 3, 0)
        assert "unreachable" in run["error"]

        junk_app = Starlette(routes=[Route(FEED, garbage)])
        async with serve_app(junk_app) as junk_url:
            junk = type("Peer", (), {"node_id": "node-x", "url": junk_url})()
            await b.add_peer(junk)
            run = await b.sync_from(junk)
        assert run["status"] == "failed"
        assert "refused" in run["error"]
        assert await knowledge(b) == before

        async with b.admin() as client:
            peers = (await client.get("/api/v1/network/peers")).json()["items"]
            assert {peer["node_id"]: peer["cursor"] for peer in peers} == {
                "node-down": None,
                "node-x": None,
            }
            runs = (await client.get("/api/v1/network/sync/runs")).json()["items"]
            assert [r["status"] for r in runs] == ["failed", "failed"]


async def test_a_peer_dying_mid_sync_resumes_from_the_cursor(
    network_nodes: Any, serve_app: Any
) -> None:
    async with network_nodes("node-a", "node-b", sync_page_size=1, sync_max_attempts=2) as (
        a,
        b,
    ):
        await share(a, LIGHTING)
        await share(a, {**LIGHTING, "title": "Market wardens"})
        alive = {"requests_left": 1}

        async def flaky(request: Request) -> Response:
            if alive["requests_left"] <= 0:
                return JSONResponse({"detail": "gone"}, status_code=503)
            alive["requests_left"] -= 1
            async with httpx.AsyncClient() as client:
                upstream = await client.get(
                    f"{a.url}{request.url.path}?{request.url.query}",
                    headers={k: v for k, v in request.headers.items() if k.startswith("x-sync")},
                )
            signature = {k: v for k, v in upstream.headers.items() if k.startswith("x-sync")}
            return Response(upstream.content, media_type="application/json", headers=signature)

        async with serve_app(Starlette(routes=[Route(FEED, flaky)])) as proxy_url:
            proxy = type("Peer", (), {"node_id": "node-a", "url": proxy_url})()
            await a.add_peer(b)
            await b.add_peer(proxy)
            first = await b.sync_from(proxy)
            assert (first["status"], first["pages"], first["applied"]) == ("failed", 1, 1)
            alive["requests_left"] = 10
            second = await b.sync_from(proxy)
        assert (second["status"], second["received"], second["applied"]) == ("ok", 2, 2)
        assert len(await knowledge(b)) == 2


async def test_peers_are_admin_only_and_their_secret_never_shows(network_nodes: Any) -> None:
    async with network_nodes("node-a") as (a,):
        peer = {"node_id": "node-b", "base_url": "https://b.example.org/", "secret": SECRET}
        async with a.harness.client(principal(["city_admin"], ["*"])) as city_admin:
            assert (await city_admin.post("/api/v1/network/peers", json=peer)).status_code == 403
            assert (await city_admin.get("/api/v1/network/peers")).status_code == 403
        async with a.admin() as client:
            created = await client.post(
                "/api/v1/network/peers",
                json={**peer, "accepts": ["knowledge_item"]},
                headers={"Idempotency-Key": "peer-node-b-000001"},
            )
            assert created.status_code == 201, created.text
            assert created.json()["base_url"] == "https://b.example.org"
            assert created.json()["accepts"] == ["knowledge_item"]
            assert (await client.post("/api/v1/network/peers", json=peer)).status_code == 409
            own = await client.post("/api/v1/network/peers", json={**peer, "node_id": "node-a"})
            assert own.status_code == 409
            short = await client.post("/api/v1/network/peers", json={**peer, "secret": "short"})
            assert short.status_code == 422
            control = await client.post(
                "/api/v1/network/peers",
                json={**peer, "node_id": "node-c", "base_url": "https://c\x06.example.org"},
            )
            assert control.status_code == 422
            # A NUL (or any control character) in the secret is refused, on creation and on
            # rotation, before anything is stored; the answer never echoes the secret.
            for refused in (
                await client.post(
                    "/api/v1/network/peers",
                    json={**peer, "node_id": "node-c", "secret": SECRET + "\x00"},
                ),
                await client.patch(
                    "/api/v1/network/peers/node-b", json={"secret": SECRET + "\x1b"}
                ),
            ):
                assert refused.status_code == 422, refused.text
                assert refused.json()["errors"][0]["loc"] == ["body", "secret"]
                assert SECRET not in refused.text
            assert (await client.get("/api/v1/network/peers/node-c")).status_code == 404
            for response in (
                created,
                await client.get("/api/v1/network/peers"),
                await client.get("/api/v1/network/peers/node-b"),
            ):
                assert SECRET not in response.text
                assert "secret" not in response.text
            table = a.harness.runtime.tables.outbox.metadata.tables["peers"]
            async with a.harness.runtime.database.sessions() as session:
                sealed = (await session.execute(table.select())).one().secret_sealed
            assert SECRET.encode() not in sealed
            assert (await client.delete("/api/v1/network/peers/node-b")).status_code == 204
            assert (await client.get("/api/v1/network/peers/node-b")).status_code == 404
            assert (await client.post("/api/v1/network/peers/node-b/sync")).status_code == 404


async def test_only_shared_record_types_cross_and_contacts_never(network_nodes: Any) -> None:
    async with network_nodes("node-a", "node-b") as (a, b):
        await a.add_peer(b, shares=["knowledge_item"])
        await b.add_peer(a)
        item = await share(a, LIGHTING)
        async with a.harness.client(principal(["city_analyst"], ["durban"])) as analyst:
            await analyst.post(
                f"/api/v1/network/knowledge/{item['id']}/comments",
                json={"city": "durban", "body": "Internal note: call Thandi on 082 555 0101"},
            )
        async with httpx.AsyncClient() as client:
            url, headers = signed_get(a.url, node_id="node-b")
            raw = (await client.get(url, headers=headers)).text
        assert "safer@example.org" not in raw
        assert "Thandi" not in raw
        run = await b.sync_from(a)
        assert (run["received"], run["applied"]) == (1, 1)
        async with b.harness.client() as anonymous:
            assert (await anonymous.get("/api/v1/network/cities/durban")).status_code == 404


async def test_rotating_pausing_and_restarting_a_peer(network_nodes: Any) -> None:
    async with network_nodes("node-a", "node-b") as (a, b):
        await a.add_peer(b)
        await b.add_peer(a)
        await share(a, LIGHTING)
        assert (await b.sync_from(a))["applied"] == 2
        url = "/api/v1/network/peers/node-b"
        async with a.admin() as client:
            assert (await client.patch(url, json={"enabled": False})).status_code == 428
            paused = await client.patch(url, json={"enabled": False}, headers={"If-Match": '"1"'})
            assert (paused.status_code, paused.headers["etag"]) == (200, '"2"')
        refused = await b.sync_from(a)
        assert (refused["status"], refused["error"]) == ("failed", "node-a answered 401")

        rotated = "a-rotated-secret-for-tests-0123456789abcdef"
        async with a.admin() as client:
            stale = await client.patch(url, json={"enabled": True}, headers={"If-Match": '"1"'})
            assert stale.status_code == 412
            resumed = await client.patch(
                url, json={"enabled": True, "secret": rotated}, headers={"If-Match": '"2"'}
            )
            assert resumed.status_code == 200
            assert rotated not in resumed.text
        assert (await b.sync_from(a))["status"] == "failed"  # B still signs with the old one
        async with b.admin() as client:
            peer = await client.get("/api/v1/network/peers/node-a")
            changed = await client.patch(
                "/api/v1/network/peers/node-a",
                json={"secret": rotated, "restart": True},
                headers={"If-Match": peer.headers["etag"]},
            )
            assert changed.json()["cursor"] is None
        again = await b.sync_from(a)
        # The whole feed again; nothing is newer than what B holds, so nothing changes.
        assert (again["status"], again["received"], again["applied"]) == ("ok", 2, 0)


# --- through the peer's gateway ------------------------------------------------------

GATEWAY_ADMIN = {
    "Authorization": "Bearer "
    + mint_dev_token(
        secret=DEVELOPMENT_SECRET, subject="root", roles=["platform_admin"], cities=["*"]
    )
}


@asynccontextmanager
async def gateway_in_front_of(
    node: Any, usm_gateway_app: GatewayAppFactory
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """`node`'s gateway (routing `network` to it) served on a real port: an admin client
    over ASGI and the URL a peer pulls from."""
    async with (
        usm_gateway_app({"network": node.url}) as app,
        serve(app) as url,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway"
        ) as client,
    ):
        yield client, url


async def issue_key(gateway: httpx.AsyncClient, scopes: list[str]) -> str:
    """A key for a partner deployment, issued as `usm keys create-client`/`issue` would."""
    created = await gateway.post(
        "/api/v1/admin/clients", json={"name": f"partner-{'-'.join(scopes)}"}, headers=GATEWAY_ADMIN
    )
    assert created.status_code == 201, created.text
    issued = await gateway.post(
        "/api/v1/admin/keys",
        json={"client_id": created.json()["id"], "scopes": scopes, "cities": ["*"]},
        headers=GATEWAY_ADMIN,
    )
    assert issued.status_code == 201, issued.text
    key: str = issued.json()["key"]
    return key


async def test_a_peer_behind_its_gateway_is_pulled_with_an_api_key(
    network_nodes: Any, usm_gateway_app: GatewayAppFactory
) -> None:
    async with (
        network_nodes("node-a", "node-b", sync_max_attempts=2) as (a, b),
        gateway_in_front_of(a, usm_gateway_app) as (gateway, gateway_url),
    ):
        await a.add_peer(b)
        await share(a, LIGHTING)
        partner_key = await issue_key(gateway, ["network:sync", "public:read"])
        reader_key = await issue_key(gateway, ["public:read"])
        await b.add_peer(type("Peer", (), {"node_id": "node-a", "url": gateway_url})())

        # Anonymous at A's gateway: the feed wants `network:sync`, whatever the signature.
        anonymous = await b.sync_from(a)
        assert (anonymous["status"], anonymous["error"]) == ("failed", "node-a answered 403")
        # A refusal is not retried (sync_max_attempts=2): it lasts until an operator acts.
        assert (anonymous["attempts"], anonymous["received"], anonymous["applied"]) == (1, 0, 0)

        async with b.admin() as client:
            peer = await client.get("/api/v1/network/peers/node-a")
            assert peer.json()["has_api_key"] is False
            with_reader_key = await client.patch(
                "/api/v1/network/peers/node-a",
                json={"api_key": reader_key},
                headers={"If-Match": peer.headers["etag"]},
            )
            assert with_reader_key.status_code == 200, with_reader_key.text
        without_the_scope = await b.sync_from(a)
        assert (without_the_scope["error"], without_the_scope["applied"]) == (
            "node-a answered 403",
            0,
        )
        assert await knowledge(b) == []

        async with b.admin() as client:
            with_partner_key = await client.patch(
                "/api/v1/network/peers/node-a",
                json={"api_key": partner_key},
                headers={"If-Match": with_reader_key.headers["etag"]},
            )
            assert with_partner_key.json()["has_api_key"] is True
        run = await b.sync_from(a)
        assert (run["status"], run["error"], run["applied"]) == ("ok", None, 2), run
        [copied] = await knowledge(b)
        assert (copied["title"], copied["origin_node"]) == (LIGHTING["title"], "node-a")

        # The gateway knew B by its key: the key's last use is recorded there.
        keys = (await gateway.get("/api/v1/admin/keys", headers=GATEWAY_ADMIN)).json()["items"]
        assert {key["prefix"]: key["last_used_at"] is not None for key in keys} == {
            partner_key.split("_")[1]: True,
            reader_key.split("_")[1]: True,
        }

        # Removing the key (explicit null) puts B back to anonymous at the gateway.
        async with b.admin() as client:
            removed = await client.patch(
                "/api/v1/network/peers/node-a",
                json={"api_key": None},
                headers={"If-Match": with_partner_key.headers["etag"]},
            )
            assert removed.json()["has_api_key"] is False
        assert (await b.sync_from(a))["error"] == "node-a answered 403"


async def test_a_key_is_still_no_substitute_for_the_signature(
    network_nodes: Any, usm_gateway_app: GatewayAppFactory
) -> None:
    async with (
        network_nodes("node-a", "node-b", sync_max_attempts=1) as (a, b),
        gateway_in_front_of(a, usm_gateway_app) as (gateway, gateway_url),
    ):
        await a.add_peer(b, secret="another-shared-secret-than-b-holds-0123456789")
        await share(a, LIGHTING)
        key = await issue_key(gateway, ["network:sync"])
        await b.add_peer(type("Peer", (), {"node_id": "node-a", "url": gateway_url})(), api_key=key)
        run = await b.sync_from(a)
        assert (run["status"], run["error"], run["applied"]) == (
            "failed",
            "node-a answered 401",
            0,
        )
        assert await knowledge(b) == []


async def test_api_keys_are_validated_sealed_and_never_shown(network_nodes: Any) -> None:
    key = "usm_3f9c2a7b1d4e_Xq8vN2kR7tP0wYz5LmC3sHfJ9uE6gAbD1oKiV4nQxZq"
    peer = {
        "node_id": "node-b",
        "base_url": "https://b.example.org",
        "secret": SECRET,
    }
    async with network_nodes("node-a") as (a,), a.admin() as client:
        for bad in ("short-key", key + " x", key + "\x00", key + "\n", key + "é", "k" * 301):
            refused = await client.post("/api/v1/network/peers", json={**peer, "api_key": bad})
            assert refused.status_code == 422, bad
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["errors"][0]["loc"] == ["body", "api_key"]
            assert bad not in refused.text
        created = await client.post("/api/v1/network/peers", json={**peer, "api_key": key})
        assert created.status_code == 201, created.text
        stale = await client.patch(
            "/api/v1/network/peers/node-b", json={"api_key": key}, headers={"If-Match": '"9"'}
        )
        assert stale.status_code == 412
        bad_rotation = await client.patch(
            "/api/v1/network/peers/node-b", json={"api_key": "a b"}, headers={"If-Match": '"1"'}
        )
        assert bad_rotation.status_code == 422
        paused = await client.patch(
            "/api/v1/network/peers/node-b", json={"enabled": False}, headers={"If-Match": '"1"'}
        )
        # Leaving the key out of a PATCH keeps it.
        assert paused.json()["has_api_key"] is True
        for response in (
            created,
            paused,
            await client.get("/api/v1/network/peers"),
            await client.get("/api/v1/network/peers/node-b"),
        ):
            assert key not in response.text
            assert '"api_key"' not in response.text
        table = a.harness.runtime.tables.outbox.metadata.tables["peers"]
        async with a.harness.runtime.database.sessions() as session:
            row = (await session.execute(table.select())).one()
        assert key.encode() not in row.api_key_sealed
        sealing_key = a.harness.runtime.settings.sync_secret_key.get_secret_value()
        assert sealing.unseal(sealing_key, "node-b", row.api_key_sealed, "api_key") == key
        # Bound to its column: the sealed key does not open as the peer's secret.
        with pytest.raises(InvalidTag):
            sealing.unseal(sealing_key, "node-b", row.api_key_sealed)
