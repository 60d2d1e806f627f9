import functools
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, insert, select, tuple_
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.duplicates.repository import (
    Place,
    candidate_parameters,
    earliest_candidate,
    place_of,
)
from usm_reports.models import Category, DistrictCopy, Report, ReportStatusChange, kit_tables
from usm_reports.reports.filters import ReportFilter
from usmkit.db import Database, DriverStatement
from usmkit.pagination import PageParams
from usmkit.problems import BadRequest


@dataclass(frozen=True, kw_only=True)
class BoundingBox:
    """WGS84 degrees, west <= east (no antimeridian crossing: no member city needs it)."""

    west: float
    south: float
    east: float
    north: float


@dataclass(frozen=True, kw_only=True)
class IntakeGuard:
    """What a new report was checked against: it is written only while these still hold."""

    category_version: int
    # Checked only for a located report; None when the city had no district copy.
    districts_version: uuid.UUID | None
    located: bool


@dataclass(frozen=True, kw_only=True)
class DuplicateLink:
    """Which earlier report intake links a new one to (`duplicates.repository`)."""

    radius_m: float
    since: datetime


@dataclass(frozen=True, kw_only=True)
class SubmittedReport:
    """A report intake wrote, as far as its answer and its event need it."""

    id: uuid.UUID
    city: str
    category_code: str
    sensitivity: str
    district_code: str | None
    submitted_at: datetime
    possible_duplicate_of_id: uuid.UUID | None


# Columns intake writes from the new report's values; the duplicate link is computed.
_SUBMITTED_COLUMNS = [
    column for column in Report.__table__.columns if column.key != "possible_duplicate_of_id"
]
# The first history entry's columns, as parameters `step_<column>`.
_FIRST_STEP_COLUMNS = list(ReportStatusChange.__table__.columns)
_OUTBOX = kit_tables.outbox
# The outbox row of an event (`Outbox.prepare`), as parameters `event_<column>`.
_EVENT_COLUMNS = ("event_id", "topic", "message_key", "event_type", "envelope")


@functools.cache
def _submission(place: Place, located: bool, dialect: Dialect) -> DriverStatement:
    """The statement of `ReportRepository.insert_submitted`, built and compiled once per
    shape with bind parameters: building a statement costs more CPU than running it, and
    so does SQLAlchemy's usual execution of one this large (`DriverStatement`)."""
    conditions: list[ColumnElement[bool]] = [
        exists().where(
            Category.city == bindparam("city", type_=Category.city.type),
            Category.code == bindparam("category_code", type_=Category.code.type),
            Category.active.is_(True),
            Category.version == bindparam("guard_category_version", type_=Category.version.type),
        )
    ]
    if located:
        current = select(DistrictCopy.version).where(
            DistrictCopy.city == bindparam("city", type_=DistrictCopy.city.type)
        )
        conditions.append(
            current.scalar_subquery().is_not_distinct_from(
                bindparam("guard_districts_version", type_=DistrictCopy.version.type)
            )
        )
    inserted = (
        insert(Report)
        .from_select(
            [column.key for column in _SUBMITTED_COLUMNS] + ["possible_duplicate_of_id"],
            select(
                *(bindparam(column.key, type_=column.type) for column in _SUBMITTED_COLUMNS),
                earliest_candidate(place),
            ).where(*conditions),
        )
        .returning(Report.possible_duplicate_of_id)
        .cte("inserted")
    )
    # Written only if the report was: it selects from `inserted`.
    first_step = (
        insert(ReportStatusChange)
        .from_select(
            [column.key for column in _FIRST_STEP_COLUMNS],
            select(
                *(
                    bindparam(f"step_{column.key}", type_=column.type)
                    for column in _FIRST_STEP_COLUMNS
                )
            ).select_from(inserted),
        )
        .cte("first_step")
    )
    # The `report.submitted` row of the kit's outbox, likewise only with the report: the
    # write is then one statement, atomic without a transaction of its own.
    event = (
        insert(_OUTBOX)
        .from_select(
            list(_EVENT_COLUMNS),
            select(
                *(bindparam(f"event_{key}", type_=_OUTBOX.c[key].type) for key in _EVENT_COLUMNS)
            ).select_from(inserted),
        )
        .cte("event")
    )
    return DriverStatement.compile(
        select(inserted.c.possible_duplicate_of_id).add_cte(first_step, event), dialect
    )


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_submitted(
        self,
        report: dict[str, Any],
        first_step: dict[str, Any],
        event: dict[str, Any],
        *,
        guard: IntakeGuard,
        link: DuplicateLink,
        standalone: Database | None = None,
    ) -> SubmittedReport | None:
        """Write a new report, its first history entry, its duplicate link and its event's
        outbox row in one statement (one round trip), only while `guard` holds; None, with
        nothing written, when the category or the district copy changed since the caller
        read them.

        `report` holds every column of `reports` but `possible_duplicate_of_id` (which
        this computes), `first_step` every column of `report_status_changes`, `event` the
        outbox row `Outbox.prepare` gives, by key: plain values, not ORM instances,
        which intake never needs (building the two cost about 80 µs per report).

        Given `standalone` (the session's database, when its transaction holds nothing
        else), the statement runs by itself (`Database.fetch_committed`): one statement
        is atomic by itself, and the BEGIN and COMMIT round trips are saved."""
        place = place_of(
            latitude=report["latitude"],
            longitude=report["longitude"],
            address_string=report["address_string"],
        )
        parameters = {column.key: report[column.key] for column in _SUBMITTED_COLUMNS}
        parameters |= {
            f"step_{column.key}": first_step[column.key] for column in _FIRST_STEP_COLUMNS
        }
        parameters |= {f"event_{key}": event[key] for key in _EVENT_COLUMNS}
        parameters |= candidate_parameters(
            latitude=report["latitude"], radius_m=link.radius_m, since=link.since
        )
        parameters["guard_category_version"] = guard.category_version
        if guard.located:
            parameters["guard_districts_version"] = guard.districts_version
        # On the session's connection, not `session.execute`: the statement returns no
        # entity, and the ORM's execution and result layers cost more CPU than the rest
        # of the call (README, "Intake: what each report costs").
        if standalone is None:
            connection = await self.session.connection()
            statement = _submission(place, guard.located, connection.dialect)
            row = (await statement.execute(connection, parameters)).first()
        else:
            statement = _submission(place, guard.located, standalone.engine.dialect)
            row = await standalone.fetch_committed(statement, parameters)
        if row is None:
            return None
        return SubmittedReport(
            id=report["id"],
            city=report["city"],
            category_code=report["category_code"],
            sensitivity=report["sensitivity"],
            district_code=report["district_code"],
            submitted_at=report["submitted_at"],
            # The statement's one column.
            possible_duplicate_of_id=row[0],
        )

    async def get(self, report_id: uuid.UUID, *, for_update: bool = False) -> Report | None:
        query = select(Report).where(Report.id == report_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def statuses(self, report_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The current workflow status of each of these reports."""
        if not report_ids:
            return {}
        query = select(Report.id, Report.status).where(Report.id.in_(report_ids))
        return {row.id: row.status for row in (await self.session.execute(query)).all()}

    async def get_by_tracking_code_hash(self, tracking_code_hash: str) -> Report | None:
        query = select(Report).where(Report.tracking_code_hash == tracking_code_hash)
        return (await self.session.scalars(query)).one_or_none()

    async def list(
        self,
        params: PageParams,
        *,
        city: str,
        report_filter: ReportFilter,
        bbox: BoundingBox | None = None,
        text: str | None = None,
        include_sensitive_in_search: bool = False,
    ) -> Sequence[Report]:
        query = report_filter.apply(
            select(Report)
            .where(Report.city == city)
            .order_by(Report.submitted_at.desc(), Report.id.desc())
            .limit(params.limit + 1)
        )
        if bbox is not None:
            query = query.where(
                Report.longitude.between(bbox.west, bbox.east),
                Report.latitude.between(bbox.south, bbox.north),
            )
        if text is not None:
            # A literal substring: % and _ typed by the caller match themselves.
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(Report.description.ilike(f"%{escaped}%", escape="\\"))
        if (bbox is not None or text is not None) and not include_sensitive_in_search:
            query = query.where(Report.sensitivity == "normal")
        if params.after:
            try:
                submitted_at, report_id = params.after
                after = (datetime.fromisoformat(str(submitted_at)), uuid.UUID(str(report_id)))
            except ValueError as exc:
                raise BadRequest("The cursor is not valid; start again without one.") from exc
            query = query.where(tuple_(Report.submitted_at, Report.id) < after)
        return (await self.session.scalars(query)).all()


class StatusChangeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, change: ReportStatusChange) -> ReportStatusChange:
        self.session.add(change)
        await self.session.flush()
        return change

    async def list_for_report(
        self, report_id: uuid.UUID, params: PageParams | None = None
    ) -> Sequence[ReportStatusChange]:
        """Oldest first; the whole history without `params`."""
        query = (
            select(ReportStatusChange)
            .where(ReportStatusChange.report_id == report_id)
            .order_by(ReportStatusChange.changed_at, ReportStatusChange.id)
        )
        if params is not None:
            query = query.limit(params.limit + 1)
            if params.after:
                try:
                    changed_at, change_id = params.after
                    after = (datetime.fromisoformat(str(changed_at)), uuid.UUID(str(change_id)))
                except ValueError as exc:
                    raise BadRequest("The cursor is not valid; start again without one.") from exc
                query = query.where(
                    tuple_(ReportStatusChange.changed_at, ReportStatusChange.id) > after
                )
        return (await self.session.scalars(query)).all()

    async def latest_notes(self, report_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The most recent public note of each report that has one."""
        if not report_ids:
            return {}
        query = (
            select(ReportStatusChange.report_id, ReportStatusChange.public_note)
            .where(
                ReportStatusChange.report_id.in_(report_ids),
                ReportStatusChange.public_note.is_not(None),
            )
            .order_by(
                ReportStatusChange.report_id,
                ReportStatusChange.changed_at.desc(),
                ReportStatusChange.id.desc(),
            )
            .ext(distinct_on(ReportStatusChange.report_id))
        )
        rows = (await self.session.execute(query)).all()
        return {row.report_id: row.public_note for row in rows}


@dataclass(frozen=True, kw_only=True)
class Open311Query:
    """Filters of Open311's GET requests, already parsed."""

    city: str
    report_ids: Collection[uuid.UUID] | None
    category_codes: Collection[str] | None
    start: datetime | None
    end: datetime | None
    statuses: Collection[str] | None
    offset: int
    limit: int


class Open311Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list_requests(self, query: Open311Query) -> Sequence[Report]:
        """Newest first; `report_ids` alone when given (the spec ignores other filters)."""
        statement = select(Report).where(Report.city == query.city)
        if query.report_ids is not None:
            statement = statement.where(Report.id.in_(query.report_ids))
        else:
            if query.category_codes:
                statement = statement.where(Report.category_code.in_(query.category_codes))
            if query.start is not None:
                statement = statement.where(Report.submitted_at >= query.start)
            if query.end is not None:
                statement = statement.where(Report.submitted_at <= query.end)
            if query.statuses is not None:
                statement = statement.where(Report.status.in_(query.statuses))
        statement = (
            statement.order_by(Report.submitted_at.desc(), Report.id.desc())
            .offset(query.offset)
            .limit(query.limit)
        )
        return (await self.session.scalars(statement)).all()
