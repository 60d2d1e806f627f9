from sqlalchemy import Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from usm_indicators.models import Base

# Reports outside every district are counted under this district code.
UNASSIGNED_DISTRICT = ""
# The data element whose district and month values the report counts are (summed over
# categories), wherever the city has not posted a value of its own for that cell.
REPORTS_ELEMENT = "CITIZEN_REPORTS"


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


class MovedReportCell(Base):
    """A district and month whose report count moved since the counts were last announced.

    The counts move with every run of report events (several a second under load); they
    are announced as new values, which recomputes the city's aggregates and alerts, at
    most once per `report_counts_announce_interval_s`, for every cell moved meanwhile."""

    __tablename__ = "moved_report_cells"
    __table_args__ = (PrimaryKeyConstraint("city", "district_code", "period"),)

    city: Mapped[str] = mapped_column(String(100))
    district_code: Mapped[str] = mapped_column(String(50))
    period: Mapped[str] = mapped_column(String(7))
