import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, UniqueConstraint, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from usm_indicators.models import Base


class District(Base):
    """A district of a city: the unit every indicator value and report count is kept by."""

    __tablename__ = "districts"
    __table_args__ = (UniqueConstraint("city", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    city: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    # GeoJSON Polygon or MultiPolygon in WGS84 lon/lat; null until a boundary is known.
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    population: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
