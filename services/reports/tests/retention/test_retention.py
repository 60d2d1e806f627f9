import asyncio
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from usm_reports.models import Report
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal
from usmdev.waiting import eventually

SeedCity = Callable[..., Awaitable[None]]
MODERATOR = principal(["city_admin"], ["durban"])
WITH_CONTACT: dict[str, Any] = {
    "city": "durban",
    "category_code": "streetlight",
    "latitude": -29.8512,
    "longitude": 31.0534,
    "attributes": {"light_state": "out"},
    "contact": {"name": "Thandi Dlamini", "email": "thandi@example.org"},
}


async def submit(harness: ServiceHarness) -> str:
    async with harness.client() as anonymous:
        created = await anonymous.post("/api/v1/reports", json=WITH_CONTACT)
        assert created.status_code == 201, created.text
        report_id: str = created.json()["id"]
        return report_id


async def set_state(
    harness: ServiceHarness, report_id: str, *, status: str, days_ago: float, **more: Any
) -> None:
    async with harness.runtime.database.transaction() as session:
        await session.execute(
            update(Report)
            .where(Report.id == uuid.UUID(report_id))
            .values(status=status, updated_at=datetime.now(UTC) - timedelta(days=days_ago), **more)
        )


async def contacts(harness: ServiceHarness) -> dict[str, bool]:
    """Which reports still hold a sealed contact."""
    async with harness.runtime.database.sessions() as session:
        rows = (await session.execute(select(Report.id, Report.contact_sealed))).all()
    return {str(row.id): row.contact_sealed is not None for row in rows}


async def seed_ages(harness: ServiceHarness) -> dict[str, str]:
    """Reports in every situation the rule distinguishes, by name."""
    names = (
        "closed_long_ago",
        "rejected_long_ago",
        "closed_recently",
        "open_long_ago",
        "duplicate_of_closed",
        "closed_duplicate_of_open",
        "open_primary",
    )
    ids = {name: await submit(harness) for name in names}
    await set_state(harness, ids["closed_long_ago"], status="closed", days_ago=31)
    await set_state(harness, ids["rejected_long_ago"], status="rejected", days_ago=40)
    await set_state(harness, ids["closed_recently"], status="closed", days_ago=29)
    await set_state(harness, ids["open_long_ago"], status="in_progress", days_ago=400)
    await set_state(harness, ids["open_primary"], status="accepted", days_ago=1)
    # A duplicate follows its primary, whatever its own status says.
    await set_state(
        harness,
        ids["duplicate_of_closed"],
        status="submitted",
        days_ago=35,
        merged_into_id=uuid.UUID(ids["closed_long_ago"]),
        merged_at=datetime.now(UTC) - timedelta(days=35),
    )
    await set_state(
        harness,
        ids["closed_duplicate_of_open"],
        status="closed",
        days_ago=35,
        merged_into_id=uuid.UUID(ids["open_primary"]),
        merged_at=datetime.now(UTC) - timedelta(days=35),
    )
    return ids


ERASED = {"closed_long_ago", "rejected_long_ago", "duplicate_of_closed"}


async def test_the_service_purges_expired_contacts_on_its_schedule(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service(
        "reports", contact_retention_days=30, retention_interval_s=0.05
    ) as reports:
        await seed_city(reports)
        ids = await seed_ages(reports)

        async def purged() -> dict[str, bool] | None:
            held = await contacts(reports)
            return held if not any(held[ids[name]] for name in ERASED) else None

        held = await eventually(purged, timeout_s=10, what="the scheduled purge")
        assert {name for name, report_id in ids.items() if not held[report_id]} == ERASED
        async with reports.client(MODERATOR) as moderator:
            gone = await moderator.get(f"/api/v1/reports/{ids['closed_long_ago']}/contact")
            assert gone.status_code == 404
            assert "erased" in gone.json()["detail"]
            kept = await moderator.get(f"/api/v1/reports/{ids['closed_recently']}/contact")
            assert kept.json()["name"] == "Thandi Dlamini"
        async with reports.runtime.database.sessions() as session:
            purged_at = await session.scalar(
                select(Report.contact_purged_at).where(
                    Report.id == uuid.UUID(ids["closed_long_ago"])
                )
            )
        assert purged_at is not None


async def test_the_command_purges_once_with_the_services_settings(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    # The schedule runs once at start-up, before any report exists, then waits an hour.
    async with usm_service("reports") as reports:
        await seed_city(reports)
        ids = await seed_ages(reports)
        environment = {
            **os.environ,
            "USM_REPORTS_DATABASE_URL": str(reports.runtime.settings.database_url),
            "USM_REPORTS_CONTACT_RETENTION_DAYS": "30",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "usm_reports.retention",
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        assert out.decode().startswith("erased 3 reporter contacts older than 30 days")
        held = await contacts(reports)
        assert {name for name, report_id in ids.items() if not held[report_id]} == ERASED
