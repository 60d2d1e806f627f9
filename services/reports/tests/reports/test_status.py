import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import text

from usmdev.geography import CENTRAL
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal

SeedCity = Callable[..., Awaitable[None]]
MODERATOR = principal(["city_admin"], ["durban"], subject="moderator-thandi")
ANALYST = principal(["city_analyst"], ["durban"])
STREETLIGHT: dict[str, Any] = {
    "city": "durban",
    "category_code": "streetlight",
    "latitude": -29.8512,
    "longitude": 31.0534,
    "description": "The light at the taxi rank has been out for a week.",
    "attributes": {"light_state": "out"},
}
GBV: dict[str, Any] = {
    **STREETLIGHT,
    "category_code": "gbv",
    "description": "My neighbour at 12 Smith Street is beaten every night.",
    "attributes": {"immediate_danger": "no"},
}


async def submit(harness: ServiceHarness, body: dict[str, Any]) -> dict[str, Any]:
    async with harness.client() as anonymous:
        created = await anonymous.post("/api/v1/reports", json=body)
        assert created.status_code == 201, created.text
        receipt: dict[str, Any] = created.json()
        return receipt


async def move(
    client: httpx.AsyncClient, report_id: str, status: str, note: str | None = None
) -> httpx.Response:
    current = await client.get(f"/api/v1/reports/{report_id}")
    body: dict[str, Any] = {"status": status}
    if note:
        body["public_note"] = note
    return await client.post(
        f"/api/v1/reports/{report_id}/status",
        json=body,
        headers={"If-Match": current.headers["etag"]},
    )


async def test_the_full_workflow_with_history_tracking_and_events(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL])
        receipt = await submit(reports, STREETLIGHT)
        report_id = receipt["id"]
        steps = [
            ("under_review", None),
            ("accepted", "Thank you: a crew is scheduled for this week."),
            ("in_progress", None),
            ("resolved", "The lamp was replaced on Thursday."),
            ("closed", None),
            ("under_review", "Reopened: the lamp is out again."),
        ]
        async with reports.client(MODERATOR) as moderator:
            for status, note in steps:
                moved = await move(moderator, report_id, status, note)
                assert moved.status_code == 200, moved.text
                assert moved.json()["status"] == status
            assert moved.headers["etag"] == '"7"'
            history = await moderator.get(f"/api/v1/reports/{report_id}/history")
            assert history.status_code == 200
            entries = history.json()["items"]
            assert [(entry["from_status"], entry["status"]) for entry in entries] == [
                (None, "submitted"),
                ("submitted", "under_review"),
                ("under_review", "accepted"),
                ("accepted", "in_progress"),
                ("in_progress", "resolved"),
                ("resolved", "closed"),
                ("closed", "under_review"),
            ]
            assert [entry["actor"] for entry in entries] == ["reporter"] + ["moderator-thandi"] * 6
            assert entries[2]["public_note"] == steps[1][1]
            paged = await moderator.get(f"/api/v1/reports/{report_id}/history", params={"limit": 4})
            rest = await moderator.get(
                f"/api/v1/reports/{report_id}/history",
                params={"limit": 4, "cursor": paged.json()["next_cursor"]},
            )
            assert [e["id"] for e in paged.json()["items"] + rest.json()["items"]] == [
                entry["id"] for entry in entries
            ]
            assert rest.json()["next_cursor"] is None

        async with reports.client() as anonymous:
            tracked = (
                await anonymous.get(f"/api/v1/reports/track/{receipt['tracking_code']}")
            ).json()
        assert tracked["status"] == "under_review"
        assert [update["status"] for update in tracked["updates"]] == [
            "submitted",
            *[status for status, _ in steps],
        ]
        assert [u["public_note"] for u in tracked["updates"] if u["public_note"]] == [
            note for _, note in steps if note
        ]

        events = await reports.recorded("report.status_changed")
        assert [event.data["to_status"] for event in events] == [s for s, _ in steps]
        assert events[1].data == {
            "report_id": report_id,
            "city": "durban",
            "category_code": "streetlight",
            "sensitivity": "normal",
            "district_code": "DBN-CENTRAL",
            "from_status": "under_review",
            "to_status": "accepted",
            "changed_at": events[1].data["changed_at"],
            "public_note": "Thank you: a crew is scheduled for this week.",
        }
        assert all(event.subject == report_id for event in events)


async def test_forbidden_moves_stale_versions_and_missing_if_match(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL])
        report_id = (await submit(reports, STREETLIGHT))["id"]
        path = f"/api/v1/reports/{report_id}/status"
        async with reports.client(MODERATOR) as moderator:
            skipped = await move(moderator, report_id, "resolved")
            assert skipped.status_code == 409
            assert skipped.headers["content-type"] == "application/problem+json"
            assert "can move to 'under_review', not to 'resolved'" in skipped.json()["detail"]
            missing = await moderator.post(path, json={"status": "under_review"})
            assert missing.status_code == 428
            stale = await moderator.post(
                path, json={"status": "under_review"}, headers={"If-Match": '"0"'}
            )
            assert stale.status_code == 412
            first = await moderator.post(
                path, json={"status": "under_review"}, headers={"If-Match": '"1"'}
            )
            assert first.status_code == 200
            # A second moderator working from the same read loses.
            second = await moderator.post(
                path, json={"status": "rejected"}, headers={"If-Match": '"1"'}
            )
            assert second.status_code == 412
            assert (await move(moderator, report_id, "rejected")).status_code == 200
            final = await move(moderator, report_id, "under_review")
            assert final.status_code == 409
            assert "final" in final.json()["detail"]
            bad = await moderator.post(path, json={"status": "done"}, headers={"If-Match": '"3"'})
            assert bad.status_code == 422
            long_note = await moderator.post(
                path,
                json={"status": "under_review", "public_note": "x" * 1001},
                headers={"If-Match": '"3"'},
            )
            assert long_note.status_code == 422
            unknown = await moderator.post(
                "/api/v1/reports/0193a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d/status",
                json={"status": "under_review"},
                headers={"If-Match": '"1"'},
            )
            assert unknown.status_code == 404
            history = (await moderator.get(f"/api/v1/reports/{report_id}/history")).json()
            assert [entry["status"] for entry in history["items"]] == [
                "submitted",
                "under_review",
                "rejected",
            ]


async def test_moderation_needs_the_scope_in_the_reports_city(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL])
        report_id = (await submit(reports, STREETLIGHT))["id"]
        path = f"/api/v1/reports/{report_id}/status"
        headers = {"If-Match": '"1"'}
        for who in (None, ANALYST, principal(["city_admin"], ["ciudad-juarez"])):
            async with reports.client(who) as client:
                refused = await client.post(path, json={"status": "under_review"}, headers=headers)
                assert refused.status_code == 403, who
                history = await client.get(f"/api/v1/reports/{report_id}/history")
                assert history.status_code == (200 if who is ANALYST else 403)
        async with reports.client(principal(["city_analyst"], ["ciudad-juarez"])) as other:
            assert (await other.get(f"/api/v1/reports/{report_id}")).status_code == 403
        assert await reports.recorded("report.status_changed") == []


async def test_the_moderation_queue_filters_by_status(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL])
        ids = [(await submit(reports, STREETLIGHT))["id"] for _ in range(4)]
        async with reports.client(MODERATOR) as moderator:
            await move(moderator, ids[0], "under_review")
            await move(moderator, ids[1], "under_review")
            await move(moderator, ids[1], "rejected")
            queue = await moderator.get(
                "/api/v1/reports", params={"city": "durban", "status": "submitted,under_review"}
            )
            assert queue.status_code == 200
            assert {item["id"] for item in queue.json()["items"]} == {ids[0], ids[2], ids[3]}
            rejected = await moderator.get(
                "/api/v1/reports", params={"city": "durban", "status": "rejected"}
            )
            assert [item["id"] for item in rejected.json()["items"]] == [ids[1]]
            bad = await moderator.get(
                "/api/v1/reports", params={"city": "durban", "status": "submitted,lost"}
            )
            assert bad.status_code == 422
            assert bad.json()["errors"][0]["loc"] == ["query", "status"]


async def test_sensitive_status_changes_carry_no_note_or_text(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL])
        receipt = await submit(reports, GBV)
        note = "We called you back on the number you gave; a social worker visits today."
        async with reports.client(MODERATOR) as moderator:
            moved = await move(moderator, receipt["id"], "under_review", note)
            assert moved.status_code == 200
            history = (await moderator.get(f"/api/v1/reports/{receipt['id']}/history")).json()
            assert history["items"][-1]["public_note"] == note
        async with reports.client() as anonymous:
            tracked = (
                await anonymous.get(f"/api/v1/reports/track/{receipt['tracking_code']}")
            ).json()
            # The reporter sees the note meant for them; nothing else about the report.
            assert tracked["updates"][-1]["public_note"] == note
            assert GBV["description"] not in json.dumps(tracked)
        async with reports.client(ANALYST) as analyst:
            # Without `reports:sensitive:read` the history says who and when, not what.
            plain = await analyst.get(f"/api/v1/reports/{receipt['id']}/history")
            assert plain.status_code == 200
            assert [entry["status"] for entry in plain.json()["items"]] == [
                "submitted",
                "under_review",
            ]
            assert [entry["public_note"] for entry in plain.json()["items"]] == [None, None]
            assert note not in plain.text
        async with reports.runtime.database.sessions() as session:
            audited = (
                await session.execute(text("SELECT actor, action FROM sensitive_read_audit"))
            ).all()
        # The moderator's reading of the note was audited; the analyst's saw nothing.
        assert ("moderator-thandi", "report.history") in [tuple(row) for row in audited]
        assert all(actor == "moderator-thandi" for actor, _ in audited)
        [event] = await reports.recorded("report.status_changed")
        assert event.data["public_note"] is None
        assert event.data["sensitivity"] == "sensitive"
        # As the events go out: the envelopes as published.
        published = [*await reports.recorded("report.submitted"), event]
        flat = "".join(recorded.to_bytes().decode() for recorded in published)
        for secret in (note, GBV["description"], "29.851", "31.053", "Smith"):
            assert secret not in flat
