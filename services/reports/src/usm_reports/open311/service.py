"""Open311 GeoReport v2 on top of categories (services) and reports (service requests).

Every request shown here is a public view: `reports.privacy` decides what of a report
may appear (snapped coordinates, scrubbed text, nothing of sensitive reports beyond their
district), and contact details are never stored, let alone shown.
"""

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.categories.language import localized
from usm_reports.categories.repository import CategoryRepository
from usm_reports.categories.schemas import Language
from usm_reports.districts.repository import DistrictRepository
from usm_reports.models import Category, Report, city_directory
from usm_reports.reports.privacy import public_point, scrub
from usm_reports.reports.repository import (
    Open311Query,
    Open311Repository,
    ReportRepository,
    StatusChangeRepository,
)
from usm_reports.reports.schemas import ReportCreate
from usm_reports.reports.workflow import CLOSED_STATUSES, OPEN_STATUSES, open311_status
from usmkit.open311 import Open311Error

DEFAULT_WINDOW = timedelta(days=90)
MAX_PAGE_SIZE = 1000
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-25T00:00:00Z"
# Open311 field names of what intake calls otherwise, for error messages.
OPEN311_NAMES = {
    "city": "jurisdiction_id",
    "category_code": "service_code",
    "latitude": "lat",
    "longitude": "long",
    "media_urls": "media_url",
    "attributes": "attribute",
}
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


async def require_jurisdiction(session: AsyncSession, jurisdiction_id: str | None) -> str:
    """The city a jurisdiction_id names; every operation but discovery needs one."""
    if not jurisdiction_id:
        raise Open311Error(400, "jurisdiction_id is required (the city's slug, e.g. durban).")
    if len(jurisdiction_id) > 100 or not await city_directory.exists(session, jurisdiction_id):
        raise Open311Error(404, f"jurisdiction_id {jurisdiction_id[:100]!r} was not found.")
    return jurisdiction_id


def discovery(base_url: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": "Write to the USM administrators of your city.",
        "key_service": "API keys are issued by the USM gateway's administrators.",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }


def service_entry(category: Category, language: Language) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": localized(category.names, language),
        "description": localized(category.descriptions, language),
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": ", ".join(category.keywords),
        "group": category.group_name,
    }


def service_definition(category: Category) -> dict[str, Any]:
    attributes = sorted(category.attributes, key=lambda attribute: attribute["order"])
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": attribute["code"],
                "datatype": attribute["datatype"],
                "required": attribute["required"],
                "datatype_description": attribute.get("datatype_description"),
                "order": attribute["order"],
                "description": attribute["description"],
                "values": [
                    {"key": value["key"], "name": value["name"]}
                    for value in attribute.get("values") or []
                ],
            }
            for attribute in attributes
        ],
    }


async def active_service(session: AsyncSession, city: str, service_code: str) -> Category:
    category = await CategoryRepository(session).get_active(city, service_code)
    if category is None:
        raise Open311Error(404, f"service_code {service_code[:50]!r} was not found.")
    return category


async def request_views(
    session: AsyncSession, reports: Sequence[Report], *, language: Language
) -> list[dict[str, Any]]:
    """The public Open311 view of each report, in order."""
    if not reports:
        return []
    city = reports[0].city
    categories = {c.code: c for c in await CategoryRepository(session).list_all(city)}
    districts = {d.code: d.name for d in await DistrictRepository(session).list_for_city(city)}
    notes = await StatusChangeRepository(session).latest_notes([report.id for report in reports])
    # A merged duplicate is open or closed as its primary is (its own workflow stopped).
    primary_statuses = await ReportRepository(session).statuses(
        {report.merged_into_id for report in reports if report.merged_into_id is not None}
    )
    return [
        public_request(
            report,
            category=categories.get(report.category_code),
            district_name=districts.get(report.district_code or ""),
            latest_note=notes.get(report.id),
            language=language,
            status=primary_statuses.get(report.merged_into_id, report.status)
            if report.merged_into_id is not None
            else report.status,
        )
        for report in reports
    ]


def public_request(
    report: Report,
    *,
    category: Category | None,
    district_name: str | None,
    latest_note: str | None,
    language: Language,
    status: str,
) -> dict[str, Any]:
    """One service request as the public may see it (ARCHITECTURE §5); `status` is its
    workflow status (a merged duplicate's is its primary's)."""
    sensitive = report.sensitivity != "normal"
    view: dict[str, Any] = {
        "service_request_id": str(report.id),
        "status": open311_status(status),
        "status_notes": None if sensitive else scrub(latest_note),
        "service_name": localized(category.names, language) if category else None,
        "service_code": report.category_code,
        "description": None if sensitive else scrub(report.description),
        "agency_responsible": category.agency_responsible if category else None,
        "service_notice": None,
        "requested_datetime": _iso(report.submitted_at),
        "updated_datetime": _iso(report.updated_at),
        "expected_datetime": None,
        # A sensitive report is placed by its district only.
        "address": district_name if sensitive else scrub(report.address_string),
        "address_id": None if sensitive else report.address_id,
        "zipcode": None,
        "media_url": None if sensitive or not report.media_urls else report.media_urls[0],
    }
    if not sensitive:
        point = public_point(report)
        view["lat"], view["long"] = point if point else (None, None)
    return view


async def request_notes(session: AsyncSession, report: Report) -> list[dict[str, Any]]:
    """The `notes` extension: the request's public update history, oldest first. A
    sensitive request's notes say when its status changed, never what was written."""
    history = await StatusChangeRepository(session).list_for_report(report.id)
    sensitive = report.sensitivity != "normal"
    return [
        {
            "datetime": _iso(change.changed_at),
            "status": open311_status(change.to_status),
            "workflow_status": change.to_status,
            "description": None if sensitive else scrub(change.public_note),
        }
        for change in history
    ]


def _parse_moment(name: str, raw: str | None) -> datetime | None:
    if raw is None or raw == "":
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise Open311Error(400, f"{name} must be an ISO 8601 date-time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parse_int(name: str, raw: str | None, *, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a whole number.") from None
    if not low <= value <= high:
        raise Open311Error(400, f"{name} must be from {low} to {high}.")
    return value


def _split(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def requests_query(city: str, params: Mapping[str, str], *, now: datetime) -> Open311Query:
    """GET requests' parameters, checked; by default the last 90 days, 1000 at most."""
    report_ids: list[uuid.UUID] | None = None
    if params.get("service_request_id"):
        try:
            report_ids = [uuid.UUID(part) for part in _split(params["service_request_id"])]
        except ValueError:
            raise Open311Error(400, "service_request_id must list request ids.") from None
    start = _parse_moment("start_date", params.get("start_date"))
    end = _parse_moment("end_date", params.get("end_date"))
    if start is None:
        start = (end or now) - DEFAULT_WINDOW
    if end is not None and start > end:
        raise Open311Error(400, "start_date must not be after end_date.")
    statuses: set[str] | None = None
    wanted = _split(params.get("status"))
    if wanted:
        if any(status not in ("open", "closed") for status in wanted):
            raise Open311Error(400, "status must be open, closed or both (comma-separated).")
        statuses = set()
        if "open" in wanted:
            statuses |= OPEN_STATUSES
        if "closed" in wanted:
            statuses |= CLOSED_STATUSES
    page = _parse_int("page", params.get("page"), default=1, low=1, high=1_000_000)
    page_size = _parse_int(
        "page_size", params.get("page_size"), default=MAX_PAGE_SIZE, low=1, high=MAX_PAGE_SIZE
    )
    return Open311Query(
        city=city,
        report_ids=report_ids,
        category_codes=_split(params.get("service_code")) or None,
        start=start,
        end=end,
        statuses=statuses,
        offset=(page - 1) * page_size,
        limit=page_size,
    )


async def get_requests(
    session: AsyncSession, query: Open311Query, *, language: Language
) -> list[dict[str, Any]]:
    reports = await Open311Repository(session).list_requests(query)
    return await request_views(session, reports, language=language)


def _single(values: Sequence[Any]) -> Any:
    return values[-1] if values else None


def report_from_fields(city: str, fields: Iterable[tuple[str, Any]]) -> ReportCreate:
    """A POST requests body (form or JSON, already flattened to pairs) as a native
    submission; the contact fields become its (encrypted) contact."""
    collected: dict[str, list[Any]] = {}
    attributes: dict[str, Any] = {}
    for key, value in fields:
        match = _ATTRIBUTE_KEY.match(key)
        if key == "attribute" and isinstance(value, Mapping):
            attributes.update({str(code): answer for code, answer in value.items()})
        elif match:
            code, is_list = match.group(1), match.group(2)
            if is_list or code in attributes:
                previous = attributes.get(code)
                items = (
                    previous
                    if isinstance(previous, list)
                    else []
                    if previous is None
                    else [previous]
                )
                attributes[code] = [*items, *(value if isinstance(value, list) else [value])]
            else:
                attributes[code] = value
        else:
            collected.setdefault(key, []).append(value)
    candidate: dict[str, Any] = {
        "city": city,
        "category_code": _single(collected.get("service_code", [])),
        "attributes": attributes,
    }
    if candidate["category_code"] in (None, ""):
        raise Open311Error(400, "service_code is required.")
    lat, long = _single(collected.get("lat", [])), _single(collected.get("long", []))
    address_string = _single(collected.get("address_string", []))
    address_id = _single(collected.get("address_id", []))
    if (lat in (None, "")) != (long in (None, "")):
        raise Open311Error(400, "lat and long go together.")
    if lat in (None, "") and not address_string and not address_id:
        raise Open311Error(
            400, "A location is required: lat and long, address_string or address_id."
        )
    for name, value in (
        ("latitude", lat),
        ("longitude", long),
        ("address_string", address_string),
        ("address_id", address_id),
        ("description", _single(collected.get("description", []))),
    ):
        if value not in (None, ""):
            candidate[name] = value
    name = " ".join(
        str(part)
        for part in (
            _single(collected.get("first_name", [])),
            _single(collected.get("last_name", [])),
        )
        if part
    )
    contact = {
        key: value
        for key, value in (
            ("name", name),
            ("email", _single(collected.get("email", []))),
            ("phone", _single(collected.get("phone", []))),
        )
        if value
    }
    if contact:
        candidate["contact"] = contact
    media = [url for url in collected.get("media_url", []) if url]
    if media:
        candidate["media_urls"] = media
    try:
        return ReportCreate.model_validate(candidate)
    except ValidationError as exc:
        descriptions = []
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]]
            field = OPEN311_NAMES.get(loc[0], loc[0]) if loc else "request"
            descriptions.append(f"{field}: {error['msg']}")
        raise Open311Error(400, *descriptions) from exc
