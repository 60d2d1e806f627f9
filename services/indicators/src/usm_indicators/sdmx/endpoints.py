from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response

from usm_indicators.sdmx import service
from usm_indicators.sdmx.messages import GENERIC_DATA, SDMX_CSV, generic_data, sdmx_csv
from usm_indicators.sdmx.structure import STRUCTURE, structure_message
from usmkit.auth import PublicDep
from usmkit.problems import PROBLEM_RESPONSES, ProblemError, problem_responses
from usmkit.runtime import SessionDep

router = APIRouter(prefix="/api/v1/indicators/sdmx", tags=["sdmx"], responses=PROBLEM_RESPONSES)


class NotAcceptable(ProblemError):
    status = 406
    title = "Not acceptable"
    slug = "not-acceptable"


def _chosen_format(accept: str | None) -> str:
    """SDMX-ML generic data unless the caller asks for SDMX-CSV (or plain CSV)."""
    if not accept:
        return GENERIC_DATA
    for offered in (part.split(";")[0].strip().lower() for part in accept.split(",")):
        if offered in ("application/vnd.sdmx.data+csv", "text/csv"):
            return SDMX_CSV
        if offered in (
            "application/vnd.sdmx.genericdata+xml",
            "application/xml",
            "text/xml",
            "*/*",
            "application/*",
        ):
            return GENERIC_DATA
    raise NotAcceptable(f"This path serves {GENERIC_DATA} and {SDMX_CSV}.")


@router.get(
    "/data/{flow_ref}/{key}",
    response_class=Response,
    responses={
        200: {
            "description": "An SDMX data message.",
            "content": {
                GENERIC_DATA: {"schema": {"type": "string"}},
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
    SDMX-ML 2.1 generic data message, `application/vnd.sdmx.data+csv;version=1.0.0` gives
    SDMX-CSV 1.0. Observations are the periods with data (months, quarters, years, ...)
    within `startPeriod`..`endPeriod`. For callers without `indicators:read` in a city,
    small cells of count-based and sensitive indicators are withheld: `NaN` with
    `OBS_CONF` = `C`.
    """
    media_type = _chosen_format(accept)
    query = service.parse_query(flow_ref, key, start_period, end_period)
    found = await service.observations(session=session, query=query, principal=principal)
    body = sdmx_csv(found) if media_type == SDMX_CSV else generic_data(found)
    return Response(content=body, media_type=media_type)


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
