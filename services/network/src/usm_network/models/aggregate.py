import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, UniqueConstraint, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from usm_network.models import Base


class IndicatorAggregate(Base):
    """A city's public indicator aggregates for one period, as indicators published them.

    Values are already small-cell suppressed (a withheld value is stored as null, never as a
    number). Rows with an `origin_node` came from another deployment by sync.
    """

    __tablename__ = "indicator_aggregates"
    __table_args__ = (UniqueConstraint("city", "period"),)

    # Derived from (city, period), so every node names the same aggregate the same way.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    city: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(10), index=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    index: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    origin_node: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
