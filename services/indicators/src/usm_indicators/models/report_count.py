from sqlalchemy import Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from usm_indicators.models import Base

# Reports outside every district are counted under this district code.
UNASSIGNED_DISTRICT = ""


class ReportCount(Base):
    """Citizen reports received, by city, district, category and month (from `report.submitted`)."""

    __tablename__ = "report_counts"
    __table_args__ = (PrimaryKeyConstraint("city", "district_code", "category_code", "period"),)

    city: Mapped[str] = mapped_column(String(100))
    district_code: Mapped[str] = mapped_column(String(50))
    category_code: Mapped[str] = mapped_column(String(50))
    # ISO 8601 month, `YYYY-MM`.
    period: Mapped[str] = mapped_column(String(7))
    count: Mapped[int] = mapped_column(Integer)
