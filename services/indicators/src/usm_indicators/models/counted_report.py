import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from usm_indicators.models import Base


class CountedReport(Base):
    """What the report events said about one report, so its count can be taken back.

    `report_counts` holds, per cell, the reports that were submitted, are not rejected and
    are not merged into another. Events may come again or out of order, so each report's
    state is rebuilt from what is known and the cell moves only when whether it counts
    changes.
    """

    __tablename__ = "counted_reports"

    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    city: Mapped[str] = mapped_column(String(100))
    # The cell, known from report.submitted (or report.merged); null until then.
    district_code: Mapped[str | None] = mapped_column(String(50))
    category_code: Mapped[str | None] = mapped_column(String(50))
    period: Mapped[str | None] = mapped_column(String(7))
    submitted: Mapped[bool] = mapped_column(Boolean)
    # The newest status known and when it was set (changes may arrive out of order).
    status: Mapped[str | None] = mapped_column(String(20))
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    merged: Mapped[bool] = mapped_column(Boolean)

    @property
    def counts(self) -> bool:
        return self.submitted and self.status != "rejected" and not self.merged
