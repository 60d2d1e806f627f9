"""`python -m usm_reports.retention`: run the retention purge once, now, and say what it did.

The same purge the service runs on its schedule, for operators (a Kubernetes CronJob, or
after lowering `USM_REPORTS_CONTACT_RETENTION_DAYS`). Reads the service's settings.
"""

import asyncio
from datetime import UTC, datetime

from usm_reports.config import ReportsSettings
from usm_reports.retention.service import RetentionResult, apply_retention
from usmkit.db import Database


async def purge_once(settings: ReportsSettings) -> RetentionResult:
    database = Database(settings.database_url, pool_size=1)
    try:
        async with database.transaction() as session:
            return await apply_retention(session=session, settings=settings, now=datetime.now(UTC))
    finally:
        await database.dispose()


def main() -> None:
    settings = ReportsSettings()
    result = asyncio.run(purge_once(settings))
    print(
        f"erased {result.contacts_erased} reporter contacts older than "
        f"{settings.contact_retention_days} days after closing; "
        f"forgot {result.sms_receipts_forgotten} SMS receipts"
    )


if __name__ == "__main__":
    main()
