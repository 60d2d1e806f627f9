import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response

from usm_indicators.sdmx import service
from usm_indicators.sdmx.messages import (
    GENERIC_DATA,
    SDMX_CSV,
    SDMX_JSON,
    Observation,
    generic_data,
    sdmx_csv,
    sdmx_json,
)
from usm_indicators.sdmx.structure import STRUCTURE, structure_message
from usmkit.auth import PublicDep
from usmkit.problems import PROBLEM_RESPONSES, ProblemError, problem_responses
from usmkit.runtime import SessionDep

router = APIRouter(prefix="/api/v1/indicators/sdmx", tags=["sdmx"], responses=PROBLEM_RESPONSES)


class NotAcceptable(ProblemError):
    status = 406
    title = "Not acceptable"
    slug = "not-acceptable"


# What each media type a caller may accept is answered with, by the type's essence (its
# parameters, such as `version`, are not compared: each format has one version here).
_FORMATS = {
    "application/vnd.sdmx.genericdata+xml": GENERIC_DATA,
    "application/xml": GENERIC_DATA,
    "text/xml": GENERIC_DATA,
    "*/*": GENERIC_DATA,
    "application/*": GENERIC_DATA,
    "application/vnd.sdmx.data+json": SDMX_JSON,
    "application/json": SDMX_JSON,
    "application/vnd.sdmx.data+csv": SDMX_CSV,
    "text/csv": SDMX_CSV,
}
STRUCTURE_PATH = "/api/v1/indicators/sdmx/datastructure"


def _json_example() -> dict[str, Any]:
    """An SDMX-JSON answer for the OpenAPI document: Durban's homicide rate for January
    2025 in the whole city and, withheld, in one district (the header made fixed)."""
    observations = [
        Observation(
            key=("durban", area, "VC_IHR_PSRC", "M"),
            indicator_name="Victims of intentional homicide per 100,000 population",
            unit="per 100000 population",
            period="2025-01",
            value=value,
        )
        for area, value in (("_T", 4.0), ("DBN-NORTH", None))
    ]
    example: dict[str, Any] = json.loads(sdmx_json(observations, structure_url=STRUCTURE_PATH))
    example["header"].update(id="IREF0123456789abcdef", prepared="2026-11-25T10:00:00Z")
    return example


def _chosen_format(accept: str | None) -> str:
    """The first format the caller accepts, in the order it lists them; SDMX-ML generic
    data when it says nothing."""
    if not accept:
        return GENERIC_DATA
    for offered in (part.split(";")[0].strip().lower() for part in accept.split(",")):
        if offered in _FORMATS:
            return _FORMATS[offered]
    raise NotAcceptable(f"This path serves {GENERIC_DATA}, {SDMX_JSON} and {SDMX_CSV}.")


def _message(media_type: str, observations: list[Observation]) -> bytes:
    if media_type == SDMX_CSV:
        return sdmx_csv(observations)
    if media_type == SDMX_JSON:
        return sdmx_json(observations, structure_url=STRUCTURE_PATH)
    return generic_data(observations)


@router.get(
    "/data/{flow_ref}/{key}",
    response_class=Response,
    responses={
        200: {
            "description": "An SDMX data message.",
            "content": {
                GENERIC_DATA: {"schema": {"type": "string"}},
                SDMX_JSON: {"schema": {"type": "object"}, "example": _json_example()},
                SDMX_CSV: {
                    "schema": {"type": "string"},
                    "example": (
                        "DATAFLOW,CITY,REF_AREA,INDICATOR,FREQ,TIME_PERIOD,OBS_VALUE,"
                        "UNIT_MEASURE,OBS_CONF\n"
                        "USM:CITY_INDICATORS(1.0),durban,_T,VC_IHR_PSRC,A,2025,4.0,"
                        "per 100000 population,\n"
                    ),
                },
            },
        },
        **problem_responses((404, "Unknown dataflow"), (406, "Format not offered")),
    },
)
async def get_sdmx_data(
    flow_ref: Annotated[
        str,
        Path(max_length=100, description="The dataflow, `USM,CITY_INDICATORS,1.0`."),
    ],
    key: Annotated[
        str,
        Path(
            max_length=1000,
            description=(
                "`CITY.REF_AREA.INDICATOR.FREQ`, each part empty (any) or values joined by "
                "`+`; e.g. `durban._T.VC_IHR_PSRC.A` or `durban..SDG_16_1_1.`; or `all`. "
                "REF_AREA is a district code or `_T` (the whole city); INDICATOR the SDG "
                "series code where one exists, else the USM code."
            ),
        ),
    ],
    session: SessionDep,
    principal: PublicDep,
    start_period: Annotated[
        str | None, Query(alias="startPeriod", max_length=20, description="ISO period.")
    ] = None,
    end_period: Annotated[
        str | None, Query(alias="endPeriod", max_length=20, description="ISO period.")
    ] = None,
    accept: Annotated[str | None, Header(max_length=500)] = None,
) -> Response:
    """Computed indicator values as SDMX, on the SDMX REST data path. Public.

    `Accept: application/vnd.sdmx.genericdata+xml;version=2.1` (the default) gives an
    SDMX-ML 2.1 generic data message, `application/vnd.sdmx.data+json;version=1.0.0` (or
    `application/json`) SDMX-JSON 1.0, `application/vnd.sdmx.data+csv;version=1.0.0`
    SDMX-CSV 1.0; the first one the caller lists wins. Observations are the periods with
    data (months, quarters, years, ...) within `startPeriod`..`endPeriod`. For callers
    without `indicators:read` in a city, small cells of count-based and sensitive
    indicators are withheld: `NaN` in SDMX-ML, null in SDMX-JSON, empty in SDMX-CSV, each
    with `OBS_CONF` = `C`.
    """
    media_type = _chosen_format(accept)
    query = service.parse_query(flow_ref, key, start_period, end_period)
    found = await service.observations(session=session, query=query, principal=principal)
    return Response(content=_message(media_type, found), media_type=media_type)


STRUCTURE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An SDMX-ML 2.1 structure message.",
        "content": {STRUCTURE: {"schema": {"type": "string"}}},
    }
}


@router.get("/dataflow", response_class=Response, responses=STRUCTURE_RESPONSES)
async def get_sdmx_dataflow(principal: PublicDep) -> Response:
    """The `USM,CITY_INDICATORS,1.0` dataflow, as an SDMX-ML 2.1 structure message. Public."""
    return Response(
        content=structure_message(dataflow=True, data_structure=False), media_type=STRUCTURE
    )


@router.get("/datastructure", response_class=Response, responses=STRUCTURE_RESPONSES)
async def get_sdmx_datastructure(principal: PublicDep) -> Response:
    """The CITY_INDICATORS data structure (dimensions CITY, REF_AREA, INDICATOR, FREQ, then
    TIME_PERIOD; attributes UNIT_MEASURE and OBS_CONF; measure OBS_VALUE) with its
    codelists and concepts, as an SDMX-ML 2.1 structure message. Public."""
    return Response(
        content=structure_message(dataflow=True, data_structure=True), media_type=STRUCTURE
    )
