from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from usm_appraisals.models import Base


class KnownDistrict(Base):
    """Local copy of a city's district codes, kept from indicators' `geography.updated`."""

    __tablename__ = "known_districts"

    city: Mapped[str] = mapped_column(String(100), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
