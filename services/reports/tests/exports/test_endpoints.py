import csv
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import h3
import pytest
from sqlalchemy import text

from usm_reports.exports import service as exports_service
from usmdev.geography import CENTRAL, NORTH
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal

SeedCity = Callable[..., Awaitable[None]]
ANALYST = principal(["city_analyst"], ["durban"])
MODERATOR = principal(["city_admin"], ["durban"], subject="moderator-thandi")
CJ_ANALYST = principal(["city_analyst"], ["ciudad-juarez"])
EXACT = {"latitude": -29.851234, "longitude": 31.053456}
STREETLIGHT: dict[str, Any] = {
    "city": "durban",
    "category_code": "streetlight",
    **EXACT,
    "attributes": {"light_state": "out"},
    "description": '=HYPERLINK("http://evil.example") call 082 555 1234',
    "contact": {"name": "Thandi Dlamini", "email": "thandi@example.org"},
}
SECRET_TEXT = "He waits for me behind the clinic every evening."
GBV: dict[str, Any] = {
    "city": "durban",
    "category_code": "gbv",
    "latitude": -29.852345,
    "longitude": 31.054567,
    "attributes": {"immediate_danger": "no"},
    "description": SECRET_TEXT,
    "contact": {"name": "Nomsa", "phone": "+27825550000"},
}
# A lone sensitive report in North: too few to publish one by one.
LONE_GBV: dict[str, Any] = {**GBV, "latitude": -29.7012, "longitude": 31.1034}


async def submit(harness: ServiceHarness, body: dict[str, Any]) -> str:
    async with harness.client() as anonymous:
        created = await anonymous.post("/api/v1/reports", json=body)
        assert created.status_code == 201, created.text
        report_id: str = created.json()["id"]
        return report_id


async def seed(harness: ServiceHarness) -> dict[str, Any]:
    normal = await submit(harness, STREETLIGHT)
    central_gbv = [await submit(harness, GBV) for _ in range(5)]
    lone = await submit(harness, LONE_GBV)
    return {"normal": normal, "central_gbv": central_gbv, "lone": lone}


def secrets_absent(body: str) -> None:
    """Nothing exact, sensitive or personal in a public export."""
    for secret in (
        SECRET_TEXT,
        "Thandi",
        "thandi@example.org",
        "Nomsa",
        "0825551234",
        "082 555 1234",
        "27825550000",
        "-29.851234",
        "31.053456",
        "-29.852345",
        "-29.7012",
    ):
        assert secret not in body, secret


@pytest.mark.parametrize("batch_size", [2, 500])
async def test_the_public_csv_shows_only_what_public_views_show(
    usm_service: ServiceFactory,
    seed_city: SeedCity,
    monkeypatch: pytest.MonkeyPatch,
    batch_size: int,
) -> None:
    # Small batches exercise the keyset paging between transactions.
    monkeypatch.setattr(exports_service, "BATCH_SIZE", batch_size)
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL, NORTH])
        ids = await seed(reports)
        async with reports.client() as anonymous:
            exported = await anonymous.get("/api/v1/reports/cities/durban/exports/public.csv")
        assert exported.status_code == 200, exported.text
        assert exported.headers["content-type"] == "text/csv; charset=utf-8"
        assert "attachment" in exported.headers["content-disposition"]
        secrets_absent(exported.text)
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert tuple(rows[0]) == exports_service.PUBLIC_COLUMNS
        by_id = {row["id"]: row for row in rows}
        # The lone sensitive report of North is suppressed; the five of Central are shown.
        assert set(by_id) == {ids["normal"], *ids["central_gbv"]}
        normal = by_id[ids["normal"]]
        centre = h3.cell_to_latlng(h3.latlng_to_cell(EXACT["latitude"], EXACT["longitude"], 9))
        assert (float(normal["latitude"]), float(normal["longitude"])) == (
            round(centre[0], 6),
            round(centre[1], 6),
        )
        # Scrubbed, and never run as a spreadsheet formula.
        assert normal["description"] == ('\'=HYPERLINK("http://evil.example") call [phone removed]')
        for report_id in ids["central_gbv"]:
            row = by_id[report_id]
            assert row["district_code"] == "DBN-CENTRAL"
            assert row["latitude"] == row["longitude"] == row["description"] == ""


async def test_the_public_geojson_places_normal_reports_at_cell_centres_only(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL, NORTH])
        ids = await seed(reports)
        async with reports.client() as anonymous:
            exported = await anonymous.get(
                "/api/v1/reports/cities/durban/exports/public.geojson",
                params={"category": "streetlight,gbv", "status": "submitted"},
            )
            unknown = await anonymous.get("/api/v1/reports/cities/atlantis/exports/public.csv")
            bad = await anonymous.get("/api/v1/reports/cities/durban/exports/public.xlsx")
            bad_period = await anonymous.get(
                "/api/v1/reports/cities/durban/exports/public.csv", params={"period": "2025-13"}
            )
        assert exported.status_code == 200, exported.text
        assert exported.headers["content-type"] == "application/geo+json"
        secrets_absent(exported.text)
        collection = json.loads(exported.text)
        assert collection["type"] == "FeatureCollection"
        features = {feature["id"]: feature for feature in collection["features"]}
        assert set(features) == {ids["normal"], *ids["central_gbv"]}
        assert features[ids["normal"]]["geometry"]["type"] == "Point"
        assert all(features[i]["geometry"] is None for i in ids["central_gbv"])
        assert unknown.status_code == 404
        assert bad.status_code == 404
        assert bad_period.status_code == 422


async def test_the_staff_export_follows_the_staff_views_and_audits_sensitive_rows(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL, NORTH])
        ids = await seed(reports)
        async with reports.client(ANALYST) as analyst:
            plain = await analyst.get("/api/v1/reports/cities/durban/exports/staff.csv")
        assert plain.status_code == 200, plain.text
        rows = {row["id"]: row for row in csv.DictReader(io.StringIO(plain.text))}
        assert len(rows) == 7
        assert float(rows[ids["normal"]]["latitude"]) == EXACT["latitude"]
        assert SECRET_TEXT not in plain.text
        assert rows[ids["lone"]]["latitude"] == ""
        async with reports.client(MODERATOR) as moderator:
            full = await moderator.get(
                "/api/v1/reports/cities/durban/exports/staff.geojson",
                params={"district": "DBN-NORTH"},
            )
        features = json.loads(full.text)["features"]
        assert [feature["id"] for feature in features] == [ids["lone"]]
        assert features[0]["properties"]["description"] == SECRET_TEXT
        assert features[0]["geometry"]["coordinates"] == [31.1034, -29.7012]
        # Contact details are in no export.
        for body in (plain.text, full.text):
            assert "Nomsa" not in body and "thandi@example.org" not in body
        async with reports.runtime.database.sessions() as session:
            audited = (
                await session.execute(
                    text("SELECT report_id::text, actor, action FROM sensitive_read_audit")
                )
            ).all()
        assert [tuple(row) for row in audited] == [
            (ids["lone"], "moderator-thandi", "export.staff")
        ]
        async with reports.client(CJ_ANALYST) as stranger:
            denied = await stranger.get("/api/v1/reports/cities/durban/exports/staff.csv")
        assert denied.status_code == 403
        async with reports.client() as anonymous:
            denied = await anonymous.get("/api/v1/reports/cities/durban/exports/staff.csv")
        assert denied.status_code == 403


@pytest.mark.parametrize("export", ["staff.csv", "staff.geojson", "public.csv", "public.geojson"])
async def test_a_control_character_in_a_filter_is_a_422_before_the_stream_starts(
    usm_service: ServiceFactory, seed_city: SeedCity, export: str
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL])
        await submit(reports, STREETLIGHT)
        async with reports.client(ANALYST) as analyst:
            refused = await analyst.get(
                f"/api/v1/reports/cities/durban/exports/{export}",
                params={"period": "2025", "district": "nul\x00byte"},
            )
            assert refused.status_code == 422, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["errors"][0]["loc"] == ["query", "district"]
            # Nothing is wrong with a filter that matches no report: an empty export.
            empty = await analyst.get(
                f"/api/v1/reports/cities/durban/exports/{export}",
                params={"district": "DBN-NOWHERE"},
            )
        assert empty.status_code == 200
        assert STREETLIGHT["description"] not in empty.text


async def test_the_first_batch_is_read_before_the_export_answers() -> None:
    async def failing() -> AsyncIterator[exports_service.ExportRow]:
        raise RuntimeError("the database refused the query")
        yield  # an async generator that fails on its first row

    with pytest.raises(RuntimeError):
        await exports_service.started(failing())

    rows = [exports_service.ExportRow(values={"id": n}, point=None) for n in range(3)]

    async def three() -> AsyncIterator[exports_service.ExportRow]:
        for row in rows:
            yield row

    assert [row async for row in await exports_service.started(three())] == rows
