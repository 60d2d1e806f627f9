from datetime import datetime

from sqlalchemy import DateTime, Double, Integer, PrimaryKeyConstraint, String, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from usm_indicators.models import Base

# The most PostgreSQL allows (8 kB pages).
TOAST_TUPLE_TARGET = 8160


class ComputedLayout(Base):
    """Which indicator each position of a city's `computed_values` arrays holds (the city's
    active indicators, by code, when they were last computed) and a digest of everything
    the values were computed with (formulas, goalposts, aggregations, ...): when it
    differs, every period is computed again."""

    __tablename__ = "computed_layouts"

    city: Mapped[str] = mapped_column(String(100), primary_key=True)
    indicator_codes: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
    signature: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ComputedValue(Base):
    """Every active indicator of a district (or the whole city, `district_code` "") in a
    period, and the index, as the last recompute found them, before suppression: who may
    see what is decided when they are read.

    One row per area and period with arrays in the order of the city's `ComputedLayout`
    (nulls where there is no value), so a full recompute writes one row per area and period
    rather than one per indicator. Index arrays follow `computation.index.DIMENSIONS`; the
    `public_` ones count indicators withheld by small-cell suppression as without data."""

    __tablename__ = "computed_values"
    __table_args__ = (
        PrimaryKeyConstraint("city", "period", "district_code"),
        # Rows of ~3 KB (120 indicators) stay in the table: no out-of-line storage and no
        # compression attempt on arrays of doubles, which barely compress.
        {"postgresql_with": {"toast_tuple_target": TOAST_TUPLE_TARGET}},
    )

    city: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(10))
    district_code: Mapped[str] = mapped_column(String(50))
    indicator_values: Mapped[list[float | None]] = mapped_column(ARRAY(Double))
    numerators: Mapped[list[float | None]] = mapped_column(ARRAY(Double))
    denominators: Mapped[list[float | None]] = mapped_column(ARRAY(Double))
    dimension_scores: Mapped[list[float | None]] = mapped_column(ARRAY(Double))
    dimension_with_data: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    public_dimension_scores: Mapped[list[float | None]] = mapped_column(ARRAY(Double))
    public_dimension_with_data: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    score: Mapped[float | None] = mapped_column(Double)
    with_data: Mapped[int] = mapped_column(Integer)
    public_score: Mapped[float | None] = mapped_column(Double)
    public_with_data: Mapped[int] = mapped_column(Integer)
    # District cells a public view shows (with a value, or withheld): what sizes the event.
    public_cells: Mapped[int] = mapped_column(Integer)
