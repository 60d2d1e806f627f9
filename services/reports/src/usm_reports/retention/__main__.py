"""`python -m usm_reports.retention`: run the retention purge once, now, and say what it did.

The same purge the service runs on its schedule, for operators (a Kubernetes CronJob, or
after lowering `USM_REPORTS_CONTACT_RETENTION_DAYS`). Reads the service's settings.
"""

import asyncio

from usm_reports.config import ReportsSettings
from usm_reports.retention.service import RetentionResult, purge
from usmkit.db import Database


async def purge_once(settings: ReportsSettings) -> RetentionResult:
    database = Database(settings.database_url, pool_size=1)
    try:
        return await purge(database, settings)
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
