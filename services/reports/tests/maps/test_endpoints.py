from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import h3

from usmdev.geography import CENTRAL, NORTH
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal

SeedCity = Callable[..., Awaitable[None]]
MODERATOR = principal(["city_admin"], ["durban"])
IN_CENTRAL = {"latitude": -29.8512, "longitude": 31.0534}
IN_NORTH = {"latitude": -29.7012, "longitude": 31.1034}
STREETLIGHT: dict[str, Any] = {
    "city": "durban",
    "category_code": "streetlight",
    "attributes": {"light_state": "out"},
}
GBV: dict[str, Any] = {
    "city": "durban",
    "category_code": "gbv",
    "attributes": {"immediate_danger": "no"},
    "description": "Beaten every night.",
}


async def submit(harness: ServiceHarness, body: dict[str, Any]) -> str:
    async with harness.client() as anonymous:
        created = await anonymous.post("/api/v1/reports", json=body)
        assert created.status_code == 201, created.text
        report_id: str = created.json()["id"]
        return report_id


async def seed_reports(harness: ServiceHarness) -> None:
    """Central: 6 streetlights in one cell (one a merged duplicate) and 6 GBV reports;
    North: 2 streetlights."""
    ids = [await submit(harness, {**STREETLIGHT, **IN_CENTRAL}) for _ in range(6)]
    for _ in range(2):
        await submit(harness, {**STREETLIGHT, **IN_NORTH})
    for _ in range(6):
        await submit(harness, {**GBV, **IN_CENTRAL})
    async with harness.client(MODERATOR) as moderator:
        merged = await moderator.post(
            f"/api/v1/reports/{ids[1]}/merge",
            json={"into_report_id": ids[0]},
            headers={"If-Match": '"1"'},
        )
        assert merged.status_code == 200, merged.text


async def test_cells_count_normal_reports_and_suppress_small_ones(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL, NORTH])
        await seed_reports(reports)
        central_cell = h3.latlng_to_cell(IN_CENTRAL["latitude"], IN_CENTRAL["longitude"], 9)
        north_cell = h3.latlng_to_cell(IN_NORTH["latitude"], IN_NORTH["longitude"], 9)
        async with reports.client() as anonymous:
            fine = await anonymous.get(
                "/api/v1/reports/cities/durban/map/cells", params={"resolution": 9}
            )
            assert fine.status_code == 200, fine.text
            body = fine.json()
            assert body["resolution"] == 9 and body["suppression_threshold"] == 5
            centre = h3.cell_to_latlng(central_cell)
            # The merged duplicate does not count; GBV reports are not in any cell.
            assert {
                cell["cell"]: (cell["count"], cell["suppressed"]) for cell in body["cells"]
            } == {
                central_cell: (5, False),
                north_cell: (None, True),
            }
            [central] = [cell for cell in body["cells"] if cell["cell"] == central_cell]
            assert (central["latitude"], central["longitude"]) == (
                round(centre[0], 6),
                round(centre[1], 6),
            )
            coarse = (
                await anonymous.get(
                    "/api/v1/reports/cities/durban/map/cells", params={"resolution": 5}
                )
            ).json()
            assert {cell["cell"] for cell in coarse["cells"]} <= {
                h3.cell_to_parent(central_cell, 5),
                h3.cell_to_parent(north_cell, 5),
            }
            assert sum(cell["count"] or 0 for cell in coarse["cells"]) in (5, 7)
            # A sensitive category shows no cell at all.
            gbv = await anonymous.get(
                "/api/v1/reports/cities/durban/map/cells", params={"category": "gbv"}
            )
            assert gbv.json()["cells"] == []
            this_month = datetime.now(UTC).strftime("%Y-%m")
            for params, expected in (
                ({"period": this_month}, 5),
                ({"period": "2020"}, None),
                ({"status": "closed"}, None),
                ({"status": "submitted", "district": "DBN-CENTRAL"}, 5),
            ):
                found = await anonymous.get(
                    "/api/v1/reports/cities/durban/map/cells",
                    params={"resolution": 9, **params},
                )
                counts = {cell["cell"]: cell["count"] for cell in found.json()["cells"]}
                assert counts.get(central_cell) == expected, params
            refusals: tuple[dict[str, str | int], ...] = (
                {"resolution": 10},
                {"resolution": 4},
                {"period": "2025-13"},
                {"period": "someday"},
                {"status": "lost"},
                {"category": "Not A Slug"},
            )
            for refusal in refusals:
                refused = await anonymous.get(
                    "/api/v1/reports/cities/durban/map/cells", params=refusal
                )
                assert refused.status_code == 422, refusal
                assert refused.headers["content-type"] == "application/problem+json"
            unknown = await anonymous.get("/api/v1/reports/cities/atlantis/map/cells")
            assert unknown.status_code == 404


async def test_districts_count_every_report_and_suppress_small_ones(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL, NORTH])
        await seed_reports(reports)
        await submit(reports, {**STREETLIGHT, "address_string": "Somewhere on the N3"})
        async with reports.client() as anonymous:
            found = await anonymous.get("/api/v1/reports/cities/durban/map/districts")
            assert found.status_code == 200, found.text
            assert found.json()["districts"] == [
                {
                    "district_code": "DBN-CENTRAL",
                    "district_name": "Central",
                    "count": 11,
                    "suppressed": False,
                },
                {
                    "district_code": "DBN-NORTH",
                    "district_name": "North",
                    "count": None,
                    "suppressed": True,
                },
                {"district_code": None, "district_name": None, "count": None, "suppressed": True},
            ]
            gbv = await anonymous.get(
                "/api/v1/reports/cities/durban/map/districts", params={"category": "gbv"}
            )
            assert [(d["district_code"], d["count"]) for d in gbv.json()["districts"]] == [
                ("DBN-CENTRAL", 6),
                ("DBN-NORTH", 0),
            ]
