import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Double, Index, String, Text, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from usm_reports.models import Base

DESCRIPTION_MAX_LENGTH = 4000


class Report(Base):
    """A citizen report as received: where, what, and how the reporter can follow it."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint("sensitivity IN ('normal', 'sensitive')", name="sensitivity"),
        CheckConstraint("status IN ('submitted')", name="status"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude"),
        CheckConstraint(
            f"char_length(description) <= {DESCRIPTION_MAX_LENGTH}", name="description_length"
        ),
        CheckConstraint("outside_districts = (district_code IS NULL)", name="district_or_outside"),
        # The staff list: one city, newest first.
        Index("ix_reports_city_submitted_at", "city", "submitted_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    city: Mapped[str] = mapped_column(String(100))
    category_code: Mapped[str] = mapped_column(String(50))
    sensitivity: Mapped[str] = mapped_column(String(10))
    latitude: Mapped[float] = mapped_column(Double)
    longitude: Mapped[float] = mapped_column(Double)
    district_code: Mapped[str | None] = mapped_column(String(50))
    outside_districts: Mapped[bool] = mapped_column(Boolean)
    description: Mapped[str | None] = mapped_column(Text)
    # Only the SHA-256 of the tracking code is kept; the code itself is shown once.
    tracking_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
