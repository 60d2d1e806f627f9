from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.models import SmsReceipt


class SmsReceiptRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, signature_hash: str, received_at: datetime) -> bool:
        """Record a delivery; False when the same signature was already recorded."""
        claimed = await self.session.execute(
            insert(SmsReceipt)
            .values(signature_hash=signature_hash, received_at=received_at)
            .on_conflict_do_nothing()
            .returning(SmsReceipt.signature_hash)
        )
        return claimed.first() is not None
