import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from fastapi.routing import APIRoute

from usm_indicators.geography.schemas import DISTRICT_CODE_PATTERN, SLUG_PATTERN
from usm_indicators.models.data_value import WHOLE_CITY
from usm_indicators.values import service
from usm_indicators.values.repository import SORT_KEY, DataValueRepository
from usm_indicators.values.schemas import (
    PERIOD_DESCRIPTION,
    BulkBody,
    DataValueRead,
    DataValuesIngested,
)
from usm_indicators.values.service import SDMX_CSV_MEDIA_TYPE
from usm_indicators.values.validation import collection_paused
from usmkit.auth import Principal, require_city, require_scope
from usmkit.idempotency import IdempotencyDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import PROBLEM_RESPONSES, problem_responses
from usmkit.runtime import RuntimeDep, SessionDep


class _BulkRequest(Request):
    """A request whose JSON body is read by orjson: a bulk load's 10,000 rows in half the
    standard library's time (~5 against ~10 ms).

    What orjson refuses and the standard library reads (NaN, Infinity, numbers beyond a
    double, lone surrogates, a byte order mark) is read again by the standard library, so
    the rows are judged as before; a body neither reads gets the standard library's error.
    Where both read a body they agree, but for integers beyond 64 bits, which orjson reads
    as floats: a row's fields are answered the same (a value becomes that float either
    way; a number in a text field is refused alike)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = orjson.loads(body)
            except orjson.JSONDecodeError:
                self._json = json.loads(body)
        return self._json


class _BulkRoute(APIRoute):
    """The route of the JSON bulk load: its body read by `_BulkRequest`, and the cyclic
    garbage collector held off from reading the body to the answer.

    A load makes ~50,000 objects (the parsed rows, records, COPY text), none in a cycle:
    the collector would run ~30 times a request and walk them (~8 ms of a 10,000-row
    request). Held off across the request's awaits, other requests' cycles wait for the
    collection after it (tens of milliseconds)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def bulk_handler(request: Request) -> Response:
            with collection_paused():
                return await handler(_BulkRequest(request.scope, request.receive))

        return bulk_handler


router = APIRouter(
    prefix="/api/v1/indicators/cities/{city}/values",
    tags=["values"],
    responses={**PROBLEM_RESPONSES, 404: {"description": "Unknown city"}},
)

CityPath = Annotated[str, Path(max_length=100, pattern=SLUG_PATTERN, description="City slug.")]


async def post_values(
    city: CityPath,
    body: Annotated[BulkBody, Body()],
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency: IdempotencyDep,
    principal: Annotated[Principal, Depends(require_scope("indicators:write"))],
) -> DataValuesIngested:
    """Load up to 10,000 data values at once: all rows are stored, or none.

    Every row is checked (known data element and district, ISO 8601 period, allowed
    disaggregation, a possible value: never negative, whole numbers for counts, at most
    100 for percentages, no two rows for the same cell with different values). If any row
    fails, the answer is `422` with an error per problem whose `loc` holds the row's index,
    and nothing is stored. Otherwise rows are inserted or replace the earlier value of the
    same cell, and `values.updated` names the data elements, periods and districts touched.
    Problems with the shape of a row (a missing field, a value that is not a number) and
    with its content are answered together; large loads go through PostgreSQL COPY.
    """
    require_city(principal, city)

    async def write() -> DataValuesIngested:
        return await service.ingest_body(
            session=session, outbox=runtime.outbox, city=city, body=body
        )

    return await idempotency.run(session, DataValuesIngested, write)


router.add_api_route(
    "",
    post_values,
    methods=["POST"],
    response_model=DataValuesIngested,
    route_class_override=_BulkRoute,
)


CSV_EXAMPLE = (
    "data_element,district_code,period,value,sex,source,quality\n"
    "HOMICIDES,DBN-CENTRAL,2025-03,4,female,SAPS,verified\n"
    "POPULATION,,2025,3900000,,Census,estimated\n"
)
SDMX_CSV_EXAMPLE = (
    "DATAFLOW,DATA_ELEMENT,REF_AREA,SEX,AGE,DISABILITY,TIME_PERIOD,OBS_VALUE,OBS_STATUS\n"
    "USM:CITY_DATA(1.0),HOMICIDES,DBN-CENTRAL,F,_T,_T,2025-03,4,A\n"
)


@router.post(
    "/upload",
    response_model=DataValuesIngested,
    responses=problem_responses(
        (404, "Unknown city"),
        (413, "The upload is too large"),
        (415, "Neither CSV nor SDMX-CSV"),
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
                SDMX_CSV_MEDIA_TYPE: {"schema": {"type": "string"}, "example": SDMX_CSV_EXAMPLE},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "type": "string",
                                "format": "binary",
                                "description": "A CSV or SDMX-CSV file (by its content type).",
                            },
                            "format": {"enum": ["csv", "sdmx-csv"]},
                        },
                    }
                },
            },
        }
    },
)
async def upload_values(
    city: CityPath,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency: IdempotencyDep,
    principal: Annotated[Principal, Depends(require_scope("indicators:write"))],
) -> DataValuesIngested:
    """Load data values from a CSV or SDMX-CSV 1.0 file: all lines are stored, or none.

    Send the file as the body (`text/csv`, or `application/vnd.sdmx.data+csv` for
    SDMX-CSV) or as the `file` part of a `multipart/form-data` form (its content type, or
    a `format` field, says which). CSV has a header naming columns among `data_element`,
    `district_code`, `period`, `value`, `sex`, `age_band`, `disability`, `source`,
    `quality`. SDMX-CSV uses the `USM:CITY_DATA(1.0)` dataflow: DATA_ELEMENT, REF_AREA
    (`_T` for the whole city), SEX (F/M/O/_T), AGE, DISABILITY (PD/NPD/_T), TIME_PERIOD,
    OBS_VALUE, OBS_STATUS (A/P/E), SOURCE. Every line is checked as a JSON bulk row is;
    problems come back in one `422` with `loc` `["body", "line", N, column]` (the header
    is line 1). Up to 200,000 lines; large loads go through PostgreSQL COPY.
    """
    require_city(principal, city)
    upload = await service.read_upload(request)

    async def write() -> DataValuesIngested:
        return await service.ingest_upload(
            session=session, outbox=runtime.outbox, city=city, upload=upload
        )

    return await idempotency.run(session, DataValuesIngested, write)


@router.get("", response_model=Page[DataValueRead])
async def list_values(
    city: CityPath,
    session: SessionDep,
    page: PageParamsDep,
    principal: Annotated[Principal, Depends(require_scope("indicators:read"))],
    data_element: Annotated[str | None, Query(max_length=50)] = None,
    district: Annotated[
        str | None,
        Query(pattern=DISTRICT_CODE_PATTERN, description="A district code."),
    ] = None,
    whole_city: Annotated[
        bool, Query(description="Only values kept for the whole city, not a district.")
    ] = False,
    period: Annotated[str | None, Query(max_length=20, description=PERIOD_DESCRIPTION)] = None,
) -> Page[DataValueRead]:
    """The raw data values of a city, ordered by data element, district, period and
    disaggregation. Needs `indicators:read` in the city: raw values are not suppressed."""
    require_city(principal, city)
    rows = await DataValueRepository(session).list(
        city,
        page,
        data_element=data_element,
        district_code=WHOLE_CITY if whole_city else district,
        period=period,
    )
    items, next_cursor = split_page(
        list(rows), page, lambda row: [getattr(row, column.key) for column in SORT_KEY]
    )
    return Page[DataValueRead](
        items=[service.to_read(row) for row in items], next_cursor=next_cursor
    )
