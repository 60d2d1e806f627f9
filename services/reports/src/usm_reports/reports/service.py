import hashlib
import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.districts.service import locate_district
from usm_reports.models import Report, city_directory
from usm_reports.reports.repository import ReportRepository
from usm_reports.reports.schemas import ReportCreate, ReportRead, Sensitivity
from usmkit.auth import Principal
from usmkit.events.outbox import Outbox
from usmkit.problems import FieldError, NotFound, UnprocessableContent

# Until categories are administered per city (a later issue), these are the sensitive
# ones (ARCHITECTURE §5: gender-based violence, sexual harassment, domestic violence,
# trafficking, child protection).
SENSITIVE_CATEGORY_CODES = frozenset(
    {"gbv", "sexual-harassment", "domestic-violence", "trafficking", "child-protection"}
)
SENSITIVE_READ_SCOPE = "reports:sensitive:read"
TRACKING_CODE_BYTES = 16


def sensitivity_of(category_code: str) -> Sensitivity:
    """Whether reports in this category need the extra protections of sensitive ones."""
    return "sensitive" if category_code in SENSITIVE_CATEGORY_CODES else "normal"


def hash_tracking_code(tracking_code: str) -> str:
    """Only this digest is stored: a database leak reveals no working tracking code."""
    return hashlib.sha256(tracking_code.encode()).hexdigest()


async def submit_report(
    *, session: AsyncSession, outbox: Outbox, report_in: ReportCreate
) -> tuple[Report, str]:
    """Record a report in its district and announce it (`report.submitted`); returns the
    report and its tracking code, which exists nowhere else afterwards."""
    if not await city_directory.exists(session, report_in.city):
        raise UnprocessableContent(
            f"{report_in.city!r} is not a member city.",
            errors=[FieldError(loc=["body", "city"], msg="Unknown city.", type="unknown_city")],
        )
    district_code = await locate_district(
        session=session,
        city=report_in.city,
        latitude=report_in.latitude,
        longitude=report_in.longitude,
    )
    tracking_code = secrets.token_urlsafe(TRACKING_CODE_BYTES)
    report = await ReportRepository(session).add(
        Report(
            id=uuid.uuid4(),
            city=report_in.city,
            category_code=report_in.category_code,
            sensitivity=sensitivity_of(report_in.category_code),
            latitude=report_in.latitude,
            longitude=report_in.longitude,
            district_code=district_code,
            outside_districts=district_code is None,
            description=report_in.description,
            tracking_code_hash=hash_tracking_code(tracking_code),
            status="submitted",
            submitted_at=datetime.now(UTC),
        )
    )
    submitted_at = report.submitted_at.astimezone(UTC)
    # Never the description, contact or coordinates: events travel beyond this service.
    await outbox.record(
        session,
        "report.submitted",
        subject=str(report.id),
        city=report.city,
        data={
            "report_id": str(report.id),
            "city": report.city,
            "category_code": report.category_code,
            "sensitivity": report.sensitivity,
            "district_code": report.district_code,
            "period": submitted_at.strftime("%Y-%m"),
            "submitted_at": submitted_at.isoformat(),
        },
    )
    return report, tracking_code


async def track_report(*, session: AsyncSession, tracking_code: str) -> Report:
    """The report a tracking code belongs to."""
    report = await ReportRepository(session).get_by_tracking_code_hash(
        hash_tracking_code(tracking_code)
    )
    if report is None:
        raise NotFound("No report has this tracking code.")
    return report


def staff_view(report: Report, *, principal: Principal) -> ReportRead:
    """A report for city staff: a sensitive one's text and exact location need
    `reports:sensitive:read` (ARCHITECTURE §5)."""
    view = ReportRead.model_validate(report)
    if report.sensitivity == "sensitive" and not principal.has_scope(SENSITIVE_READ_SCOPE):
        view = view.model_copy(update={"description": None, "latitude": None, "longitude": None})
    return view
