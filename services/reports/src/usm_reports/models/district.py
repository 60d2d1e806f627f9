from typing import Any

from sqlalchemy import String
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
