from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from usm_appraisals.models import Base


class KnownIndicator(Base):
    """An indicator code indicators has published for a city (aggregates or an alert)."""

    __tablename__ = "known_indicators"

    city: Mapped[str] = mapped_column(String(100), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
