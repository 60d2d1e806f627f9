"""Public indicator aggregates from indicators' events, and benchmarks across cities."""

import copy
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal
from usmkit.events.cloudevents import CloudEvent, SchemaRegistry, new_event
from usmkit.pagination import encode_cursor

EXAMPLE = (
    Path(__file__).resolve().parents[4]
    / "contracts/events/examples/org.usm.indicators.aggregates.published.v1.json"
)
ADMIN = principal(["platform_admin"], ["*"])
URL = "/api/v1/network/aggregates"
BENCHMARKS = "/api/v1/network/benchmarks"
CITIES = [
    {"slug": "durban", "name": "Durban", "country_code": "ZA", "role": "pilot",
     "region": "KwaZulu-Natal", "population": 3900000, "member_since": "2024-03-01"},
    {"slug": "ciudad-juarez", "name": "Ciudad Juárez", "country_code": "MX", "role": "pilot",
     "region": "Chihuahua", "population": 1500000, "member_since": "2024-03-01"},
    {"slug": "cape-town", "name": "Cape Town", "country_code": "ZA", "role": "learning",
     "region": "Western Cape", "population": 4800000, "member_since": "2025-01-01"},
    {"slug": "lima", "name": "Lima", "country_code": "PE", "role": "partner",
     "member_since": "2025-01-01"},
]  # fmt: skip


def example_event() -> CloudEvent:
    """The contract's example, parsed and checked as the consumer would."""
    return SchemaRegistry().parse(EXAMPLE.read_bytes())


def published(
    city: str, period: str, homicides: float | None, *, suppressed: bool = False, **extra: Any
) -> CloudEvent:
    data = copy.deepcopy(example_event().data)
    data.update(city=city, period=period, **extra)
    data["indicators"][0].update(value=homicides, suppressed=suppressed)
    return new_event(
        service="indicators", name="aggregates.published", subject=city, city=city, data=data
    )


async def register_cities(network: ServiceHarness) -> None:
    async with network.client(ADMIN) as admin:
        for city in CITIES:
            response = await admin.post("/api/v1/network/cities", json=city)
            assert response.status_code == 201, response.text


async def test_the_example_is_kept_once_and_the_latest_computation_wins(
    usm_service: ServiceFactory,
) -> None:
    event = example_event()
    async with usm_service("network") as network:
        assert await network.deliver(event) is True
        assert await network.deliver(event) is False
        async with network.client() as anonymous:
            [kept] = (await anonymous.get(URL)).json()["items"]
            assert (kept["city"], kept["period"], kept["version"]) == ("durban", "2026-10", 1)
            assert kept["origin_node"] is None
            assert kept["indicators"] == event.data["indicators"]
            assert kept["index"]["overall"] == 61.4

            older = published("durban", "2026-10", 99.0, computed_at="2026-11-01T00:00:00Z")
            assert await network.deliver(older) is True
            one = await anonymous.get(f"{URL}/durban/2026-10")
            assert (one.headers["etag"], one.json()["indicators"][0]["value"]) == ('"1"', 35.2)

            newer = published("durban", "2026-10", 30.0, computed_at="2026-11-27T00:00:00Z")
            assert await network.deliver(newer) is True
            one = await anonymous.get(f"{URL}/durban/2026-10")
            assert (one.headers["etag"], one.json()["indicators"][0]["value"]) == ('"2"', 30.0)

            assert (await anonymous.get(URL, params={"period": "2026-13"})).status_code == 422
            assert (await anonymous.get(f"{URL}/durban/2026-11")).status_code == 404
            filtered = await anonymous.get(URL, params={"city": "lima"})
            assert filtered.json()["items"] == []


async def test_a_suppressed_value_is_never_kept_as_a_number(usm_service: ServiceFactory) -> None:
    # A faulty producer marks a cell suppressed but still sends its count.
    leaky = published("durban", "2026", 3.0, suppressed=True)
    async with usm_service("network") as network:
        assert await network.deliver(leaky) is True
        async with network.client() as anonymous:
            response = await anonymous.get(f"{URL}/durban/2026")
        [value, *_] = response.json()["indicators"]
        assert (value["value"], value["suppressed"]) == (None, True)
        feed = network.runtime.tables.outbox.metadata.tables["sync_changes"]
        async with network.runtime.database.sessions() as session:
            [change] = (await session.execute(feed.select())).all()
        assert change.payload["indicators"][0]["value"] is None
        assert json.dumps(3.0) not in json.dumps(change.payload["indicators"][0])


async def test_withdrawing_needs_the_city_and_if_match(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network:
        await network.deliver(example_event())
        path = f"{URL}/durban/2026-10"
        async with network.client(principal(["city_admin"], ["ciudad-juarez"])) as other:
            assert (await other.delete(path, headers={"If-Match": '"1"'})).status_code == 403
        async with network.client(principal(["city_admin"], ["durban"])) as durban:
            assert (await durban.delete(path)).status_code == 428
            assert (await durban.delete(path, headers={"If-Match": '"2"'})).status_code == 412
            assert (await durban.delete(path, headers={"If-Match": '"1"'})).status_code == 204
            assert (await durban.get(path)).status_code == 404
        # A later computation shares the period again, with a version above the tombstone's.
        await network.deliver(published("durban", "2026-10", 20.0, computed_at=_now()))
        async with network.client() as anonymous:
            assert (await anonymous.get(path)).headers["etag"] == '"3"'


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def test_benchmarks_rank_cities_by_direction_with_metadata_and_coverage(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("network") as network:
        await register_cities(network)
        index = {"overall": 55.0, "coverage": 0.5, "by_dimension": {"personal": 70.0}}
        for event in (
            published("durban", "2026", 35.2),
            published("ciudad-juarez", "2026", 20.1, index=index),
            published("cape-town", "2026", 4.0, suppressed=True),
            published("durban", "2025", 40.0),
        ):
            assert await network.deliver(event) is True
        async with network.client() as anonymous:
            response = await anonymous.get(
                BENCHMARKS, params={"indicator": "SDG_16_1_1", "period": "2026"}
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["indicator"] == {
                "code": "SDG_16_1_1",
                "dimension": "personal",
                "unit": "per 100000 population",
                "direction": "lower_is_better",
            }
            ranking = [(c["rank"], c["city"], c["value"], c["suppressed"]) for c in body["cities"]]
            assert ranking == [
                (1, "ciudad-juarez", 20.1, False),
                (2, "durban", 35.2, False),
                (None, "cape-town", None, True),
            ]
            juarez = body["cities"][0]
            assert (juarez["region"], juarez["population"], juarez["role"]) == (
                "Chihuahua",
                1500000,
                "pilot",
            )
            assert juarez["index_coverage"] == 0.5
            coverage = body["coverage"]
            assert (coverage["member_cities"], coverage["ranked"], coverage["suppressed"]) == (
                4,
                2,
                1,
            )
            assert coverage["without_data"] == ["cape-town", "lima"]
            assert "withheld by small-cell suppression" in coverage["note"]

            by_index = (
                await anonymous.get(
                    BENCHMARKS,
                    params={"indicator": "index", "period": "2026", "dimension": "personal"},
                )
            ).json()
            assert [(c["rank"], c["city"], c["value"]) for c in by_index["cities"]] == [
                (1, "ciudad-juarez", 70.0),
                (2, "cape-town", 48.0),
                (2, "durban", 48.0),
            ]
            assert by_index["indicator"]["direction"] == "higher_is_better"

            empty = (
                await anonymous.get(
                    BENCHMARKS, params={"indicator": "SDG_16_1_1", "period": "2024"}
                )
            ).json()
            assert (empty["cities"], empty["coverage"]["other_periods"]) == ([], ["2026", "2025"])


async def test_benchmark_input_is_validated_as_problems(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network:
        await network.deliver(example_event())
        async with network.client() as anonymous:
            for params, status in (
                ({"indicator": "SDG_16_1_1", "period": "2026-13"}, 422),
                ({"indicator": "SDG_16_1_1", "period": "2026-W54"}, 422),
                ({"indicator": "sdg 16", "period": "2026"}, 422),
                ({"indicator": "SDG_16_1_1"}, 422),
                ({"indicator": "SDG_16_1_1", "period": "2026", "dimension": "personal"}, 422),
                ({"indicator": "index", "period": "2026", "dimension": "wealth"}, 422),
                ({"indicator": "NOT_PUBLISHED", "period": "2026"}, 404),
            ):
                response = await anonymous.get(BENCHMARKS, params=params)
                assert response.status_code == status, (params, response.text)
                assert response.headers["content-type"] == "application/problem+json"
            ok = await anonymous.get(BENCHMARKS, params={"indicator": "index", "period": "2026-10"})
            assert ok.status_code == 200
            assert ok.json()["cities"][0]["city"] == "durban"
            assert ok.json()["cities"][0]["name"] is None  # not in this node's registry


async def test_unknown_ids_are_not_found(usm_service: ServiceFactory) -> None:
    async with usm_service("network") as network, network.client() as anonymous:
        assert (await anonymous.get(f"{URL}/durban/2026")).status_code == 404
        assert (await anonymous.get(f"{URL}/Durban/2026")).status_code == 422
        assert (await anonymous.get(URL, params={"cursor": str(uuid.uuid4())})).status_code == 400
        one_part = encode_cursor(["durban"])
        assert (await anonymous.get(URL, params={"cursor": one_part})).status_code == 400
        for hostile in ("SDG\x00", "index\n", "Ñ" * 10):
            response = await anonymous.get(
                BENCHMARKS, params={"indicator": hostile, "period": "2026"}
            )
            assert response.status_code == 422
