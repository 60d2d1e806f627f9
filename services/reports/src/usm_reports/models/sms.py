from datetime import datetime

from sqlalchemy import DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from usm_reports.models import Base


class SmsReceipt(Base):
    """A signed inbound SMS already accepted: a second delivery of the same signature is a
    replay and is refused. Holds a digest only, never the sender or the text."""

    __tablename__ = "sms_receipts"
    __table_args__ = (Index("ix_sms_receipts_received_at", "received_at"),)

    signature_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
