from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal
from usmkit.auth import Principal

SeedCity = Callable[..., Awaitable[None]]
ANALYST = principal(["city_analyst"], ["durban"], subject="analyst-lindiwe")
CJ_ADMIN = principal(["city_admin"], ["ciudad-juarez"])
STREETLIGHT: dict[str, Any] = {
    "city": "durban",
    "category_code": "streetlight",
    "latitude": -29.8512,
    "longitude": 31.0534,
    "attributes": {"light_state": "out"},
}
GBV: dict[str, Any] = {
    **STREETLIGHT,
    "category_code": "gbv",
    "description": "My neighbour is beaten every night.",
    "attributes": {"immediate_danger": "no"},
    "contact": {"name": "Thandi", "phone": "+27825551234"},
}


def moderator(request_id: str) -> Principal:
    return principal(["city_admin"], ["durban"], subject="moderator-thandi").model_copy(
        update={"request_id": request_id, "client_id": "moderation-portal"}
    )


async def submit(harness: ServiceHarness, body: dict[str, Any]) -> str:
    async with harness.client() as anonymous:
        created = await anonymous.post("/api/v1/reports", json=body)
        assert created.status_code == 201, created.text
        report_id: str = created.json()["id"]
        return report_id


async def test_every_staff_read_of_raw_sensitive_data_is_audited(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports)
        sensitive = await submit(reports, GBV)
        normal = await submit(reports, STREETLIGHT)
        # Reads that reveal nothing sensitive leave no trace.
        async with reports.client(ANALYST) as analyst:
            assert (await analyst.get(f"/api/v1/reports/{sensitive}")).json()["latitude"] is None
            await analyst.get("/api/v1/reports", params={"city": "durban"})
        async with reports.client(moderator("req-normal")) as reader:
            await reader.get(f"/api/v1/reports/{normal}")
        async with reports.client(moderator("req-read")) as reader:
            one = await reader.get(f"/api/v1/reports/{sensitive}")
            assert one.json()["description"] == GBV["description"]
        async with reports.client(moderator("req-list")) as reader:
            listed = await reader.get("/api/v1/reports", params={"city": "durban"})
            assert len(listed.json()["items"]) == 2
        async with reports.client(moderator("req-contact")) as reader:
            contact = await reader.get(f"/api/v1/reports/{sensitive}/contact")
            assert contact.json()["phone"] == "+27825551234"
        # A refused change shows nothing, so it logs nothing.
        async with reports.client(moderator("req-refused")) as reader:
            refused = await reader.post(
                f"/api/v1/reports/{sensitive}/status",
                json={"status": "closed"},
                headers={"If-Match": '"1"'},
            )
            assert refused.status_code == 409

        async with reports.client(moderator("req-audit")) as admin:
            log = await admin.get("/api/v1/reports/cities/durban/sensitive-reads")
            assert log.status_code == 200, log.text
            entries = log.json()["items"]
            assert [(e["action"], e["request_id"]) for e in entries] == [
                ("contact.read", "req-contact"),
                ("report.list", "req-list"),
                ("report.read", "req-read"),
            ]
            assert {e["report_id"] for e in entries} == {sensitive}
            assert {(e["actor"], e["client_id"]) for e in entries} == {
                ("moderator-thandi", "moderation-portal")
            }
            page = await admin.get(
                "/api/v1/reports/cities/durban/sensitive-reads",
                params={"limit": 2, "actor": "moderator-thandi", "report_id": sensitive},
            )
            assert len(page.json()["items"]) == 2
            rest = await admin.get(
                "/api/v1/reports/cities/durban/sensitive-reads",
                params={"limit": 2, "cursor": page.json()["next_cursor"]},
            )
            assert [e["action"] for e in rest.json()["items"]] == ["report.read"]
            bad_range = await admin.get(
                "/api/v1/reports/cities/durban/sensitive-reads",
                params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
            )
            assert bad_range.status_code == 422
            naive = await admin.get(
                "/api/v1/reports/cities/durban/sensitive-reads",
                params={"since": "2026-01-02T00:00:00"},
            )
            assert naive.status_code == 422
        async with reports.client(ANALYST) as analyst:
            denied = await analyst.get("/api/v1/reports/cities/durban/sensitive-reads")
            assert denied.status_code == 403
        async with reports.client(CJ_ADMIN) as stranger:
            denied = await stranger.get("/api/v1/reports/cities/durban/sensitive-reads")
            assert denied.status_code == 403


async def test_the_audit_log_is_append_only_in_the_database(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports)
        sensitive = await submit(reports, GBV)
        async with reports.client(moderator("req-read")) as reader:
            await reader.get(f"/api/v1/reports/{sensitive}")
        for statement in (
            "UPDATE sensitive_read_audit SET actor = 'someone-else'",
            "DELETE FROM sensitive_read_audit",
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                async with reports.runtime.database.transaction() as session:
                    await session.execute(text(statement))
        async with reports.runtime.database.sessions() as session:
            count = await session.scalar(text("SELECT count(*) FROM sensitive_read_audit"))
        assert count == 1
