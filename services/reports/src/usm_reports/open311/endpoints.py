"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at `/open311/v2/`.

`jurisdiction_id` is the city's slug. Every answer is JSON or XML as the path's extension
says; errors are Open311's `[{"code": N, "description": "..."}]`: 404 for an unknown
jurisdiction or resource, 403 for a missing or invalid `api_key`, 400 otherwise.
"""

import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from usm_reports.categories.language import negotiate_language
from usm_reports.categories.repository import CategoryRepository
from usm_reports.config import ReportsSettings
from usm_reports.open311 import service
from usm_reports.open311.routing import Open311Route, refuse_control_characters
from usm_reports.open311.schemas import (
    Open311ErrorItem,
    Open311Receipt,
    Open311Request,
    Open311RequestWithNotes,
)
from usm_reports.reports import service as reports_service
from usm_reports.reports.contacts import vault_for
from usm_reports.reports.intake import IntakeDep
from usm_reports.reports.repository import ReportRepository
from usmkit.auth import Principal, PublicDep, require_scope
from usmkit.idempotency import REPLAYED_HEADER, IdempotencyDep
from usmkit.open311 import Open311Error, render
from usmkit.problems import UnprocessableContent
from usmkit.runtime import RuntimeDep, SessionDep

FormatPath = Annotated[Literal["json", "xml"], Path(description="`json` or `xml`.")]
ERRORS: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "description": "Open311 errors: 400 bad input, 403 missing or invalid api_key, "
        "404 unknown jurisdiction_id or resource.",
        "model": list[Open311ErrorItem],
        "content": {"text/xml": {}},
    }
}


def _documented(model: Any, description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"description": description, "model": model, "content": {"text/xml": {}}},
        **ERRORS,
    }


router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)


def _language(request: Request) -> Any:
    return negotiate_language(request.headers.get("accept-language"))


@router.get(
    "/discovery.{fmt}",
    response_class=Response,
    responses=_documented(dict[str, Any], "The endpoint's discovery document."),
)
async def discovery(fmt: FormatPath, runtime: RuntimeDep, _: PublicDep) -> Response:
    """Where this Open311 endpoint is and what it speaks."""
    settings = runtime.settings
    assert isinstance(settings, ReportsSettings)
    base_url = settings.public_base_url.rstrip("/") + "/open311/v2"
    return render(fmt, service.discovery(base_url), root_tag="discovery")


@router.get(
    "/services.{fmt}",
    response_class=Response,
    responses=_documented(list[dict[str, Any]], "The city's service list."),
)
async def services(
    fmt: FormatPath, request: Request, session: SessionDep, _: PublicDep
) -> Response:
    """The jurisdiction's active report categories (`jurisdiction_id` = city slug), named in
    the language of `Accept-Language`."""
    city = await service.require_jurisdiction(session, request.query_params.get("jurisdiction_id"))
    language = _language(request)
    categories = await CategoryRepository(session).list_all_active(city)
    return render(
        fmt,
        [service.service_entry(category, language) for category in categories],
        root_tag="services",
        item_tag="service",
        headers={"Content-Language": language},
    )


@router.get(
    "/services/{service_code}.{fmt}",
    response_class=Response,
    responses=_documented(dict[str, Any], "The service definition (its attributes)."),
)
async def service_definition(
    service_code: Annotated[str, Path(max_length=50)],
    fmt: FormatPath,
    request: Request,
    session: SessionDep,
    _: PublicDep,
) -> Response:
    """The attributes a report of this service asks for."""
    city = await service.require_jurisdiction(session, request.query_params.get("jurisdiction_id"))
    category = await service.active_service(session, city, service_code)
    return render(fmt, service.service_definition(category), root_tag="service_definition")


@router.get(
    "/requests.{fmt}",
    response_class=Response,
    responses=_documented(list[Open311Request], "Service requests, newest first."),
)
async def get_requests(
    fmt: FormatPath, request: Request, session: SessionDep, _: PublicDep
) -> Response:
    """Service requests of the jurisdiction, newest first: by `service_request_id`
    (comma-separated; the other filters are then ignored), or by `service_code`,
    `start_date`, `end_date` (the last 90 days by default) and `status` (open, closed).
    Pages of `page_size` (at most and by default 1000) numbered by `page` from 1.

    Locations are the centres of their H3 cells (resolution 9, about 200 m across) and free
    text is scrubbed of e-mail addresses, phone and ID numbers; sensitive requests show
    their district only, without text.
    """
    city = await service.require_jurisdiction(session, request.query_params.get("jurisdiction_id"))
    query = service.requests_query(city, request.query_params, now=datetime.now(UTC))
    language = _language(request)
    views = await service.get_requests(session, query, language=language)
    return render(
        fmt,
        views,
        root_tag="service_requests",
        item_tag="request",
        headers={"Content-Language": language},
    )


async def _fields(request: Request) -> list[tuple[str, Any]]:
    """The POST body as (name, value) pairs, from a form (as the spec says) or JSON."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.form()
        except Exception as exc:  # the form parser's errors have no common base
            raise Open311Error(400, "The form could not be read.") from exc
        try:
            items = form.multi_items()
        finally:
            # Uploaded files are spooled to disk: release them whatever happens.
            await form.close()
        pairs: list[tuple[str, Any]] = []
        for key, value in items:
            if isinstance(value, UploadFile):
                raise Open311Error(400, f"{key}: files are not accepted; send media_url.")
            pairs.append((key, value))
        refuse_control_characters(pairs)
        return pairs
    if content_type == "application/json":
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError) as exc:
            raise Open311Error(400, "The body is not valid JSON.") from exc
        if not isinstance(body, dict):
            raise Open311Error(400, "The JSON body must be an object.")
        refuse_control_characters(body.items())
        return list(body.items())
    raise Open311Error(
        400, "Send application/x-www-form-urlencoded (or multipart/form-data, or JSON)."
    )


@router.post(
    "/requests.{fmt}",
    response_class=Response,
    responses=_documented(list[Open311Receipt], "The new request's id and token."),
)
async def post_request(
    fmt: FormatPath,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    intake: IntakeDep,
    principal: Annotated[Principal, Depends(require_scope(reports_service.SUBMIT_SCOPE))],
    idempotency: IdempotencyDep,
) -> Response:
    """Create a service request: `service_code`; `lat`+`long`, `address_string` or
    `address_id`; `description`; `media_url`; `attribute[code]` (repeat, or
    `attribute[code][]`, for a multivaluelist). Form-encoded as the spec says, or JSON.

    Needs an `api_key` (the gateway checks it; anonymous callers get 403). Contact fields
    (`email`, `first_name`, `last_name`, `phone`) are stored encrypted and never shown in
    Open311; `device_id` and `account_id` are ignored. `token` in the answer is the
    tracking code: the only way to follow the request later (`tokens/{token}` or the native
    tracking endpoint).
    """
    # Anonymous callers hold `reports:submit` for native intake, but Open311 wants a key.
    if principal.subject == "anonymous":
        raise Open311Error(403, "api_key is missing or not valid for submitting requests.")
    fields = await _fields(request)
    jurisdiction_id = request.query_params.get("jurisdiction_id") or next(
        (str(value) for key, value in fields if key == "jurisdiction_id"), None
    )
    city = await service.require_jurisdiction(session, jurisdiction_id)
    report_in = service.report_from_fields(city, fields)

    async def write() -> Open311Receipt:
        try:
            report, tracking_code = await reports_service.submit_report(
                session=session,
                outbox=runtime.outbox,
                intake=intake,
                report_in=report_in,
                vault=vault_for(runtime),
                channel="open311",
                attributes_as_text=True,
            )
        except UnprocessableContent as exc:
            descriptions = [
                f"{_open311_field(error.loc)}: {error.msg}" for error in exc.errors or []
            ]
            raise Open311Error(400, *(descriptions or [exc.detail or "Invalid request."])) from exc
        return Open311Receipt(service_request_id=report.id, token=tracking_code)

    receipt = await idempotency.run(session, Open311Receipt, write)
    headers = {}
    if idempotency.response.headers.get(REPLAYED_HEADER):
        headers[REPLAYED_HEADER] = "true"
    return render(
        fmt,
        [receipt.model_dump(mode="json")],
        root_tag="service_requests",
        item_tag="request",
        headers=headers,
    )


def _open311_field(loc: list[str | int]) -> str:
    parts = [str(part) for part in loc if part != "body"]
    if not parts:
        return "request"
    if parts[0] == "attributes" and len(parts) > 1:
        return f"attribute[{parts[1]}]"
    return service.OPEN311_NAMES.get(parts[0], parts[0])


@router.get(
    "/requests/{service_request_id}.{fmt}",
    response_class=Response,
    responses=_documented(list[Open311RequestWithNotes], "The request, as a list of one."),
)
async def get_request(
    service_request_id: Annotated[str, Path(max_length=100)],
    fmt: FormatPath,
    request: Request,
    session: SessionDep,
    _: PublicDep,
) -> Response:
    """One service request of the jurisdiction (a list of one, as the spec says), with the
    `notes` extension: its public update history (status, time, public note), oldest first."""
    city = await service.require_jurisdiction(session, request.query_params.get("jurisdiction_id"))
    try:
        report_id: uuid.UUID | None = uuid.UUID(service_request_id)
    except ValueError:
        report_id = None
    report = await ReportRepository(session).get(report_id) if report_id else None
    if report is None or report.city != city:
        raise Open311Error(404, f"service_request_id {service_request_id!r} was not found.")
    language = _language(request)
    views = await service.request_views(session, [report], language=language)
    views[0]["notes"] = await service.request_notes(session, report)
    return render(
        fmt,
        views,
        root_tag="service_requests",
        item_tag="request",
        headers={"Content-Language": language},
    )


@router.get(
    "/tokens/{token}.{fmt}",
    response_class=Response,
    responses=_documented(list[dict[str, str]], "The request id the token belongs to."),
)
async def get_token(
    token: Annotated[str, Path(max_length=100)],
    fmt: FormatPath,
    request: Request,
    session: SessionDep,
    _: PublicDep,
) -> Response:
    """The service_request_id of the request a token (tracking code) belongs to."""
    city = await service.require_jurisdiction(session, request.query_params.get("jurisdiction_id"))
    report = await ReportRepository(session).get_by_tracking_code_hash(
        reports_service.hash_tracking_code(token)
    )
    if report is None or report.city != city:
        raise Open311Error(404, "token was not found.")
    return render(
        fmt,
        [{"service_request_id": str(report.id), "token": token}],
        root_tag="service_requests",
        item_tag="request",
    )


@router.api_route(
    "/{anything:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def unknown(anything: str, _: PublicDep) -> Response:
    """Anything else under /open311/v2/ is an Open311 404, in Open311's shape."""
    raise Open311Error(404, f"{anything[:200]!r} is not an Open311 resource here.")
