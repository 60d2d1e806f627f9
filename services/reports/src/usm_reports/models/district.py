import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from usm_reports.models import Base


class District(Base):
    """A city's district as indicators last published it (`geography.updated`).

    A local copy, so intake can assign a district without calling another service.
    """

    __tablename__ = "districts"

    city: Mapped[str] = mapped_column(String(100), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # GeoJSON Polygon or MultiPolygon in WGS84 lon/lat; null when indicators has none yet.
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class DistrictCopy(Base):
    """Which copy of a city's districts is current: a new `version` each time a
    `geography.updated` replaces them.

    Intake caches a city's districts in each process and inserts a report only while the
    version it located the report with is still this one, so a stale cache costs a reload,
    never a wrong district (`reports.intake`).
    """

    __tablename__ = "district_copies"

    city: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[uuid.UUID] = mapped_column(Uuid)
    copied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
