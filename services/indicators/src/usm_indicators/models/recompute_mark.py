from datetime import datetime

from sqlalchemy import DateTime, PrimaryKeyConstraint, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from usm_indicators.models import Base


class RecomputeMark(Base):
    """The last recompute of a city's period that also evaluated its alerts and published
    its aggregates: the PostgreSQL snapshot (`pg_snapshot` as text) it computed from.

    A `values.updated` whose writing transaction is visible in that snapshot asks for
    nothing the recompute did not already do: that is how a burst of reports, each
    announcing its count, costs one recompute rather than one per report."""

    __tablename__ = "recompute_marks"
    __table_args__ = (PrimaryKeyConstraint("city", "period"),)

    city: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(10))
    snapshot: Mapped[str] = mapped_column(Text)
    recomputed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
