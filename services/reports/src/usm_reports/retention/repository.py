from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from usm_reports.models import Report, SmsReceipt
from usm_reports.reports.workflow import FINAL_STATUSES


class RetentionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def purge_contacts(self, *, closed_before: datetime, now: datetime) -> Sequence[str]:
        """Erase the contact of every report that is closed or rejected — for a merged
        duplicate, whose primary is — and unchanged since `closed_before`; the ids erased."""
        primary = aliased(Report)
        followed_status = func.coalesce(primary.status, Report.status)
        last_change = func.greatest(
            Report.updated_at, func.coalesce(primary.updated_at, Report.updated_at)
        )
        expired = (
            select(Report.id)
            .outerjoin(primary, primary.id == Report.merged_into_id)
            .where(
                Report.contact_sealed.is_not(None),
                followed_status.in_(FINAL_STATUSES),
                last_change < closed_before,
            )
        )
        erased = await self.session.execute(
            update(Report)
            .where(Report.id.in_(expired.scalar_subquery()))
            .values(contact_sealed=None, contact_purged_at=now)
            .returning(Report.id)
            .execution_options(synchronize_session=False)
        )
        return [str(report_id) for report_id in erased.scalars().all()]

    async def forget_sms_receipts(self, *, received_before: datetime) -> int:
        """Receipts older than the accepted clock skew guard nothing any more."""
        forgotten = await self.session.execute(
            delete(SmsReceipt)
            .where(SmsReceipt.received_at < received_before)
            .returning(SmsReceipt.signature_hash)
        )
        return len(forgotten.scalars().all())
