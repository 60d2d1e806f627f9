"""Indicator aggregates between real deployments: they cross as records of their origin,
edits and withdrawals follow, nothing echoes, and a suppressed value never crosses."""

import copy
import json
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from usm_network.aggregates.schemas import aggregate_id
from usm_network.sync import signing
from usmdev.pytest_plugin import principal
from usmkit.events.cloudevents import CloudEvent, SchemaRegistry, new_event

EXAMPLE = (
    Path(__file__).resolve().parents[4]
    / "contracts/events/examples/org.usm.indicators.aggregates.published.v1.json"
)
FEED = "/api/v1/network/sync/feed"
AGGREGATES = "/api/v1/network/aggregates"
SECRET = "a-shared-secret-for-tests-0123456789abcdef"
DURBAN = {"slug": "durban", "name": "Durban", "country_code": "ZA", "role": "pilot"}


def example_event() -> CloudEvent:
    return SchemaRegistry().parse(EXAMPLE.read_bytes())


def republished(computed_at: str, **first_value: Any) -> CloudEvent:
    data = copy.deepcopy(example_event().data)
    data["computed_at"] = computed_at
    data["indicators"][0].update(first_value)
    return new_event(
        service="indicators",
        name="aggregates.published",
        subject="durban",
        city="durban",
        data=data,
    )


async def aggregates(node: Any) -> list[dict[str, Any]]:
    async with node.harness.client() as anonymous:
        items: list[dict[str, Any]] = (await anonymous.get(AGGREGATES)).json()["items"]
        return items


async def signed_feed(node: Any, *, as_node: str) -> dict[str, Any]:
    query = "cursor=0&limit=100"
    signed = signing.sign_request(
        secret=SECRET, node_id=as_node, method="GET", path=FEED, query=query
    )
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{node.url}{FEED}?{query}", headers=signed.headers())
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def test_aggregates_on_a_reach_b_with_edits_and_withdrawals(network_nodes: Any) -> None:
    async with network_nodes("node-a", "node-b") as (a, b):
        await a.add_peer(b)
        await b.add_peer(a)
        async with a.admin() as client:
            assert (await client.post("/api/v1/network/cities", json=DURBAN)).status_code == 201
        assert await a.harness.deliver(example_event()) is True

        run = await b.sync_from(a)
        assert (run["status"], run["received"], run["applied"]) == ("ok", 2, 2), run
        [copied] = await aggregates(b)
        [original] = await aggregates(a)
        assert (copied["origin_node"], original["origin_node"]) == ("node-a", None)
        assert {k: v for k, v in copied.items() if k not in ("origin_node", "updated_at")} == {
            k: v for k, v in original.items() if k not in ("origin_node", "updated_at")
        }
        async with b.harness.client() as anonymous:
            benchmark = await anonymous.get(
                "/api/v1/network/benchmarks",
                params={"indicator": "SDG_16_1_1", "period": "2026-10"},
            )
        [durban] = benchmark.json()["cities"]
        assert (durban["rank"], durban["value"], durban["origin_node"]) == (1, 35.2, "node-a")
        assert (durban["name"], durban["role"]) == ("Durban", "pilot")

        path = f"{AGGREGATES}/durban/2026-10"
        async with b.harness.client(principal(["city_admin"], ["durban"])) as durban_admin:
            # B holds a copy: only the origin withdraws it.
            refused = await durban_admin.delete(path, headers={"If-Match": '"1"'})
            assert refused.status_code == 409

        assert await a.harness.deliver(republished("2026-11-27T08:00:00Z", value=33.0)) is True
        run = await b.sync_from(a)
        assert (run["received"], run["applied"]) == (1, 1)
        [copied] = await aggregates(b)
        assert (copied["version"], copied["indicators"][0]["value"]) == (2, 33.0)

        # B never sends A's aggregates (or anything of A's) back to A.
        assert (await a.sync_from(b))["received"] == 0
        assert await signed_feed(b, as_node="node-a") == {
            "node_id": "node-b",
            "changes": [],
            "next_cursor": "0",
            "has_more": False,
        }

        async with a.harness.client(principal(["city_admin"], ["durban"])) as durban_admin:
            withdrawn = await durban_admin.delete(path, headers={"If-Match": '"2"'})
            assert withdrawn.status_code == 204
        run = await b.sync_from(a)
        assert (run["received"], run["deleted"]) == (1, 1)
        assert await aggregates(b) == []


def lima_change(seq: int, version: int, **first_value: Any) -> dict[str, Any]:
    """A change of node-x's aggregate of Lima for 2026."""
    record_id = str(aggregate_id("lima", "2026"))
    data = copy.deepcopy(example_event().data)
    data.update(city="lima", period="2026")
    data["indicators"][0].update(first_value)
    return {
        "seq": seq,
        "record_type": "indicator_aggregate",
        "record_id": record_id,
        "origin_node": "node-x",
        "version": version,
        "deleted": False,
        "payload": {**data, "id": record_id, "version": version},
    }


def peer_serving(*changes: dict[str, Any]) -> Starlette:
    """A peer `node-x` that answers every feed request with these changes, signed."""

    async def feed(request: Request) -> Response:
        page = {
            "node_id": "node-x",
            "changes": list(changes),
            "next_cursor": str(len(changes)),
            "has_more": False,
        }
        body = json.dumps(page).encode()
        signed = signing.sign_response(
            secret=SECRET,
            node_id="node-x",
            status=200,
            request_nonce=request.headers[signing.NONCE_HEADER],
            body=body,
        )
        return Response(body, media_type="application/json", headers=signed.headers())

    return Starlette(routes=[Route(FEED, feed)])


def suppressed_values(page_or_items: list[dict[str, Any]]) -> list[Any]:
    return [
        value["value"]
        for aggregate in page_or_items
        for value in aggregate["indicators"]
        if value["suppressed"]
    ]


async def test_a_suppressed_value_never_crosses_as_a_number(
    network_nodes: Any, serve_app: Any
) -> None:
    async with network_nodes("node-a", "node-b", "node-c") as (a, b, c):
        await a.add_peer(b)
        await b.add_peer(a)
        await b.add_peer(c)
        await c.add_peer(b)
        # A's indicators marked a cell suppressed but still sent the count.
        leak = republished("2026-11-27T08:00:00Z", value=3.0, suppressed=True)
        assert await a.harness.deliver(leak) is True
        page = await signed_feed(a, as_node="node-b")
        assert suppressed_values([change["payload"] for change in page["changes"]]) == [None, None]

        # A peer that sends a suppressed cell as a number: B keeps and passes on null.
        # (The example's second value is suppressed; this peer's indicators leaked a count.)
        leaked = lima_change(1, 1)
        leaked["payload"]["indicators"][1]["value"] = 7.0
        async with serve_app(peer_serving(leaked)) as leaky_url:
            leaky = type("Peer", (), {"node_id": "node-x", "url": leaky_url})()
            await b.add_peer(leaky)
            assert (await b.sync_from(leaky))["applied"] == 1
        assert (await b.sync_from(a))["applied"] == 1
        assert suppressed_values(await aggregates(b)) == [None, None, None]
        page = await signed_feed(b, as_node="node-c")
        assert suppressed_values([change["payload"] for change in page["changes"]]) == [
            None,
            None,
            None,
        ]
        assert '"value":7.0' not in json.dumps(page, separators=(",", ":"))

        # What a peer is not given never crosses: C takes no aggregates from B.
        async with c.admin() as client:
            peer = await client.get("/api/v1/network/peers/node-b")
            await client.patch(
                "/api/v1/network/peers/node-b",
                json={"accepts": ["knowledge_item", "city"]},
                headers={"If-Match": peer.headers["etag"]},
            )
        run = await c.sync_from(b)
        assert (run["received"], run["applied"], run["skipped"]) == (2, 0, 2)
        assert await aggregates(c) == []


async def test_a_page_holding_a_record_twice_keeps_the_newest(
    network_nodes: Any, serve_app: Any
) -> None:
    async with network_nodes("node-b") as (b,):
        page = (lima_change(1, 2, value=12.0), lima_change(2, 1, value=99.0))
        async with serve_app(peer_serving(*page)) as url:
            await b.add_peer(type("Peer", (), {"node_id": "node-x", "url": url})())
            run = await b.sync_from(type("Peer", (), {"node_id": "node-x"})())
            assert (run["received"], run["applied"], run["skipped"]) == (2, 1, 1)
            [held] = await aggregates(b)
            assert (held["version"], held["indicators"][0]["value"]) == (2, 12.0)
            # The same page again changes nothing.
            again = await b.sync_from(type("Peer", (), {"node_id": "node-x"})())
            assert (again["applied"], again["skipped"]) == (0, 2)
