"""Retention (ARCHITECTURE §5): reporters' contact details do not outlive their use.

A contact is erased `contact_retention_days` after the report was last changed while
closed or rejected (a merged duplicate follows its primary). Reopening a closed report
before then keeps the contact; after the purge nothing can bring it back.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.config import ReportsSettings
from usm_reports.retention.repository import RetentionRepository
from usmkit.db import Database

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionResult:
    contacts_erased: int
    sms_receipts_forgotten: int


async def apply_retention(
    *, session: AsyncSession, settings: ReportsSettings, now: datetime
) -> RetentionResult:
    """Erase expired contacts and forget SMS receipts past the replay window."""
    repository = RetentionRepository(session)
    erased = await repository.purge_contacts(
        closed_before=now - timedelta(days=settings.contact_retention_days), now=now
    )
    forgotten = await repository.forget_sms_receipts(
        # Twice the skew: a delivery that old is refused by its timestamp anyway.
        received_before=now - timedelta(seconds=2 * settings.sms_max_skew_s)
    )
    if erased:
        # Ids only: never anything of the contact itself.
        logger.info("erased %d reporter contacts past retention", len(erased))
    return RetentionResult(contacts_erased=len(erased), sms_receipts_forgotten=forgotten)


async def purge(database: Database, settings: ReportsSettings) -> RetentionResult:
    """One retention pass, now, in a transaction of its own."""
    async with database.transaction() as session:
        return await apply_retention(session=session, settings=settings, now=datetime.now(UTC))
