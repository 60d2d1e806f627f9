from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from usm_reports.models import Report
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal

SeedCity = Callable[..., Awaitable[None]]
MODERATOR = principal(["city_admin"], ["durban"], subject="moderator-thandi")
# A moderator who may not see sensitive reports in full.
SCOPED_MODERATOR = principal(["city_admin"], ["durban"], subject="moderator-sipho")
SCOPED_MODERATOR.scopes.remove("reports:sensitive:read")
CJ_MODERATOR = principal(["city_admin"], ["ciudad-juarez"])
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


async def submit(harness: ServiceHarness, body: dict[str, Any]) -> dict[str, Any]:
    async with harness.client() as anonymous:
        created = await anonymous.post("/api/v1/reports", json=body)
        assert created.status_code == 201, created.text
        receipt: dict[str, Any] = created.json()
        return receipt


async def merge(
    client: httpx.AsyncClient, report_id: str, into: str, note: str | None = None
) -> httpx.Response:
    current = await client.get(f"/api/v1/reports/{report_id}")
    body: dict[str, Any] = {"into_report_id": into}
    if note:
        body["public_note"] = note
    return await client.post(
        f"/api/v1/reports/{report_id}/merge",
        json=body,
        headers={"If-Match": current.headers.get("etag", '"1"')},
    )


async def outbox_data(harness: ServiceHarness, event_type: str) -> list[dict[str, Any]]:
    outbox = harness.runtime.tables.outbox
    async with harness.runtime.database.sessions() as session:
        rows = (
            await session.execute(
                outbox.select().where(outbox.c.event_type == event_type).order_by(outbox.c.id)
            )
        ).all()
    return [row.envelope["data"] for row in rows]


async def test_candidates_are_same_category_near_in_space_and_time(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports)
        first = await submit(reports, STREETLIGHT)
        near = await submit(reports, {**STREETLIGHT, **NEARBY})
        far = await submit(reports, {**STREETLIGHT, **FAR})
        await submit(
            reports,
            {**STREETLIGHT, "category_code": "dark-path", "attributes": {}},
        )
        old = await submit(reports, STREETLIGHT)
        async with reports.runtime.database.transaction() as session:
            await session.execute(
                update(Report)
                .where(Report.id == old["id"])
                .values(submitted_at=datetime.now(UTC) - timedelta(days=10))
            )
        async with reports.client(MODERATOR) as moderator:
            found = await moderator.get(f"/api/v1/reports/{first['id']}/duplicates")
            assert found.status_code == 200, found.text
            body = found.json()
            assert body["radius_m"] == 150 and body["window_hours"] == 72
            assert [item["report"]["id"] for item in body["items"]] == [near["id"]]
            assert 40 < body["items"][0]["distance_m"] < 70
            # Wider, configurable per call within bounds.
            wider = await moderator.get(
                f"/api/v1/reports/{first['id']}/duplicates",
                params={"radius_m": 2000, "window_hours": 24 * 30},
            )
            # Nearest first: the old one is at the very same spot.
            ids = [item["report"]["id"] for item in wider.json()["items"]]
            assert ids == [old["id"], near["id"], far["id"]]
            refused = await moderator.get(
                f"/api/v1/reports/{first['id']}/duplicates", params={"radius_m": 1_000_000}
            )
            assert refused.status_code == 422
        async with reports.client(CJ_MODERATOR) as stranger:
            other_city = await stranger.get(f"/api/v1/reports/{first['id']}/duplicates")
            assert other_city.status_code == 403


async def test_a_merge_links_the_duplicate_and_its_reporter_follows_the_primary(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports)
        primary = await submit(reports, STREETLIGHT)
        duplicate = await submit(reports, {**STREETLIGHT, **NEARBY})
        async with reports.client(MODERATOR) as moderator:
            stale = await moderator.post(
                f"/api/v1/reports/{duplicate['id']}/merge",
                json={"into_report_id": primary["id"]},
                headers={"If-Match": '"7"'},
            )
            assert stale.status_code == 412
            missing = await moderator.post(
                f"/api/v1/reports/{duplicate['id']}/merge",
                json={"into_report_id": primary["id"]},
            )
            assert missing.status_code == 428
            merged = await merge(
                moderator, duplicate["id"], primary["id"], "Already reported; follow it there."
            )
            assert merged.status_code == 200, merged.text
            assert merged.json()["merged_into_id"] == primary["id"]
            assert merged.headers["etag"] == '"2"'
            # A retry (even with the old ETag) answers the same and changes nothing.
            again = await moderator.post(
                f"/api/v1/reports/{duplicate['id']}/merge",
                json={"into_report_id": primary["id"]},
                headers={"If-Match": '"1"'},
            )
            assert again.status_code == 200
            assert again.json() == merged.json()
            history = (await moderator.get(f"/api/v1/reports/{duplicate['id']}/history")).json()
            assert [(h["status"], h["merged_into_id"]) for h in history["items"]] == [
                ("submitted", None),
                ("submitted", primary["id"]),
            ]
            assert history["items"][1]["actor"] == "moderator-thandi"
            # The duplicate's own workflow stops.
            blocked = await moderator.post(
                f"/api/v1/reports/{duplicate['id']}/status",
                json={"status": "under_review"},
                headers={"If-Match": '"2"'},
            )
            assert blocked.status_code == 409
            # The primary moves on; the duplicate's reporter sees it.
            current = await moderator.get(f"/api/v1/reports/{primary['id']}")
            moved = await moderator.post(
                f"/api/v1/reports/{primary['id']}/status",
                json={"status": "under_review", "public_note": "We are looking into it."},
                headers={"If-Match": current.headers["etag"]},
            )
            assert moved.status_code == 200
            # Merged reports are no longer candidates.
            candidates = await moderator.get(f"/api/v1/reports/{primary['id']}/duplicates")
            assert candidates.json()["items"] == []
        async with reports.client() as anonymous:
            tracked = (
                await anonymous.get(f"/api/v1/reports/track/{duplicate['tracking_code']}")
            ).json()
        assert tracked["merged"] is True
        assert tracked["status"] == "under_review"
        assert [(u["status"], u["public_note"]) for u in tracked["updates"]] == [
            ("submitted", None),
            ("submitted", "Already reported; follow it there."),
            ("under_review", "We are looking into it."),
        ]
        # In Open311 the duplicate is open or closed as its primary is.
        async with reports.client(MODERATOR) as moderator:
            current = await moderator.get(f"/api/v1/reports/{primary['id']}")
            rejected = await moderator.post(
                f"/api/v1/reports/{primary['id']}/status",
                json={"status": "rejected"},
                headers={"If-Match": current.headers["etag"]},
            )
            assert rejected.status_code == 200
        async with reports.client() as anonymous:
            open311 = await anonymous.get(
                f"/open311/v2/requests/{duplicate['id']}.json",
                params={"jurisdiction_id": "durban"},
            )
        assert open311.status_code == 200, open311.text
        assert open311.json()[0]["status"] == "closed"
        [event] = await outbox_data(reports, "org.usm.reports.report.merged.v1")
        assert event["report_id"] == duplicate["id"]
        assert event["into_report_id"] == primary["id"]
        assert event["category_code"] == "streetlight"
        assert event["period"] == datetime.now(UTC).strftime("%Y-%m")
        assert set(event) == {
            "report_id",
            "into_report_id",
            "city",
            "category_code",
            "sensitivity",
            "district_code",
            "period",
            "merged_at",
        }


async def test_merges_that_make_no_sense_are_refused(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports)
        await seed_city(reports, "ciudad-juarez")
        first = await submit(reports, STREETLIGHT)
        second = await submit(reports, STREETLIGHT)
        third = await submit(reports, STREETLIGHT)
        elsewhere = await submit(
            reports, {**STREETLIGHT, "city": "ciudad-juarez", "latitude": 31.7, "longitude": -106.4}
        )
        async with reports.client(MODERATOR) as moderator:
            itself = await merge(moderator, first["id"], first["id"])
            assert itself.status_code == 422
            other_city = await merge(moderator, first["id"], elsewhere["id"])
            assert other_city.status_code == 422
            assert other_city.json()["errors"][0]["loc"] == ["body", "into_report_id"]
            assert (await merge(moderator, second["id"], first["id"])).status_code == 200
            # Into a duplicate: merge into its primary instead.
            assert (await merge(moderator, third["id"], second["id"])).status_code == 409
            # Already merged elsewhere.
            assert (await merge(moderator, second["id"], third["id"])).status_code == 409
            # A primary that becomes a duplicate takes its duplicates along.
            assert (await merge(moderator, first["id"], third["id"])).status_code == 200
            moved = (await moderator.get(f"/api/v1/reports/{second['id']}")).json()
            assert moved["merged_into_id"] == third["id"]
        async with reports.client(principal(["city_analyst"], ["durban"])) as analyst:
            forbidden = await merge(analyst, third["id"], first["id"])
            assert forbidden.status_code == 403
        assert len(await outbox_data(reports, "org.usm.reports.report.merged.v1")) == 2


async def test_sensitive_reports_stay_out_of_reach_without_the_sensitive_scope(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports)
        first = await submit(reports, GBV)
        second = await submit(reports, {**GBV, **NEARBY})
        async with reports.client(SCOPED_MODERATOR) as scoped:
            assert (
                await scoped.get(f"/api/v1/reports/{first['id']}/duplicates")
            ).status_code == 403
            refused = await merge(scoped, second["id"], first["id"])
            assert refused.status_code == 403
        async with reports.client(MODERATOR) as moderator:
            found = (await moderator.get(f"/api/v1/reports/{first['id']}/duplicates")).json()
            assert [item["report"]["id"] for item in found["items"]] == [second["id"]]
            assert found["items"][0]["report"]["description"] == GBV["description"]
            assert (await merge(moderator, second["id"], first["id"])).status_code == 200
            current = await moderator.get(f"/api/v1/reports/{first['id']}")
            moved = await moderator.post(
                f"/api/v1/reports/{first['id']}/status",
                json={"status": "under_review", "public_note": "We will call you tomorrow."},
                headers={"If-Match": current.headers["etag"]},
            )
            assert moved.status_code == 200
        # The primary's reporter was written to, not the duplicate's: status without note.
        async with reports.client() as anonymous:
            tracked = (
                await anonymous.get(f"/api/v1/reports/track/{second['tracking_code']}")
            ).json()
        assert tracked["status"] == "under_review"
        assert tracked["updates"][-1] == {
            "status": "under_review",
            "changed_at": tracked["updates"][-1]["changed_at"],
            "public_note": None,
        }
        [event] = await outbox_data(reports, "org.usm.reports.report.merged.v1")
        assert event["sensitivity"] == "sensitive"
        # Events never carry the text or the location.
        assert "description" not in event and "latitude" not in event
