from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, DateTime, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from usm_reports.models import Base

DIMENSIONS = ("economic", "food", "health", "environmental", "personal", "community", "political")


class Category(Base):
    """What a city lets residents report (an Open311 service), with its extra questions.

    Sensitivity lives here: a report takes it from its category at intake.
    """

    __tablename__ = "categories"
    __table_args__ = (
        CheckConstraint("sensitivity IN ('normal', 'sensitive')", name="sensitivity"),
        CheckConstraint(
            "dimension IN (" + ", ".join(f"'{name}'" for name in DIMENSIONS) + ")",
            name="dimension",
        ),
    )

    city: Mapped[str] = mapped_column(String(100), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    # {"en": ..., "es": ..., "zu": ...}; "en" is always present.
    names: Mapped[dict[str, str]] = mapped_column(JSONB)
    descriptions: Mapped[dict[str, str]] = mapped_column(JSONB)
    group_name: Mapped[str | None] = mapped_column(String(100))
    keywords: Mapped[list[str]] = mapped_column(JSONB)
    dimension: Mapped[str] = mapped_column(String(20))
    sensitivity: Mapped[str] = mapped_column(String(10))
    # Open311 attribute definitions, validated on the way in (see categories.schemas).
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    agency_responsible: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean)
    # Bumped on every change; the ETag of the category.
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
