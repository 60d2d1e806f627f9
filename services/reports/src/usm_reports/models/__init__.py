"""ORM tables of the reports service, on one metadata with the kit's tables."""

from sqlalchemy.orm import DeclarativeBase

from usmkit.db import new_metadata
from usmkit.tables import define_kit_tables
from usmkit.tenancy import CityDirectory, define_city_directory


class Base(DeclarativeBase):
    metadata = new_metadata()


kit_tables = define_kit_tables(Base.metadata)
# The local copy of the tenant registry, kept from `city.registered` events.
known_cities = define_city_directory(Base.metadata)
city_directory = CityDirectory(known_cities)

from usm_reports.models.audit import SensitiveReadAudit  # noqa: E402
from usm_reports.models.category import Category  # noqa: E402
from usm_reports.models.district import District, DistrictCopy  # noqa: E402
from usm_reports.models.report import Report  # noqa: E402
from usm_reports.models.sms import SmsReceipt  # noqa: E402
from usm_reports.models.status_change import ReportStatusChange  # noqa: E402

__all__ = [
    "Base",
    "Category",
    "District",
    "DistrictCopy",
    "Report",
    "ReportStatusChange",
    "SensitiveReadAudit",
    "SmsReceipt",
    "city_directory",
    "kit_tables",
    "known_cities",
]
