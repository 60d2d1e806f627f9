import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from usm_indicators.models import Base

# Indicators of the platform catalogue are kept under this city.
PLATFORM = ""


class DataElement(Base):
    """A raw quantity collected per district, period and disaggregation (e.g. HOMICIDES)."""

    __tablename__ = "data_elements"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(300))
    name_es: Mapped[str] = mapped_column(String(300))
    # integer | number | percentage
    value_type: Mapped[str] = mapped_column(String(20))
    # sum | average | last: how finer periods roll up (and districts, where `last` sums).
    aggregation: Mapped[str] = mapped_column(String(20))
    disaggregations: Mapped[list[str]] = mapped_column(ARRAY(String(20)))


class Indicator(Base):
    """An indicator of the platform catalogue (city "") or local to one city."""

    __tablename__ = "indicators"
    __table_args__ = (
        UniqueConstraint("city", "code"),
        CheckConstraint("goalpost_min < goalpost_max", name="goalposts_ordered"),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        Uuid, primary_key=True, default=uuid.uuid4, server_default=func.gen_random_uuid()
    )
    city: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(300))
    name_es: Mapped[str] = mapped_column(String(300))
    definition: Mapped[str] = mapped_column(Text)
    dimension: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(100))
    direction: Mapped[str] = mapped_column(String(20))
    numerator: Mapped[str] = mapped_column(String(1000))
    denominator: Mapped[str | None] = mapped_column(String(1000))
    multiplier: Mapped[Decimal] = mapped_column(Numeric)
    goalpost_min: Mapped[Decimal] = mapped_column(Numeric)
    goalpost_max: Mapped[Decimal] = mapped_column(Numeric)
    standard: Mapped[str | None] = mapped_column(String(100))
    sdmx_series: Mapped[str | None] = mapped_column(String(50))
    # normal | sensitive
    sensitivity: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CityIndicatorSetting(Base):
    """A city's choice to use, or not, an indicator of the platform catalogue."""

    __tablename__ = "city_indicator_settings"
    __table_args__ = (PrimaryKeyConstraint("city", "code"),)

    city: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(50))
    is_active: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
