import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from usm_reports.models import Report
from usm_reports.reports.intake import Intake, get_intake
from usm_reports.reports.lane import INTAKE
from usmdev.geography import CENTRAL
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal

ANALYST = principal(["city_analyst"], ["durban"])
CITY_ADMIN = principal(["city_admin"], ["durban"])
# North has a hole (a park, say): points in it belong to no district.
NORTH = {
    "code": "DBN-NORTH",
    "name": "North",
    "boundary": {
        "type": "MultiPolygon",
        "coordinates": [
            [
                [[31.0, -29.8], [31.2, -29.8], [31.2, -29.6], [31.0, -29.6], [31.0, -29.8]],
                [
                    [31.05, -29.75],
                    [31.15, -29.75],
                    [31.15, -29.65],
                    [31.05, -29.65],
                    [31.05, -29.75],
                ],
            ]
        ],
    },
}
STREETLIGHT: dict[str, Any] = {
    "city": "durban",
    "category_code": "streetlight",
    "latitude": -29.85,
    "longitude": 31.05,
    "description": "The light at the taxi rank has been out for a week.",
    "attributes": {"light_state": "out"},
}
GBV: dict[str, Any] = {
    **STREETLIGHT,
    "category_code": "gbv",
    "attributes": {"immediate_danger": "no"},
}
SeedCity = Callable[..., Awaitable[None]]
IN_THE_HOLE = {"latitude": -29.7, "longitude": 31.1}


async def stored_reports(harness: ServiceHarness) -> list[Report]:
    async with harness.runtime.database.sessions() as session:
        return list((await session.scalars(select(Report))).all())


async def test_anonymous_submission_gets_a_tracking_code_and_its_district(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports, reports.client() as anonymous:
        await seed_city(reports, districts=[CENTRAL, NORTH])
        created = await anonymous.post("/api/v1/reports", json=STREETLIGHT)
        assert created.status_code == 201, created.text
        receipt = created.json()
        assert set(receipt) == {"id", "tracking_code", "status", "district_code", "submitted_at"}
        assert receipt["status"] == "submitted"
        assert receipt["district_code"] == "DBN-CENTRAL"

        tracked = await anonymous.get(f"/api/v1/reports/track/{receipt['tracking_code']}")
        assert tracked.status_code == 200, tracked.text
        assert tracked.json() == {
            "id": receipt["id"],
            "status": "submitted",
            "submitted_at": receipt["submitted_at"],
            "updated_at": receipt["submitted_at"],
            "category_code": "streetlight",
            "merged": False,
            "updates": [
                {"status": "submitted", "changed_at": receipt["submitted_at"], "public_note": None}
            ],
        }

        [stored] = await stored_reports(reports)
        assert stored.sensitivity == "normal"
        assert stored.outside_districts is False
        # Only the digest is kept.
        expected = hashlib.sha256(receipt["tracking_code"].encode()).hexdigest()
        assert stored.tracking_code_hash == expected


async def test_a_point_outside_every_district_is_kept_and_flagged(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports, reports.client() as anonymous:
        await seed_city(reports, districts=[CENTRAL, NORTH])
        created = await anonymous.post("/api/v1/reports", json={**STREETLIGHT, **IN_THE_HOLE})
        assert created.status_code == 201, created.text
        assert created.json()["district_code"] is None
        in_north = await anonymous.post(
            "/api/v1/reports", json={**STREETLIGHT, "latitude": -29.61, "longitude": 31.01}
        )
        assert in_north.json()["district_code"] == "DBN-NORTH"

        async with reports.client(ANALYST) as analyst:
            listed = (await analyst.get("/api/v1/reports", params={"city": "durban"})).json()
        outside = [item for item in listed["items"] if item["id"] == created.json()["id"]]
        assert outside[0]["outside_districts"] is True
        assert outside[0]["district_code"] is None


async def test_a_point_far_outside_the_city_is_refused_and_nothing_is_stored(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports, reports.client() as anonymous:
        await seed_city(reports, districts=[CENTRAL, NORTH])
        johannesburg = {**STREETLIGHT, "latitude": -26.2, "longitude": 28.04}
        refused = await anonymous.post("/api/v1/reports", json=johannesburg)
        assert refused.status_code == 422
        assert {tuple(error["loc"]) for error in refused.json()["errors"]} == {
            ("body", "latitude"),
            ("body", "longitude"),
        }
        assert await stored_reports(reports) == []


async def test_invalid_submissions_are_validation_problems(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports, reports.client() as anonymous:
        await seed_city(reports, districts=[CENTRAL, NORTH])
        cases: list[tuple[dict[str, Any], tuple[str, ...]]] = [
            ({**STREETLIGHT, "city": "atlantis"}, ("body", "city")),
            ({**STREETLIGHT, "latitude": 90.5}, ("body", "latitude")),
            ({**STREETLIGHT, "longitude": -180.1}, ("body", "longitude")),
            ({**STREETLIGHT, "description": "x" * 4001}, ("body", "description")),
            ({**STREETLIGHT, "category_code": "potholes"}, ("body", "category_code")),
            ({**STREETLIGHT, "attributes": {}}, ("body", "attributes", "light_state")),
            (
                {**STREETLIGHT, "attributes": {"light_state": "exploded"}},
                ("body", "attributes", "light_state"),
            ),
            (
                {**STREETLIGHT, "attributes": {"light_state": "out", "colour": "red"}},
                ("body", "attributes", "colour"),
            ),
            (
                {**STREETLIGHT, "attributes": {"light_state": "out", "pole_number": 12}},
                ("body", "attributes", "pole_number"),
            ),
            ({**STREETLIGHT, "contact": {"fax": "1"}}, ("body", "contact", "fax")),
        ]
        for body, field in cases:
            response = await anonymous.post("/api/v1/reports", json=body)
            assert response.status_code == 422, (field, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert [tuple(error["loc"]) for error in response.json()["errors"]] == [field]
        longest = await anonymous.post(
            "/api/v1/reports", json={**STREETLIGHT, "description": "x" * 4000}
        )
        assert longest.status_code == 201
        assert len(await stored_reports(reports)) == 1


async def test_an_unknown_tracking_code_is_not_found(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports, reports.client() as anonymous:
        response = await anonymous.get("/api/v1/reports/track/not-a-real-code")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


async def test_listing_needs_the_read_scope_in_one_of_the_callers_cities(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL, NORTH])
        async with reports.client() as anonymous:
            await anonymous.post("/api/v1/reports", json=STREETLIGHT)
            refused = await anonymous.get("/api/v1/reports", params={"city": "durban"})
            assert refused.status_code == 403
        elsewhere = principal(["city_analyst"], ["cape-town"])
        async with reports.client(elsewhere) as analyst:
            refused = await analyst.get("/api/v1/reports", params={"city": "durban"})
            assert refused.status_code == 403
            assert refused.json()["status"] == 403
        async with reports.client(ANALYST) as analyst:
            allowed = await analyst.get("/api/v1/reports", params={"city": "durban"})
            assert allowed.status_code == 200
            [item] = allowed.json()["items"]
            assert item["description"] == STREETLIGHT["description"]
            assert item["latitude"] == STREETLIGHT["latitude"]


async def test_sensitive_text_and_location_need_the_sensitive_scope(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL, NORTH])
        async with reports.client() as anonymous:
            created = await anonymous.post("/api/v1/reports", json=GBV)
            assert created.status_code == 201
        async with reports.client(ANALYST) as analyst:
            [item] = (await analyst.get("/api/v1/reports", params={"city": "durban"})).json()[
                "items"
            ]
            assert item["sensitivity"] == "sensitive"
            assert item["district_code"] == "DBN-CENTRAL"
            assert item["description"] is None
            assert (item["latitude"], item["longitude"]) == (None, None)
        async with reports.client(CITY_ADMIN) as admin:
            [item] = (await admin.get("/api/v1/reports", params={"city": "durban"})).json()["items"]
            assert item["description"] == STREETLIGHT["description"]
            assert item["latitude"] == STREETLIGHT["latitude"]


async def test_submission_writes_report_submitted_without_text_or_location(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports, reports.client() as anonymous:
        await seed_city(reports, districts=[CENTRAL, NORTH])
        receipt = (await anonymous.post("/api/v1/reports", json=GBV)).json()
        outbox = reports.runtime.tables.outbox
        async with reports.runtime.database.sessions() as session:
            rows = (await session.execute(outbox.select())).all()
        assert [row.event_type for row in rows] == ["org.usm.reports.report.submitted.v1"]
        assert rows[0].message_key == "durban"
        envelope = rows[0].envelope
        assert envelope["subject"] == receipt["id"]
        assert envelope["data"] == {
            "report_id": receipt["id"],
            "city": "durban",
            "category_code": "gbv",
            "sensitivity": "sensitive",
            "district_code": "DBN-CENTRAL",
            "period": receipt["submitted_at"][:7],
            "submitted_at": envelope["data"]["submitted_at"],
        }
        flat = json.dumps(envelope)
        assert STREETLIGHT["description"] not in flat
        assert "29.85" not in flat
        assert "31.05" not in flat


async def test_listing_is_newest_first_and_walks_every_report_once(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL, NORTH])
        async with reports.client() as anonymous:
            created = [
                (await anonymous.post("/api/v1/reports", json=STREETLIGHT)).json()["id"]
                for _ in range(5)
            ]
        seen: list[str] = []
        cursor = None
        async with reports.client(ANALYST) as analyst:
            while True:
                params: dict[str, str | int] = {"city": "durban", "limit": 2}
                if cursor:
                    params["cursor"] = cursor
                page = (await analyst.get("/api/v1/reports", params=params)).json()
                seen += [item["id"] for item in page["items"]]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert seen == list(reversed(created))
            bad = await analyst.get("/api/v1/reports", params={"city": "durban", "cursor": "WzFd"})
            assert bad.status_code == 400


async def test_idempotency_key_replays_the_first_receipt(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports, reports.client() as anonymous:
        await seed_city(reports, districts=[CENTRAL, NORTH])
        headers = {"Idempotency-Key": "3f6c0d2a-submit-streetlight"}
        first = await anonymous.post("/api/v1/reports", json=STREETLIGHT, headers=headers)
        second = await anonymous.post("/api/v1/reports", json=STREETLIGHT, headers=headers)
        assert first.status_code == 201
        assert second.json() == first.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert len(await stored_reports(reports)) == 1


async def test_an_address_is_enough_and_media_and_address_are_sensitive_too(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL, NORTH])
        address_only = {
            key: value for key, value in STREETLIGHT.items() if key not in ("latitude", "longitude")
        }
        async with reports.client() as anonymous:
            created = await anonymous.post(
                "/api/v1/reports",
                json={**address_only, "address_string": "Corner of Smith and West Street"},
            )
            assert created.status_code == 201, created.text
            assert created.json()["district_code"] is None
            sensitive = await anonymous.post(
                "/api/v1/reports",
                json={
                    **GBV,
                    "address_string": "12 Acacia Lane",
                    "media_urls": ["https://photos.example.org/bruise.jpg"],
                    "contact": {"name": "N.", "phone": "+27 82 555 1234"},
                },
            )
            assert sensitive.status_code == 201, sensitive.text
            for body, loc in (
                (address_only, ["body"]),
                ({**STREETLIGHT, "longitude": None}, ["body"]),
                ({**STREETLIGHT, "media_urls": ["file:///etc/passwd"]}, ["body", "media_urls", 0]),
            ):
                refused = await anonymous.post("/api/v1/reports", json=body)
                assert refused.status_code == 422, refused.text
                assert refused.json()["errors"][0]["loc"] == loc
            broken = await anonymous.post(
                "/api/v1/reports",
                content=b'{"city": "durban", "description": "\xff\xfe"}',
                headers={"Content-Type": "application/json"},
            )
            assert broken.status_code in (400, 422)
            assert broken.headers["content-type"] == "application/problem+json"
        async with reports.client(ANALYST) as analyst:
            items = (await analyst.get("/api/v1/reports", params={"city": "durban"})).json()[
                "items"
            ]
        by_id = {item["id"]: item for item in items}
        hidden = by_id[sensitive.json()["id"]]
        assert hidden["address_string"] is None
        assert hidden["media_urls"] is None
        assert hidden["attributes"] is None
        assert by_id[created.json()["id"]]["outside_districts"] is True
        assert by_id[created.json()["id"]]["channel"] == "api"
        async with reports.runtime.database.sessions() as session:
            dump = json.dumps(
                [str(row) for row in (await session.execute(select(Report.__table__))).all()]
            )
        assert "555 1234" not in dump
        assert len(items) == 2


# The intake lane (`reports.lane`) answers plain submissions as the route would, and leaves
# every other request to the route.


def requests_the_route_took(harness: ServiceHarness) -> list[str]:
    """Only the route solves dependencies, the intake among them: counting the calls of
    that one counts the requests it answered."""
    intake: Intake = harness.app.state.intake
    taken: list[str] = []

    async def counted() -> Intake:
        taken.append("route")
        return intake

    harness.app.dependency_overrides[get_intake] = counted
    return taken


async def test_a_plain_submission_is_answered_by_the_lane_as_the_route_answers_it(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports, reports.client() as anonymous:
        await seed_city(reports, districts=[CENTRAL])
        taken = requests_the_route_took(reports)
        by_lane = await anonymous.post("/api/v1/reports", json=STREETLIGHT)
        assert taken == []
        # As valid, with a charset: not what the lane takes.
        by_route = await anonymous.post(
            "/api/v1/reports",
            content=json.dumps(STREETLIGHT),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        assert taken == ["route"]
        operations = reports.app.openapi()["paths"][INTAKE[1]]
    # The lane sits on the route's own path and method.
    assert INTAKE[0].lower() in operations
    assert (by_lane.status_code, by_route.status_code) == (201, 201)
    assert by_lane.headers.keys() == by_route.headers.keys()
    assert by_lane.headers["content-type"] == by_route.headers["content-type"]
    lane_receipt, route_receipt = by_lane.json(), by_route.json()
    assert lane_receipt.keys() == route_receipt.keys()
    for key in ("status", "district_code"):
        assert lane_receipt[key] == route_receipt[key]
    assert len(lane_receipt["tracking_code"]) == len(route_receipt["tracking_code"])
    for receipt in (lane_receipt, route_receipt):
        assert datetime.fromisoformat(receipt["submitted_at"]).utcoffset() is not None


async def test_requests_the_lane_does_not_take_are_answered_by_the_route(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    analyst = principal(["city_analyst"], ["durban"])
    analyst.scopes.remove("reports:submit")
    async with (
        usm_service("reports") as reports,
        reports.client() as anonymous,
        reports.client(analyst) as no_submit,
    ):
        await seed_city(reports, districts=[CENTRAL])
        taken = requests_the_route_took(reports)
        keyed = {"Idempotency-Key": "lane-test-6d2f0c1e-retry"}
        first = await anonymous.post("/api/v1/reports", json=STREETLIGHT, headers=keyed)
        again = await anonymous.post("/api/v1/reports", json=STREETLIGHT, headers=keyed)
        invalid = await anonymous.post("/api/v1/reports", json={**STREETLIGHT, "latitude": "x"})
        broken = await anonymous.post(
            "/api/v1/reports",
            content=b'{"city": "durban",',
            headers={"Content-Type": "application/json"},
        )
        # Nested beyond what json.loads can parse.
        deep = await anonymous.post(
            "/api/v1/reports",
            content=b"[" * 100_000 + b"]" * 100_000,
            headers={"Content-Type": "application/json"},
        )
        refused = await no_submit.post("/api/v1/reports", json=STREETLIGHT)
    # All but the broken and the deep one, which the route refuses before it solves any
    # dependency.
    assert len(taken) == 4
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    for problem, status in ((invalid, 422), (broken, 422), (deep, 400), (refused, 403)):
        assert problem.status_code == status, problem.text
        assert problem.headers["content-type"] == "application/problem+json"
    assert [tuple(error["loc"]) for error in invalid.json()["errors"]] == [("body", "latitude")]
