from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, Index, Numeric, PrimaryKeyConstraint, String, func
from sqlalchemy.orm import Mapped, mapped_column

from usm_indicators.models import Base

# A value for the whole city rather than one district is kept under this district code.
WHOLE_CITY = ""
# A dimension a value is not disaggregated by (the total) is kept as this.
TOTAL = ""


class DataValue(Base):
    """One value of a data element for a district (or the whole city), period and
    disaggregation."""

    __tablename__ = "data_values"
    __table_args__ = (
        PrimaryKeyConstraint(
            "city", "data_element_code", "district_code", "period", "sex", "age_band", "disability"
        ),
        Index("ix_data_values_city_period", "city", "period"),
    )

    city: Mapped[str] = mapped_column(String(100))
    data_element_code: Mapped[str] = mapped_column(String(50))
    district_code: Mapped[str] = mapped_column(String(50))
    # ISO 8601 period as given: 2025, 2025-Q1, 2025-03, 2025-W12, 2025-03-14.
    period: Mapped[str] = mapped_column(String(10))
    sex: Mapped[str] = mapped_column(String(20))
    age_band: Mapped[str] = mapped_column(String(20))
    disability: Mapped[str] = mapped_column(String(30))
    value: Mapped[Decimal] = mapped_column(Numeric)
    source: Mapped[str | None] = mapped_column(String(200))
    # verified | provisional | estimated
    quality: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
