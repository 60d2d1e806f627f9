"""Exports of a city's reports as CSV or GeoJSON, streamed batch by batch.

Two variants. The public one shows what every public view shows (`reports.privacy`):
normal reports at the centre of their H3 cell with scrubbed text, sensitive ones by
district only, with no text — and left out altogether where their district has fewer
than the suppression threshold of them, so a lone sensitive report cannot be singled
out. The staff one shows what the caller's staff view shows, and audits each sensitive
report shown in full. Neither ever carries contact details.

Each batch is read in its own short transaction (a long export holds no transaction
open); a staff batch's audit entries commit with that read, before the rows are sent.
"""

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.exports.repository import ExportRepository
from usm_reports.models import Report
from usm_reports.reports.filters import ReportFilter
from usm_reports.reports.privacy import public_point, scrub
from usm_reports.reports.service import staff_views
from usmkit.auth import Principal
from usmkit.db import Database
from usmkit.suppression import is_small_cell

ExportFormat = Literal["csv", "geojson"]
BATCH_SIZE = 500
# Spreadsheets run cells starting with these as formulas: such text is quoted with '.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

PUBLIC_COLUMNS = (
    "id",
    "category_code",
    "sensitivity",
    "status",
    "district_code",
    "latitude",
    "longitude",
    "address",
    "description",
    "merged_into_id",
    "submitted_at",
    "updated_at",
)
STAFF_COLUMNS = (
    "id",
    "category_code",
    "sensitivity",
    "status",
    "district_code",
    "outside_districts",
    "latitude",
    "longitude",
    "address_string",
    "address_id",
    "description",
    "channel",
    "merged_into_id",
    "submitted_at",
    "updated_at",
)


@dataclass(frozen=True)
class ExportRow:
    values: dict[str, Any]
    # (longitude, latitude) for GeoJSON; None puts no geometry.
    point: tuple[float, float] | None


def public_row(report: Report) -> ExportRow:
    sensitive = report.sensitivity != "normal"
    point = public_point(report)
    return ExportRow(
        values={
            "id": report.id,
            "category_code": report.category_code,
            "sensitivity": report.sensitivity,
            "status": report.status,
            "district_code": report.district_code,
            "latitude": point[0] if point else None,
            "longitude": point[1] if point else None,
            "address": None if sensitive else scrub(report.address_string),
            "description": None if sensitive else scrub(report.description),
            "merged_into_id": report.merged_into_id,
            "submitted_at": report.submitted_at,
            "updated_at": report.updated_at,
        },
        point=(point[1], point[0]) if point else None,
    )


async def staff_rows(
    session: AsyncSession, reports: Sequence[Report], principal: Principal
) -> list[ExportRow]:
    views = await staff_views(
        session=session, reports=reports, principal=principal, action="export.staff"
    )
    rows = []
    for view in views:
        point = (
            (view.longitude, view.latitude)
            if view.latitude is not None and view.longitude is not None
            else None
        )
        rows.append(ExportRow(values=view.model_dump(include=set(STAFF_COLUMNS)), point=point))
    return rows


async def export_rows(
    *,
    database: Database,
    city: str,
    report_filter: ReportFilter,
    principal: Principal | None,
    hidden_sensitive_districts: frozenset[str | None],
) -> AsyncIterator[ExportRow]:
    """Rows batch by batch: public ones without `principal`, staff ones with it."""
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        async with database.transaction() as session:
            batch = await ExportRepository(session).batch(
                city=city,
                report_filter=report_filter,
                after=after,
                size=BATCH_SIZE,
                hidden_sensitive_districts=hidden_sensitive_districts,
            )
            if principal is None:
                rows = [public_row(report) for report in batch]
            else:
                rows = await staff_rows(session, batch, principal)
        for row in rows:
            yield row
        if len(batch) < BATCH_SIZE:
            return
        after = (batch[-1].submitted_at, batch[-1].id)


async def started(rows: AsyncIterator[ExportRow]) -> AsyncIterator[ExportRow]:
    """`rows` with its first batch already read: call before answering, so an error in the
    query (a value the database refuses, say) is a clean problem rather than a stream cut
    off after its 200 went out."""
    first = await anext(rows, None)
    return _resumed(first, rows)


async def _resumed(
    first: ExportRow | None, rest: AsyncIterator[ExportRow]
) -> AsyncIterator[ExportRow]:
    if first is None:
        return
    yield first
    async for row in rest:
        yield row


async def hidden_districts(
    *, session: AsyncSession, city: str, report_filter: ReportFilter, threshold: int
) -> frozenset[str | None]:
    """Districts whose sensitive reports are too few to publish one by one."""
    counts = await ExportRepository(session).sensitive_counts_by_district(city, report_filter)
    return frozenset(
        code for code, count in counts.items() if is_small_cell(count, threshold=threshold)
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, str):
        # Numbers (a negative latitude starts with "-"), booleans and ids are not formulas.
        return str(value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


async def as_csv(rows: AsyncIterator[ExportRow], columns: Sequence[str]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    async for row in rows:
        writer.writerow([_cell(row.values.get(column)) for column in columns])
        if buffer.tell() > 64_000:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


async def as_geojson(rows: AsyncIterator[ExportRow]) -> AsyncIterator[bytes]:
    """A FeatureCollection; a feature without a shown location has a null geometry."""
    yield b'{"type":"FeatureCollection","features":['
    first = True
    async for row in rows:
        feature = {
            "type": "Feature",
            "id": str(row.values["id"]),
            "geometry": (
                None if row.point is None else {"type": "Point", "coordinates": list(row.point)}
            ),
            "properties": {
                key: _json_value(value)
                for key, value in row.values.items()
                if key not in ("latitude", "longitude")
            },
        }
        yield (b"" if first else b",") + json.dumps(feature, separators=(",", ":")).encode()
        first = False
    yield b"]}"
