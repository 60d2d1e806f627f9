"""Through the gateway, against real processes: an event crosses every service."""

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from usm_gateway.config import GatewaySettings
from usm_gateway.identity import mint_dev_token
from usmdev.geography import CENTRAL
from usmdev.stack import Stack
from usmdev.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def bearer(roles: list[str], cities: list[str]) -> dict[str, str]:
    secret = GatewaySettings().dev_issuer_secret.get_secret_value()
    token = mint_dev_token(secret=secret, subject=f"e2e-{roles[0]}", roles=roles, cities=cities)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def gateway(usm_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=usm_stack.layout.gateway_url, timeout=30) as client:
        yield client


async def test_gateway_reports_every_service_and_the_broker_ready(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {
        "indicators": "ok",
        "reports": "ok",
        "appraisals": "ok",
        "network": "ok",
        "broker": "ok",
        "database": "ok",
    }


async def test_events_cross_every_service(gateway: httpx.AsyncClient) -> None:
    admin = bearer(["platform_admin"], ["*"])
    city = {"slug": "durban", "name": "Durban (eThekwini)", "country_code": "ZA", "role": "pilot"}
    registered = await gateway.post("/api/v1/network/cities", json=city, headers=admin)
    assert registered.status_code == 201, registered.text

    # network → indicators (city.registered): the district can be written once it is known.
    async def district_written() -> httpx.Response | None:
        response = await gateway.put(
            "/api/v1/indicators/cities/durban/districts/DBN-CENTRAL",
            json={"name": "Central", "boundary": CENTRAL["boundary"], "population": 120000},
            headers=admin,
        )
        return response if response.status_code in (200, 201) else None

    await eventually(district_written, what="indicators to learn of durban")

    # network → reports (city.registered): the city's report categories can be set up.
    async def category_created() -> httpx.Response | None:
        response = await gateway.post(
            "/api/v1/reports/cities/durban/categories",
            json={
                "code": "streetlight",
                "names": {"en": "Broken streetlight"},
                "dimension": "personal",
                "sensitivity": "normal",
            },
            headers=admin,
        )
        return response if response.status_code in (201, 409) else None

    await eventually(category_created, what="reports to learn of durban")

    # indicators → reports (geography.updated): an anonymous report lands in the district.
    async def report_in_district() -> dict[str, object] | None:
        response = await gateway.post(
            "/api/v1/reports",
            json={
                "city": "durban",
                "category_code": "streetlight",
                "latitude": -29.85,
                "longitude": 31.05,
                "description": "The light at the taxi rank is out.",
            },
        )
        if response.status_code != 201:
            return None
        receipt: dict[str, object] = response.json()
        return receipt if receipt["district_code"] == "DBN-CENTRAL" else None

    receipt = await eventually(report_in_district, what="reports to know durban's districts")
    tracked = await gateway.get(f"/api/v1/reports/track/{receipt['tracking_code']}")
    assert tracked.json()["status"] == "submitted"

    # reports → indicators (report.submitted): the count moves, suppressed while small.
    analyst = bearer(["city_analyst"], ["durban"])

    async def counted_in_district() -> dict[str, object] | None:
        response = await gateway.get(
            "/api/v1/indicators/cities/durban/report-counts", headers=analyst
        )
        rows: list[dict[str, object]] = response.json()["items"]
        # Reports sent before the district reached reports were kept without one.
        return next((row for row in rows if row["district_code"] == "DBN-CENTRAL"), None)

    row = await eventually(counted_in_district, what="the report to be counted")
    assert (row["category_code"], row["count"], row["suppressed"]) == ("streetlight", None, True)

    # appraisals → network (lesson.published): a lesson becomes shared knowledge.
    facilitator = bearer(["wg_facilitator"], ["durban"])

    async def lesson_created() -> httpx.Response | None:
        response = await gateway.post(
            "/api/v1/appraisals/lessons",
            json={
                "city": "durban",
                "title": "Light the taxi ranks first",
                "summary": "Residents mapped the darkest ranks.",
                "language": "en",
            },
            headers=facilitator,
        )
        return response if response.status_code == 201 else None

    lesson = await eventually(lesson_created, what="appraisals to learn of durban")
    published = await gateway.post(
        f"/api/v1/appraisals/lessons/{lesson.json()['id']}/publish",
        headers={**facilitator, "If-Match": lesson.headers["etag"]},
    )
    assert published.status_code == 200, published.text

    async def shared() -> list[str] | None:
        items = (await gateway.get("/api/v1/network/knowledge")).json()["items"]
        titles = [item["title"] for item in items]
        return titles or None

    assert await eventually(shared, what="the lesson to reach network") == [
        "Light the taxi ranks first"
    ]


async def test_the_merged_openapi_covers_every_service(gateway: httpx.AsyncClient) -> None:
    spec = (await gateway.get("/openapi.json")).json()
    prefixes = {path.split("/")[3] for path in spec["paths"] if path.startswith("/api/v1/")}
    assert {"indicators", "reports", "appraisals", "network", "admin"} <= prefixes
    assert any(path.startswith("/open311/v2/") for path in spec["paths"])
    assert set(spec["components"]["securitySchemes"]) == {"apiKey", "bearer", "open311ApiKey"}
    # Every operation says how to call it: anonymous allowed ({}), or which scopes it needs.
    operations = [op for ops in spec["paths"].values() for op in ops.values()]
    scoped = [op for op in operations if "x-usm-scopes" in op]
    assert scoped and all({"apiKey": []} in op["security"] for op in scoped)
    public = spec["paths"]["/api/v1/network/cities"]["get"]
    assert public["security"][0] == {} and "x-usm-scopes" not in public
    # Served and contract are the same document (services up = code as checked in).
    contract = json.loads((ROOT / "contracts" / "openapi" / "gateway.json").read_text())
    assert spec == contract
