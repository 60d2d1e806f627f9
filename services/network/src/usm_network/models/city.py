import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from usm_network.models import Base


class City(Base):
    """A member city: the tenant registry of this deployment.

    Rows with an `origin_node` are member cities of another deployment, copied by sync:
    they are shown in the registry but are read-only here and are not tenants.
    """

    __tablename__ = "cities"

    slug: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_es: Mapped[str | None] = mapped_column(String(200))
    country_code: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(200))
    population: Mapped[int | None] = mapped_column(BigInteger)
    role: Mapped[str] = mapped_column(String(20))
    member_since: Mapped[date] = mapped_column(Date, server_default=func.current_date())
    member_until: Mapped[date | None] = mapped_column(Date)
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(2)), server_default="{en}")
    time_zone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    # Contact people: never in events, the sync feed or public reads.
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    origin_node: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1)


class Partnership(Base):
    """A partnership or twinning between two member cities (stored with city_a < city_b)."""

    __tablename__ = "partnerships"
    __table_args__ = (
        UniqueConstraint("city_a", "city_b", "kind"),
        CheckConstraint("city_a < city_b", name="ordered_pair"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    city_a: Mapped[str] = mapped_column(String(100), index=True)
    city_b: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    since: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, server_default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
