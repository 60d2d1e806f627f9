"""Intake keeps categories and districts in each process; a change made anywhere applies to
the very next report (`reports.intake`). And each report is linked at intake to an earlier
one it may duplicate."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from usm_reports.duplicates.repository import candidate_parameters, earliest_candidate
from usm_reports.main import create_app
from usm_reports.models import DistrictCopy, Report, ReportStatusChange
from usmdev.events import geography_updated
from usmdev.geography import CENTRAL, box, district
from usmdev.postgres import EmbeddedPostgres
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal
from usmdev.waiting import eventually
from usmkit.db import DriverStatement

SeedCity = Callable[..., Awaitable[None]]
CITY_ADMIN = principal(["city_admin"], ["durban"])
# A moderator who may not see sensitive reports in full.
SCOPED_MODERATOR = principal(["city_admin"], ["durban"], subject="moderator-sipho")
SCOPED_MODERATOR.scopes.remove("reports:sensitive:read")
STREETLIGHT: dict[str, Any] = {
    "city": "durban",
    "category_code": "streetlight",
    "latitude": -29.8512,
    "longitude": 31.0534,
    "description": "The light at the taxi rank is out.",
    "attributes": {"light_state": "out"},
}
# About 55 m north of STREETLIGHT.
NEARBY = {"latitude": -29.8507, "longitude": 31.0534}
# About 1.1 km away.
FAR = {"latitude": -29.8412, "longitude": 31.0534}
GBV: dict[str, Any] = {
    **STREETLIGHT,
    "category_code": "gbv",
    "description": "My neighbour is beaten every night.",
    "attributes": {"immediate_danger": "no"},
}


# The same place, renamed and redrawn by a later `geography.updated`.
REDRAWN = district("DBN-INNER", "Inner", box(31.04, -29.86, 31.06, -29.84))


async def submit(harness: ServiceHarness, body: dict[str, Any]) -> dict[str, Any]:
    async with harness.client() as anonymous:
        created = await anonymous.post("/api/v1/reports", json=body)
        assert created.status_code == 201, created.text
        receipt: dict[str, Any] = created.json()
        return receipt


async def staff_read(harness: ServiceHarness, report_id: str, who: Any = CITY_ADMIN) -> Any:
    async with harness.client(who) as staff:
        found = await staff.get(f"/api/v1/reports/{report_id}")
        assert found.status_code == 200, found.text
        return found.json()


@asynccontextmanager
async def replica_of(harness: ServiceHarness) -> AsyncIterator[ServiceHarness]:
    """A second process of the service on the same database, with its own caches."""
    app = create_app(harness.runtime.settings)  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        yield ServiceHarness(app=app, runtime=app.state.runtime)


async def test_a_category_changed_through_another_replica_applies_to_the_next_report(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports)
        first = await submit(reports, STREETLIGHT)
        assert (await staff_read(reports, first["id"]))["sensitivity"] == "normal"
        async with replica_of(reports) as other, other.client(CITY_ADMIN) as admin:
            path = "/api/v1/reports/cities/durban/categories/streetlight"
            changed = await admin.patch(path, json={"sensitivity": "sensitive", "attributes": []})
            assert changed.status_code == 200, changed.text
            # This process read the category before: it must not accept the old attribute.
            async with reports.client() as anonymous:
                refused = await anonymous.post("/api/v1/reports", json=STREETLIGHT)
                assert refused.status_code == 422, refused.text
                assert refused.json()["errors"][0]["loc"] == ["body", "attributes", "light_state"]
            second = await submit(reports, {**STREETLIGHT, "attributes": {}})
            assert (await staff_read(reports, second["id"]))["sensitivity"] == "sensitive"
            stopped = await admin.patch(path, json={"active": False})
            assert stopped.status_code == 200, stopped.text
        async with reports.client() as anonymous:
            inactive = await anonymous.post(
                "/api/v1/reports", json={**STREETLIGHT, "attributes": {}}
            )
            assert inactive.status_code == 422, inactive.text
            assert inactive.json()["errors"][0]["type"] == "unknown_category"


async def test_new_districts_apply_to_the_next_report(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL])
        assert (await submit(reports, STREETLIGHT))["district_code"] == "DBN-CENTRAL"
        async with reports.runtime.database.sessions() as session:
            before = await session.scalar(select(DistrictCopy.version))
        # Delivered to this process's consumer; another replica's cache is just as stale,
        # and the version check covers both.
        await reports.deliver(geography_updated("durban", [REDRAWN]))
        async with reports.runtime.database.sessions() as session:
            after = await session.scalar(select(DistrictCopy.version))
        assert after is not None and after != before
        assert (await submit(reports, STREETLIGHT))["district_code"] == "DBN-INNER"
        # Inside the old Central district, outside the new one.
        outside = await submit(reports, {**STREETLIGHT, "latitude": -29.88, "longitude": 31.05})
        assert outside["district_code"] is None
        async with reports.client() as anonymous:
            # The extent shrank with the districts: 25 km past the new box is refused.
            elsewhere = await anonymous.post(
                "/api/v1/reports", json={**STREETLIGHT, "latitude": -29.5, "longitude": 31.05}
            )
            assert elsewhere.status_code == 422, elsewhere.text


async def test_a_report_intake_needs_nothing_to_read_for_is_written_whole(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    # The second report finds its category and districts cached: its one statement runs
    # outside the request's transaction and must still write every part.
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL])
        first = await submit(reports, STREETLIGHT)
        second = await submit(reports, {**STREETLIGHT, **NEARBY})
        assert second["district_code"] == "DBN-CENTRAL"
        async with reports.runtime.database.sessions() as session:
            steps = (await session.execute(select(ReportStatusChange.report_id))).scalars()
            assert {str(report_id) for report_id in steps} == {first["id"], second["id"]}
        events = await reports.recorded("report.submitted")
        assert [event.subject for event in events] == [first["id"], second["id"]]
        assert events[1].data["district_code"] == "DBN-CENTRAL"
        assert (await staff_read(reports, second["id"]))["possible_duplicate_of_id"] == first["id"]


async def test_intake_links_a_report_to_the_earliest_nearby_one_of_its_category(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports)
        old = await submit(reports, STREETLIGHT)
        async with reports.runtime.database.transaction() as session:
            await session.execute(
                update(Report)
                .where(Report.id == old["id"])
                .values(submitted_at=datetime.now(UTC) - timedelta(days=4))
            )
        first = await submit(reports, STREETLIGHT)
        near = await submit(reports, {**STREETLIGHT, **NEARBY})
        again = await submit(reports, STREETLIGHT)
        far = await submit(reports, {**STREETLIGHT, **FAR})
        other_category = await submit(
            reports, {**STREETLIGHT, "category_code": "dark-path", "attributes": {}}
        )
        links = {
            name: (await staff_read(reports, receipt["id"]))["possible_duplicate_of_id"]
            for name, receipt in {
                "old": old,
                "first": first,
                "near": near,
                "again": again,
                "far": far,
                "other_category": other_category,
            }.items()
        }
        # Beyond the 72 h window, the old report is no candidate; the earliest one inside is.
        assert links == {
            "old": None,
            "first": None,
            "near": first["id"],
            "again": first["id"],
            "far": None,
            "other_category": None,
        }
        # A merged report is no longer a candidate: the next one links to the earliest left.
        async with reports.client(CITY_ADMIN) as moderator:
            merged = await moderator.post(
                f"/api/v1/reports/{first['id']}/merge",
                json={"into_report_id": near["id"]},
                headers={"If-Match": '"1"'},
            )
            assert merged.status_code == 200, merged.text
        after_merge = await submit(reports, STREETLIGHT)
        assert (await staff_read(reports, after_merge["id"]))["possible_duplicate_of_id"] == near[
            "id"
        ]


async def test_address_only_reports_link_on_the_same_address(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports)
        placed = {"latitude": None, "longitude": None}
        first = await submit(reports, {**STREETLIGHT, **placed, "address_string": "12 Grey St"})
        same = await submit(reports, {**STREETLIGHT, **placed, "address_string": "12 GREY ST"})
        other = await submit(reports, {**STREETLIGHT, **placed, "address_string": "14 Grey St"})
        assert (await staff_read(reports, same["id"]))["possible_duplicate_of_id"] == first["id"]
        assert (await staff_read(reports, other["id"]))["possible_duplicate_of_id"] is None


async def test_the_link_of_a_sensitive_report_needs_sensitive_read(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports)
        first = await submit(reports, GBV)
        second = await submit(reports, {**GBV, **NEARBY})
        # A normal report at the same spot is never linked to a sensitive one.
        streetlight = await submit(reports, STREETLIGHT)
        assert (await staff_read(reports, second["id"]))["possible_duplicate_of_id"] == first["id"]
        hidden = await staff_read(reports, second["id"], SCOPED_MODERATOR)
        assert hidden["possible_duplicate_of_id"] is None
        assert (await staff_read(reports, streetlight["id"]))["possible_duplicate_of_id"] is None


async def test_the_link_radius_and_window_are_configurable(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports", duplicate_radius_m=2000.0) as reports:
        await seed_city(reports)
        first = await submit(reports, STREETLIGHT)
        far = await submit(reports, {**STREETLIGHT, **FAR})
        assert (await staff_read(reports, far["id"]))["possible_duplicate_of_id"] == first["id"]


async def test_the_duplicate_search_planned_on_a_small_table_reads_one_row_on_a_large_one(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    # The intake statement is prepared: PostgreSQL makes its generic plan once per
    # connection, maybe while the table is small, and keeps it as the table grows. Such a
    # plan once walked every report of the city on each intake (migration 0008).
    async with usm_service("reports") as reports:
        await seed_city(reports)
        first = await submit(reports, STREETLIGHT)
        engine = reports.runtime.database.engine
        search = DriverStatement.compile(earliest_candidate("point").element, engine.dialect)
        values = {
            "city": "durban",
            "category_code": "streetlight",
            "sensitivity": "normal",
            "latitude": STREETLIGHT["latitude"],
            "longitude": STREETLIGHT["longitude"],
            **candidate_parameters(
                latitude=STREETLIGHT["latitude"],
                radius_m=100.0,
                since=datetime.now(UTC) - timedelta(hours=72),
            ),
        }
        arguments = search.arguments(values)
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            await driver.execute("SET plan_cache_mode = force_generic_plan")
            prepared = await driver.prepare(search.sql)

            async def entries_read() -> dict[str, int]:
                """Index entries of `reports` the search reads, by index."""
                # The backend's counts not yet reported, by index (no view shows them).
                counts = (
                    "SELECT indexrelid::regclass::text AS index, "
                    "pg_stat_get_xact_tuples_returned(indexrelid) AS read "
                    "FROM pg_index WHERE indrelid = 'reports'::regclass"
                )
                async with driver.transaction():
                    before = {row["index"]: row["read"] for row in await driver.fetch(counts)}
                    assert await prepared.fetchval(*arguments) is not None
                    after = {row["index"]: row["read"] for row in await driver.fetch(counts)}
                return {
                    index: read - before[index]
                    for index, read in after.items()
                    if read > before[index]
                }

            # Planned now, with one report.
            assert await entries_read() == {"ix_reports_city_category_code_submitted_at": 1}
            columns = [
                column.key
                for column in Report.__table__.columns
                if column.key not in ("id", "tracking_code_hash")
            ]
            copied = ", ".join(columns)
            # Column names from the model; the one value is a parameter.
            await driver.execute(
                f"INSERT INTO reports (id, tracking_code_hash, {copied}) "  # noqa: S608
                f"SELECT gen_random_uuid(), md5(random()::text), {copied} "
                "FROM reports, generate_series(1, 500) WHERE id = $1",
                uuid.UUID(first["id"]),
            )
            # The same plan, on 501 reports at the same spot: still one entry read.
            assert await entries_read() == {"ix_reports_city_category_code_submitted_at": 1}


async def test_a_report_written_by_itself_meets_a_database_restart_with_503_and_recovers(
    usm_service: ServiceFactory, seed_city: SeedCity, usm_postgres: EmbeddedPostgres
) -> None:
    # Without an Idempotency-Key, intake writes on the driver's own pool
    # (`Database.fetch_committed`): its dead connections must answer as the session's do.
    async with usm_service("reports") as reports, reports.client() as anonymous:
        await seed_city(reports)
        assert (await anonymous.post("/api/v1/reports", json=STREETLIGHT)).status_code == 201
        usm_postgres.stop()
        try:
            refused = await anonymous.post("/api/v1/reports", json=STREETLIGHT)
            assert refused.status_code == 503, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["retry-after"] == "2"
        finally:
            usm_postgres.start()

        async def accepted() -> bool:
            response = await anonymous.post("/api/v1/reports", json=STREETLIGHT)
            return response.status_code == 201

        await eventually(accepted, timeout_s=30, what="intake to write again")
        # The session's pool still holds connections from before the restart.
        await reports.runtime.database.engine.dispose()
        async with reports.runtime.database.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(Report))
        # The refused report left nothing; each accepted one is there once.
        assert count == 2
