import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    DateTime,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from usm_indicators.models import Base


class AlertRule(Base):
    """A city's rule watching one indicator: a threshold, a change or an anomaly."""

    __tablename__ = "alert_rules"
    __table_args__ = (Index("ix_alert_rules_city_indicator", "city", "indicator_code"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    city: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    indicator_code: Mapped[str] = mapped_column(String(50))
    # threshold | change | anomaly
    kind: Mapped[str] = mapped_column(String(20))
    # above | below | outside (outside: anomalies either way)
    operator: Mapped[str] = mapped_column(String(20))
    # The limit (threshold), the change in percent (change) or k standard deviations (anomaly).
    threshold: Mapped[Decimal] = mapped_column(Numeric)
    # previous | year_before, for change rules only.
    compare_to: Mapped[str | None] = mapped_column(String(20))
    # Earlier periods an anomaly is judged against, for anomaly rules only.
    window: Mapped[int | None] = mapped_column(Integer)
    # year | quarter | month | week | day, or null: periods of every type.
    period_type: Mapped[str | None] = mapped_column(String(10))
    # One district, or null for every district and the whole city.
    district_code: Mapped[str | None] = mapped_column(String(50))
    severity: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Alert(Base):
    """A rule that fired for a district (or the whole city) and a period: raised once."""

    __tablename__ = "alerts"
    __table_args__ = (
        # Re-evaluating never raises the same alert twice.
        UniqueConstraint("rule_id", "district_code", "period"),
        Index("ix_alerts_city_raised", "city", "raised_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # No foreign key: an alert outlives a deleted rule, as a record of what was raised.
    rule_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    city: Mapped[str] = mapped_column(String(100))
    indicator_code: Mapped[str] = mapped_column(String(50))
    dimension: Mapped[str] = mapped_column(String(20))
    rule_kind: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(20))
    # WHOLE_CITY ("") for the city as a whole.
    district_code: Mapped[str] = mapped_column(String(50))
    period: Mapped[str] = mapped_column(String(10))
    value: Mapped[Decimal] = mapped_column(Numeric)
    reference: Mapped[Decimal | None] = mapped_column(Numeric)
    message: Mapped[str] = mapped_column(String(1000))
    # open | acknowledged | closed
    status: Mapped[str] = mapped_column(String(20))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
