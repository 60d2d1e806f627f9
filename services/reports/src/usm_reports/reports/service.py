import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.audit.service import record_reads, record_sensitive_reads, reveals_sensitive
from usm_reports.categories.attributes import check_attributes
from usm_reports.models import Report, ReportStatusChange, city_directory
from usm_reports.reports.contacts import ContactVault, vault_for
from usm_reports.reports.intake import CategoryRule, Intake
from usm_reports.reports.privacy import cell_of
from usm_reports.reports.repository import (
    DuplicateLink,
    IntakeGuard,
    ReportRepository,
    StatusChangeRepository,
    SubmittedReport,
)
from usm_reports.reports.schemas import (
    Channel,
    PublicStatusUpdate,
    ReportContact,
    ReportCreate,
    ReportRead,
    ReportReceipt,
    ReportStatusChangeCreate,
    ReportStatusChangeRead,
    ReportTracking,
)
from usm_reports.reports.workflow import refusal
from usmkit.auth import Principal, require_city
from usmkit.concurrency import etag_for, require_if_match
from usmkit.db import Database
from usmkit.events.outbox import Outbox
from usmkit.problems import (
    Conflict,
    FieldError,
    NotFound,
    UnprocessableContent,
)
from usmkit.runtime import ServiceRuntime

# The actor recorded for the submission itself: never the reporter's identity.
REPORTER_ACTOR = "reporter"
# Who may submit through the native API (anonymous callers have it).
SUBMIT_SCOPE = "reports:submit"


TRACKING_CODE_BYTES = 16
# The first attempt uses cached references; the second reads them again, locked.
INTAKE_ATTEMPTS = 2


def hash_tracking_code(tracking_code: str) -> str:
    """Only this digest is stored: a database leak reveals no working tracking code."""
    return hashlib.sha256(tracking_code.encode()).hexdigest()


async def submit_report(
    *,
    session: AsyncSession,
    outbox: Outbox,
    intake: Intake,
    report_in: ReportCreate,
    vault: ContactVault,
    channel: Channel = "api",
    attributes_as_text: bool = False,
    require_answers: bool = True,
    standalone: Database | None = None,
) -> tuple[SubmittedReport, str]:
    """Record a report in its district, link it to an earlier report it may duplicate,
    and announce it (`report.submitted`); returns the report and its tracking code, which
    exists nowhere else afterwards.

    `require_answers=False` lets required attributes go unanswered, for channels that
    cannot ask (SMS); moderators complete them. `standalone`, the session's database, says
    the session's transaction holds nothing else: the write, one statement, may then
    commit by itself, without the BEGIN and COMMIT round trips."""
    tracking_code = secrets.token_urlsafe(TRACKING_CODE_BYTES)
    report_id = uuid.uuid4()
    contact = report_in.contact.model_dump(exclude_none=True) if report_in.contact else {}
    # Sealed before it reaches the database; opened only for `reports:contacts:read`.
    contact_sealed = vault.seal(report_id, contact) if contact else None
    located = report_in.latitude is not None and report_in.longitude is not None
    if not intake.holds(report_in.city, report_in.category_code, located=located):
        # The cache misses are read through the session: its transaction is not empty.
        standalone = None
    # Cached category and districts first; if either changed meanwhile, nothing is
    # written and they are read again, locked, so the second attempt holds.
    for attempt in range(INTAKE_ATTEMPTS):
        fresh = attempt > 0
        category = await _active_category(session, intake, report_in, fresh=fresh)
        attributes, errors = check_attributes(
            category.attributes,
            report_in.attributes,
            from_text=attributes_as_text,
            require_answers=require_answers,
        )
        if errors:
            raise UnprocessableContent(
                "Some attributes do not fit the category; see errors.", errors=errors
            )
        districts_version = None
        district_code = None
        if report_in.latitude is not None and report_in.longitude is not None:
            districts = await intake.districts(session, report_in.city, fresh=fresh)
            districts_version = districts.version
            district_code = districts.locate(
                latitude=report_in.latitude, longitude=report_in.longitude
            )
        now = datetime.now(UTC)
        report = {
            "id": report_id,
            "city": report_in.city,
            "category_code": report_in.category_code,
            # The category decides: sensitive ones get the protections of ARCHITECTURE §5.
            "sensitivity": category.sensitivity,
            "latitude": report_in.latitude,
            "longitude": report_in.longitude,
            "h3_cell": (
                cell_of(report_in.latitude, report_in.longitude)
                if report_in.latitude is not None and report_in.longitude is not None
                else None
            ),
            "district_code": district_code,
            "outside_districts": district_code is None,
            "address_string": report_in.address_string,
            "address_id": report_in.address_id,
            "description": report_in.description,
            "attributes": attributes,
            "media_urls": report_in.media_urls,
            "channel": channel,
            "contact_sealed": contact_sealed,
            "contact_purged_at": None,
            "merged_into_id": None,
            "merged_at": None,
            "tracking_code_hash": hash_tracking_code(tracking_code),
            "status": "submitted",
            "submitted_at": now,
            "updated_at": now,
            "version": 1,
        }
        # Never the description, contact or coordinates: events travel beyond this service.
        _, event_row = outbox.prepare(
            "report.submitted",
            subject=str(report_id),
            city=report_in.city,
            data={
                "report_id": str(report_id),
                "city": report_in.city,
                "category_code": report_in.category_code,
                "sensitivity": category.sensitivity,
                "district_code": district_code,
                "period": now.strftime("%Y-%m"),
                "submitted_at": now.isoformat(),
            },
        )
        written = await ReportRepository(session).insert_submitted(
            report,
            {
                "id": uuid.uuid4(),
                "report_id": report_id,
                "from_status": None,
                "to_status": "submitted",
                "actor": REPORTER_ACTOR,
                "changed_at": now,
                "public_note": None,
                "merged_into_id": None,
            },
            # The event's outbox row, written by the same statement.
            event_row,
            guard=IntakeGuard(
                category_version=category.version,
                districts_version=districts_version,
                located=located,
            ),
            link=DuplicateLink(
                radius_m=intake.duplicate_radius_m, since=now - intake.duplicate_window
            ),
            # The locked reads of the second attempt hold until the session's COMMIT.
            standalone=None if fresh else standalone,
        )
        if written is not None:
            break
    else:
        # Only when the city's copy was first created during both attempts (nothing to
        # lock yet): vanishingly rare, and safe to send again.
        raise Conflict("The category or the city's districts changed meanwhile; send it again.")
    outbox.written(session)
    return written, tracking_code


async def accept_report(
    *,
    session: AsyncSession,
    runtime: ServiceRuntime,
    intake: Intake,
    report_in: ReportCreate,
    by_itself: bool,
) -> ReportReceipt:
    """A report of the native API submitted, and the reporter's receipt. `by_itself`: the
    request's transaction holds nothing else (no Idempotency-Key row), so the report is
    written by a statement of its own (`submit_report`'s `standalone`)."""
    report, tracking_code = await submit_report(
        session=session,
        outbox=runtime.outbox,
        intake=intake,
        report_in=report_in,
        vault=vault_for(runtime),
        standalone=runtime.database if by_itself else None,
    )
    return ReportReceipt(
        id=report.id,
        tracking_code=tracking_code,
        status="submitted",
        district_code=report.district_code,
        submitted_at=report.submitted_at,
    )


async def _active_category(
    session: AsyncSession, intake: Intake, report_in: ReportCreate, *, fresh: bool
) -> CategoryRule:
    """The report's category, or 422 saying whether the city or the category is unknown."""
    category = await intake.category(session, report_in.city, report_in.category_code, fresh=fresh)
    if category is not None:
        return category
    # Categories exist only for member cities: the city is looked up only to say which
    # of the two is unknown.
    if not await city_directory.exists(session, report_in.city):
        raise UnprocessableContent(
            f"{report_in.city!r} is not a member city.",
            errors=[FieldError(loc=["body", "city"], msg="Unknown city.", type="unknown_city")],
        )
    raise UnprocessableContent(
        f"{report_in.city!r} has no active category {report_in.category_code!r}.",
        errors=[
            FieldError(
                loc=["body", "category_code"],
                msg="Unknown or inactive category in this city.",
                type="unknown_category",
            )
        ],
    )


async def find_by_tracking_code(*, session: AsyncSession, tracking_code: str) -> Report:
    """The report a tracking code belongs to."""
    report = await ReportRepository(session).get_by_tracking_code_hash(
        hash_tracking_code(tracking_code)
    )
    if report is None:
        raise NotFound("No report has this tracking code.")
    return report


async def track_report(*, session: AsyncSession, tracking_code: str) -> ReportTracking:
    """What the holder of a tracking code may see: status and the city's public notes.

    A merged duplicate's reporter follows the primary: its status, and its updates from
    the merge on, after the duplicate's own. A sensitive primary's notes were written to
    its own reporter, so the duplicate's reporter gets those updates without notes."""
    report = await find_by_tracking_code(session=session, tracking_code=tracking_code)
    changes = StatusChangeRepository(session)
    updates = [
        PublicStatusUpdate(
            status=change.to_status, changed_at=change.changed_at, public_note=change.public_note
        )
        for change in await changes.list_for_report(report.id)
    ]
    followed = report
    if report.merged_into_id is not None and report.merged_at is not None:
        primary = await ReportRepository(session).get(report.merged_into_id)
        if primary is not None:
            followed = primary
            updates += [
                PublicStatusUpdate(
                    status=change.to_status,
                    changed_at=change.changed_at,
                    public_note=change.public_note if primary.sensitivity == "normal" else None,
                )
                for change in await changes.list_for_report(primary.id)
                if change.changed_at > report.merged_at
            ]
    return ReportTracking(
        id=report.id,
        status=followed.status,
        submitted_at=report.submitted_at,
        updated_at=max(report.updated_at, followed.updated_at),
        category_code=report.category_code,
        merged=report.merged_into_id is not None,
        updates=updates,
    )


async def read_contact(
    *, session: AsyncSession, report_id: uuid.UUID, principal: Principal, vault: ContactVault
) -> ReportContact:
    """The reporter's contact details, for the city's moderators only; every reading is
    written to the audit log."""
    report = await get_report_for_staff(session=session, report_id=report_id, principal=principal)
    if report.contact_purged_at is not None:
        raise NotFound("The reporter's contact details were erased after the retention period.")
    if report.contact_sealed is None:
        raise NotFound("The reporter left no contact details.")
    await record_reads(
        session=session, principal=principal, reports=[report], action="contact.read"
    )
    return ReportContact.model_validate(vault.open(report.id, report.contact_sealed))


def etag_of(report: Report) -> str:
    return etag_for(report.version)


async def get_report_for_staff(
    *, session: AsyncSession, report_id: uuid.UUID, principal: Principal
) -> Report:
    """A report of one of the caller's cities."""
    report = await ReportRepository(session).get(report_id)
    if report is None:
        raise NotFound("No such report.")
    require_city(principal, report.city)
    return report


async def change_status(
    *,
    session: AsyncSession,
    outbox: Outbox,
    report_id: uuid.UUID,
    change_in: ReportStatusChangeCreate,
    principal: Principal,
    if_match: str | None,
) -> Report:
    """Move a report along the workflow, record the step and announce it
    (`report.status_changed`); only from the version the moderator saw (`If-Match`)."""
    report = await ReportRepository(session).get(report_id, for_update=True)
    if report is None:
        raise NotFound("No such report.")
    require_city(principal, report.city)
    require_if_match(if_match, report.version, "report")
    if report.merged_into_id is not None:
        raise Conflict(
            f"The report was merged into {report.merged_into_id}; change that report instead."
        )
    reason = refusal(report.status, change_in.status)
    if reason is not None:
        raise Conflict(reason)
    now = datetime.now(UTC)
    from_status = report.status
    report.status = change_in.status
    report.version += 1
    report.updated_at = now
    await StatusChangeRepository(session).add(
        ReportStatusChange(
            id=uuid.uuid4(),
            report_id=report.id,
            from_status=from_status,
            to_status=change_in.status,
            actor=principal.subject,
            changed_at=now,
            public_note=change_in.public_note,
        )
    )
    # The note is public for normal reports only: a sensitive report's words stay here.
    await outbox.record(
        session,
        "report.status_changed",
        subject=str(report.id),
        city=report.city,
        data={
            "report_id": str(report.id),
            "city": report.city,
            "category_code": report.category_code,
            "sensitivity": report.sensitivity,
            "district_code": report.district_code,
            "from_status": from_status,
            "to_status": report.status,
            "changed_at": now.isoformat(),
            "public_note": change_in.public_note if report.sensitivity == "normal" else None,
        },
    )
    return report


async def staff_views(
    *, session: AsyncSession, reports: Sequence[Report], principal: Principal, action: str
) -> list[ReportRead]:
    """Reports for city staff, in order; each sensitive one shown in full is written to the
    audit log in this transaction (`action` says what showed it)."""
    await record_sensitive_reads(
        session=session, principal=principal, reports=reports, action=action
    )
    return [staff_view(report, principal=principal) for report in reports]


async def history_views(
    *,
    session: AsyncSession,
    report: Report,
    changes: Sequence[ReportStatusChange],
    principal: Principal,
) -> list[ReportStatusChangeRead]:
    """A report's status changes for city staff: a sensitive report's notes (written to its
    reporter, so they may retell what happened) need `reports:sensitive:read`, like its
    text (ARCHITECTURE §5); showing them is audited as `report.history`."""
    views = [ReportStatusChangeRead.model_validate(change) for change in changes]
    if report.sensitivity == "normal":
        return views
    if not reveals_sensitive(report, principal):
        return [view.model_copy(update={"public_note": None}) for view in views]
    if any(view.public_note is not None for view in views):
        await record_reads(
            session=session, principal=principal, reports=[report], action="report.history"
        )
    return views


def staff_view(report: Report, *, principal: Principal) -> ReportRead:
    """A report for city staff: a sensitive one's text and exact location need
    `reports:sensitive:read` (ARCHITECTURE §5). Callers go through `staff_views`, which
    audits what this reveals."""
    view = ReportRead.model_validate(report)
    if report.sensitivity == "sensitive" and not reveals_sensitive(report, principal):
        view = view.model_copy(
            update={
                "description": None,
                "attributes": None,
                "latitude": None,
                "longitude": None,
                "address_string": None,
                "address_id": None,
                "media_urls": None,
                # The link says the two were close in place and time.
                "possible_duplicate_of_id": None,
            }
        )
    return view
