"""ORM tables of the indicators service, on one metadata with the kit's tables."""

from sqlalchemy.orm import DeclarativeBase

from usmkit.db import new_metadata
from usmkit.tables import define_kit_tables
from usmkit.tenancy import CityDirectory, define_city_directory


class Base(DeclarativeBase):
    metadata = new_metadata()


kit_tables = define_kit_tables(Base.metadata)
# This service's copy of the city registry, kept from `city.registered` events.
known_cities = define_city_directory(Base.metadata)
city_directory = CityDirectory(known_cities)

from usm_indicators.models.alert import Alert, AlertRule  # noqa: E402
from usm_indicators.models.catalogue import (  # noqa: E402
    CityIndicatorSetting,
    DataElement,
    Indicator,
)
from usm_indicators.models.computed import ComputedLayout, ComputedValue  # noqa: E402
from usm_indicators.models.counted_report import CountedReport  # noqa: E402
from usm_indicators.models.data_value import DataValue  # noqa: E402
from usm_indicators.models.district import District  # noqa: E402
from usm_indicators.models.recompute_mark import RecomputeMark  # noqa: E402
from usm_indicators.models.report_count import MovedReportCell, ReportCount  # noqa: E402
from usm_indicators.models.target import IndicatorTarget  # noqa: E402

__all__ = [
    "Alert",
    "AlertRule",
    "Base",
    "CityIndicatorSetting",
    "ComputedLayout",
    "ComputedValue",
    "CountedReport",
    "DataElement",
    "DataValue",
    "District",
    "Indicator",
    "IndicatorTarget",
    "MovedReportCell",
    "RecomputeMark",
    "ReportCount",
    "city_directory",
    "kit_tables",
    "known_cities",
]
