from typing import Any

import pytest

from usmdev.pytest_plugin import ServiceHarness, principal
from usmkit.events.cloudevents import CloudEvent

DURBAN_ADMIN = principal(["city_admin"], ["durban"])
CENTRAL_BOUNDARY = {
    "type": "Polygon",
    "coordinates": [[[31.0, -29.9], [31.1, -29.9], [31.1, -29.8], [31.0, -29.8], [31.0, -29.9]]],
}
CENTRAL = {"name": "Central", "boundary": CENTRAL_BOUNDARY, "population": 120000}
DISTRICTS = "/api/v1/indicators/cities/durban/districts"


async def test_put_creates_then_replaces_and_list_shows_it(indicators: ServiceHarness) -> None:
    async with indicators.client(DURBAN_ADMIN) as client:
        created = await client.put(f"{DISTRICTS}/DBN-CENTRAL", json=CENTRAL)
        assert created.status_code == 201, created.text
        assert created.json()["boundary"] == CENTRAL_BOUNDARY

        replaced = await client.put(
            f"{DISTRICTS}/DBN-CENTRAL", json={"name": "Central City", "boundary": None}
        )
        assert replaced.status_code == 200, replaced.text
        assert replaced.json()["population"] is None

    async with indicators.client() as anonymous:
        listed = await anonymous.get(DISTRICTS)
        assert listed.status_code == 200
        assert [
            (district["code"], district["name"], district["boundary"])
            for district in listed.json()["items"]
        ] == [("DBN-CENTRAL", "Central City", None)]


async def test_cursor_pagination_walks_every_district_once(indicators: ServiceHarness) -> None:
    codes = [f"D{index:02d}" for index in range(7)]
    async with indicators.client(DURBAN_ADMIN) as client:
        for code in reversed(codes):
            response = await client.put(f"{DISTRICTS}/{code}", json={"name": code})
            assert response.status_code == 201
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = (await client.get(DISTRICTS, params=params)).json()
            seen += [district["code"] for district in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == codes


async def test_put_writes_the_whole_geography_to_the_outbox(indicators: ServiceHarness) -> None:
    async with indicators.client(DURBAN_ADMIN) as client:
        await client.put(f"{DISTRICTS}/DBN-CENTRAL", json=CENTRAL)
        await client.put(f"{DISTRICTS}/DBN-NORTH", json={"name": "North", "population": 5})
    outbox = indicators.runtime.tables.outbox
    async with indicators.runtime.database.sessions() as session:
        rows = (await session.execute(outbox.select().order_by(outbox.c.id))).all()
    assert [row.event_type for row in rows] == ["org.usm.indicators.geography.updated.v1"] * 2
    assert {row.message_key for row in rows} == {"durban"}
    latest = CloudEvent.model_validate(rows[-1].envelope)
    indicators.runtime.registry.validate(latest)
    assert latest.subject == "durban"
    assert latest.data == {
        "city": "durban",
        "districts": [
            {"code": "DBN-CENTRAL", "name": "Central", "boundary": CENTRAL_BOUNDARY},
            {"code": "DBN-NORTH", "name": "North", "boundary": None},
        ],
    }


@pytest.mark.parametrize(
    "who",
    [
        principal(["city_admin"], ["cape-town"]),  # right scope, wrong city
        principal(["city_analyst"], ["durban"]),  # right city, no geography:write
        None,  # anonymous
    ],
)
async def test_writing_needs_the_scope_and_the_city(indicators: ServiceHarness, who: Any) -> None:
    async with indicators.client(who) as client:
        refused = await client.put(f"{DISTRICTS}/DBN-CENTRAL", json=CENTRAL)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"


async def test_unknown_city_is_not_found(indicators: ServiceHarness) -> None:
    admin = principal(["platform_admin"], ["*"])
    async with indicators.client(admin) as client:
        written = await client.put(
            "/api/v1/indicators/cities/atlantis/districts/A1", json={"name": "A"}
        )
        assert written.status_code == 404
        assert written.json()["status"] == 404
        read = await client.get("/api/v1/indicators/cities/atlantis/districts")
        assert read.status_code == 404


async def test_a_district_code_with_a_dot_is_refused(indicators: ServiceHarness) -> None:
    # It would break the SDMX series keys it appears in (`durban.DBN.CENTRAL...`).
    async with indicators.client(DURBAN_ADMIN) as client:
        response = await client.put(f"{DISTRICTS}/DBN.CENTRAL", json={"name": "Central"})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert (await client.get(DISTRICTS)).json()["items"] == []


def _ring(*points: tuple[float, float]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[list(point) for point in points]]}


@pytest.mark.parametrize(
    "boundary",
    [
        _ring((31.0, -29.9), (31.1, -29.9), (31.1, -29.8), (31.0, -29.8)),  # not closed
        _ring((31.0, -29.9), (31.1, -29.9), (31.0, -29.9)),  # too few positions
        _ring((181.0, -29.9), (31.1, -29.9), (31.1, -29.8), (181.0, -29.9)),  # longitude
        _ring((31.0, -91.0), (31.1, -29.9), (31.1, -29.8), (31.0, -91.0)),  # latitude
        {**CENTRAL_BOUNDARY, "type": "Point"},
        {"type": "MultiPolygon", "coordinates": CENTRAL_BOUNDARY["coordinates"]},
        {"type": "Polygon", "coordinates": []},
    ],
)
async def test_bad_boundary_is_a_validation_problem(
    indicators: ServiceHarness, boundary: dict[str, Any]
) -> None:
    async with indicators.client(DURBAN_ADMIN) as client:
        response = await client.put(
            f"{DISTRICTS}/DBN-CENTRAL", json={"name": "Central", "boundary": boundary}
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert all(error["loc"][:2] == ["body", "boundary"] for error in response.json()["errors"])
        listed = await client.get(DISTRICTS)
        assert listed.json()["items"] == []
