import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from usm_appraisals.models import Base


class Signal(Base):
    """An indicators alert as one Working Group sees it: to acknowledge or act upon.

    One row per (group, alert): the unique constraint is the second guard, after the inbox,
    against a redelivered `alert.raised`. The alert's figures are kept as received (they are
    public, already suppressed aggregates).
    """

    __tablename__ = "signals"
    __table_args__ = (
        CheckConstraint("status IN ('new', 'acknowledged', 'linked')", name="status"),
        CheckConstraint(
            "(linked_appraisal_id IS NULL) = (linked_insecurity IS NULL)", name="insecurity_link"
        ),
        CheckConstraint(
            "status <> 'linked' OR linked_appraisal_id IS NOT NULL OR linked_item_id IS NOT NULL",
            name="linked",
        ),
        UniqueConstraint("working_group_id", "alert_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    city: Mapped[str] = mapped_column(String(100), index=True)
    working_group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), index=True
    )
    alert_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    rule_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    rule_kind: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(20))
    indicator_code: Mapped[str] = mapped_column(String(50))
    dimension: Mapped[str] = mapped_column(String(20))
    # None: the alert is about the whole city.
    district_code: Mapped[str | None] = mapped_column(String(50))
    period: Mapped[str] = mapped_column(String(10))
    value: Mapped[float] = mapped_column(Float)
    reference: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="new")
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    linked_appraisal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appraisals.id"))
    # Index of the insecurity in the appraisal's `insecurities` list.
    linked_insecurity: Mapped[int | None] = mapped_column(Integer)
    linked_item_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plan_items.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Optimistic concurrency: the ETag is `"<version>"`; every change increments it.
    version: Mapped[int] = mapped_column(Integer, default=1)
