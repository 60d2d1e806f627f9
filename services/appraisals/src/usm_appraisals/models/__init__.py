"""ORM tables of the appraisals service, on one metadata with the kit's tables."""

from sqlalchemy.orm import DeclarativeBase

from usmkit.db import new_metadata
from usmkit.tables import define_kit_tables
from usmkit.tenancy import define_city_directory


class Base(DeclarativeBase):
    metadata = new_metadata()


kit_tables = define_kit_tables(Base.metadata)
# Local copy of the tenant registry, kept from network's `city.registered`.
known_cities = define_city_directory(Base.metadata)

from usm_appraisals.models.lesson import Lesson  # noqa: E402

__all__ = ["Base", "Lesson", "kit_tables", "known_cities"]
