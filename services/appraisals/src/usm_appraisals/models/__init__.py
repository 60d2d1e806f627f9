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

from usm_appraisals.models.appraisal import Appraisal, AppraisalTransition  # noqa: E402
from usm_appraisals.models.district import KnownDistrict  # noqa: E402
from usm_appraisals.models.indicator import KnownIndicator  # noqa: E402
from usm_appraisals.models.lesson import Lesson  # noqa: E402
from usm_appraisals.models.plan import Plan, PlanAppraisal, PlanItem, ProgressUpdate  # noqa: E402
from usm_appraisals.models.signal import Signal  # noqa: E402
from usm_appraisals.models.template import AppraisalTemplate  # noqa: E402
from usm_appraisals.models.working_group import (  # noqa: E402
    Attendance,
    GroupSession,
    Member,
    WorkingGroup,
)

__all__ = [
    "Appraisal",
    "AppraisalTemplate",
    "AppraisalTransition",
    "Attendance",
    "Base",
    "GroupSession",
    "KnownDistrict",
    "KnownIndicator",
    "Lesson",
    "Member",
    "Plan",
    "PlanAppraisal",
    "PlanItem",
    "ProgressUpdate",
    "Signal",
    "WorkingGroup",
    "kit_tables",
    "known_cities",
]
