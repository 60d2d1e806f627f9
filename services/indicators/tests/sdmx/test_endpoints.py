import csv
import io
from typing import Any
from xml.etree import ElementTree

import pytest

from usmdev.pytest_plugin import ServiceHarness, principal

ANALYST = principal(["city_analyst"], ["durban"])
DATA = "/api/v1/indicators/sdmx/data/USM,CITY_INDICATORS,1.0"
MESSAGE = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message}"
GENERIC = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic}"
COMMON = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common}"


def value(element: str, district: str, period: str, amount: float) -> dict[str, Any]:
    return {"data_element": element, "district_code": district, "period": period, "value": amount}


# 2025-01 homicides: Central 10 (100,000 people), North 2 (200,000 people: a small cell).
ROWS = [
    value("HOMICIDES", "DBN-CENTRAL", "2025-01", 10),
    value("HOMICIDES", "DBN-NORTH", "2025-01", 2),
    value("POPULATION", "DBN-CENTRAL", "2025", 100_000),
    value("POPULATION", "DBN-NORTH", "2025", 200_000),
]


@pytest.fixture
async def durban_data(districts: ServiceHarness) -> ServiceHarness:
    async with districts.client(ANALYST) as client:
        response = await client.post("/api/v1/indicators/cities/durban/values", json={"rows": ROWS})
        assert response.status_code == 200, response.text
    return districts


def _series(body: bytes) -> dict[tuple[str, ...], list[tuple[str, str, str | None]]]:
    """Series key → (period, value, OBS_CONF) of an SDMX-ML 2.1 generic data message."""
    root = ElementTree.fromstring(body)  # noqa: S314 (our own output, under test)
    assert root.tag == f"{MESSAGE}GenericData"
    header = root.find(f"{MESSAGE}Header")
    assert header is not None
    reference = header.find(f"{MESSAGE}Structure/{COMMON}Structure/Ref")
    assert reference is not None
    assert (reference.get("agencyID"), reference.get("id"), reference.get("version")) == (
        "USM",
        "CITY_INDICATORS",
        "1.0",
    )
    found = {}
    for series in root.iter(f"{GENERIC}Series"):
        key = tuple(
            each.get("value", "") for each in series.iterfind(f"{GENERIC}SeriesKey/{GENERIC}Value")
        )
        found[key] = [
            (
                obs.find(f"{GENERIC}ObsDimension").get("value", ""),  # type: ignore[union-attr]
                obs.find(f"{GENERIC}ObsValue").get("value", ""),  # type: ignore[union-attr]
                next(
                    (
                        each.get("value")
                        for each in obs.iterfind(f"{GENERIC}Attributes/{GENERIC}Value")
                        if each.get("id") == "OBS_CONF"
                    ),
                    None,
                ),
            )
            for obs in series.iterfind(f"{GENERIC}Obs")
        ]
    return found


async def test_generic_data_parses_as_sdmx_and_withholds_small_cells_from_the_public(
    durban_data: ServiceHarness,
) -> None:
    async with durban_data.client() as client:
        response = await client.get(f"{DATA}/durban..VC_IHR_PSRC.M")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.sdmx.genericdata+xml")
    # Rates per 100,000: city 12 / 300,000 → 4; Central 10; North's 2 homicides withheld.
    assert _series(response.content) == {
        ("durban", "DBN-CENTRAL", "VC_IHR_PSRC", "M"): [("2025-01", "10.0", None)],
        ("durban", "DBN-NORTH", "VC_IHR_PSRC", "M"): [("2025-01", "NaN", "C")],
        ("durban", "_T", "VC_IHR_PSRC", "M"): [("2025-01", "4.0", None)],
    }
    async with durban_data.client(ANALYST) as client:
        raw = await client.get(f"{DATA}/durban.DBN-NORTH.SDG_16_1_1.M")
    assert _series(raw.content) == {
        ("durban", "DBN-NORTH", "VC_IHR_PSRC", "M"): [("2025-01", "1.0", None)]
    }


async def test_sdmx_csv_by_accept_with_periods_and_all(durban_data: ServiceHarness) -> None:
    async with durban_data.client() as client:
        response = await client.get(
            f"{DATA}/all",
            params={"startPeriod": "2025-01", "endPeriod": "2025-03"},
            headers={"Accept": "application/vnd.sdmx.data+csv;version=1.0.0"},
        )
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == [
        "DATAFLOW",
        "CITY",
        "REF_AREA",
        "INDICATOR",
        "FREQ",
        "TIME_PERIOD",
        "OBS_VALUE",
        "UNIT_MEASURE",
        "OBS_CONF",
    ]
    assert {row["DATAFLOW"] for row in rows} == {"USM:CITY_INDICATORS(1.0)"}
    # The window holds 2025-01 and 2025-Q1 (2025 ends after endPeriod).
    assert {row["TIME_PERIOD"] for row in rows} == {"2025-01", "2025-Q1"}
    north = [
        row for row in rows if row["REF_AREA"] == "DBN-NORTH" and row["INDICATOR"] == "VC_IHR_PSRC"
    ]
    assert [(row["OBS_VALUE"], row["OBS_CONF"]) for row in north] == [("", "C"), ("", "C")]


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/v1/indicators/sdmx/data/OTHER,FLOW,1.0/all", {}, 404),
        (f"{DATA}/durban.too.many.parts.here", {}, 422),
        (f"{DATA}/all?startPeriod=2025-13", {}, 422),
        (f"{DATA}/all", {"Accept": "application/json"}, 406),
    ],
)
async def test_bad_sdmx_requests_are_problems(
    indicators: ServiceHarness, path: str, headers: dict[str, str], status: int
) -> None:
    async with indicators.client() as client:
        response = await client.get(path, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


STRUCTURE = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure}"


async def test_the_structure_messages_describe_the_data_key(indicators: ServiceHarness) -> None:
    async with indicators.client() as client:
        flow = await client.get("/api/v1/indicators/sdmx/dataflow")
        dsd = await client.get("/api/v1/indicators/sdmx/datastructure")
    assert flow.headers["content-type"].startswith("application/vnd.sdmx.structure+xml")
    root = ElementTree.fromstring(flow.content)  # noqa: S314 (our own output, under test)
    assert root.tag == f"{MESSAGE}Structure"
    dataflow = root.find(f"{MESSAGE}Structures/{STRUCTURE}Dataflows/{STRUCTURE}Dataflow")
    assert dataflow is not None
    assert (dataflow.get("agencyID"), dataflow.get("id"), dataflow.get("version")) == (
        "USM",
        "CITY_INDICATORS",
        "1.0",
    )
    reference = dataflow.find(f"{STRUCTURE}Structure/Ref")
    assert reference is not None and reference.get("class") == "DataStructure"

    root = ElementTree.fromstring(dsd.content)  # noqa: S314 (our own output, under test)
    structure = root.find(f"{MESSAGE}Structures/{STRUCTURE}DataStructures/{STRUCTURE}DataStructure")
    assert structure is not None
    dimensions = structure.findall(
        f"{STRUCTURE}DataStructureComponents/{STRUCTURE}DimensionList/{STRUCTURE}Dimension"
    )
    # The order of the parts of a data key.
    assert [(each.get("id"), each.get("position")) for each in dimensions] == [
        ("CITY", "1"),
        ("REF_AREA", "2"),
        ("INDICATOR", "3"),
        ("FREQ", "4"),
    ]
    codes = {code.get("id") for code in root.iter(f"{STRUCTURE}Code")}
    assert {"A", "Q", "M", "C"} <= codes
    concepts = {concept.get("id") for concept in root.iter(f"{STRUCTURE}Concept")}
    # Every component's concept is defined in the message.
    for identity in structure.iter(f"{STRUCTURE}ConceptIdentity"):
        reference = identity.find("Ref")
        assert reference is not None and reference.get("id") in concepts
