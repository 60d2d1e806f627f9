import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, Integer, Numeric, PrimaryKeyConstraint, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from usm_indicators.models import Base


class IndicatorTarget(Base):
    """A target an active Human Security Plan set for an indicator (from `plan.published`)."""

    __tablename__ = "indicator_targets"
    __table_args__ = (
        PrimaryKeyConstraint("plan_id", "action_id", "indicator_code", "district_code"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    action_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    indicator_code: Mapped[str] = mapped_column(String(100))
    # WHOLE_CITY ("") when the action and the plan name no district.
    district_code: Mapped[str] = mapped_column(String(50))
    city: Mapped[str] = mapped_column(String(100), index=True)
    plan_title: Mapped[str] = mapped_column(String(300))
    # Every version of a plan shares its series; null for events from before versions.
    series_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    revision: Mapped[int | None] = mapped_column(Integer)
    baseline: Mapped[Decimal] = mapped_column(Numeric)
    target: Mapped[Decimal] = mapped_column(Numeric)
    unit: Mapped[str | None] = mapped_column(String(50))
    target_date: Mapped[date | None] = mapped_column(Date)
    activated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
