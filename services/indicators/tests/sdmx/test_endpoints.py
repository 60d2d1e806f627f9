import csv
import io
import re
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


SDMX_JSON = "application/vnd.sdmx.data+json;version=1.0.0"
JSON_KEY = re.compile(r"[0-9]+(:[0-9]+)*")


def _json_series(message: dict[str, Any]) -> dict[tuple[str, ...], list[tuple[str, Any, Any]]]:
    """Series key → (period, value, OBS_CONF) of an SDMX-JSON 1.0 data message, decoded as
    an SDMX tool does: key indices into the components' values."""
    assert {"id", "prepared", "sender"} <= message["header"].keys()
    structure = message["structure"]
    series_dimensions = structure["dimensions"]["series"]
    (time_dimension,) = structure["dimensions"]["observation"]
    # keyPosition is the order of the parts of a data key, TIME_PERIOD last.
    assert [(each["id"], each["keyPosition"]) for each in series_dimensions] == [
        ("CITY", 0),
        ("REF_AREA", 1),
        ("INDICATOR", 2),
        ("FREQ", 3),
    ]
    assert (time_dimension["id"], time_dimension["keyPosition"]) == ("TIME_PERIOD", 4)
    (unit,) = structure["attributes"]["series"]
    (confidentiality,) = structure["attributes"]["observation"]
    assert (unit["id"], confidentiality["id"]) == ("UNIT_MEASURE", "OBS_CONF")
    (dataset,) = message["dataSets"]
    found = {}
    for series_key, series in dataset["series"].items():
        assert JSON_KEY.fullmatch(series_key)
        indices = [int(part) for part in series_key.split(":")]
        key = tuple(
            dimension["values"][index]["id"]
            for dimension, index in zip(series_dimensions, indices, strict=True)
        )
        assert [unit["values"][index]["name"] for index in series["attributes"]] == [
            "per 100000 population"
        ]
        observations = []
        for observation_key, (value, conf_index) in series["observations"].items():
            assert JSON_KEY.fullmatch(observation_key)
            period = time_dimension["values"][int(observation_key)]
            conf = None if conf_index is None else confidentiality["values"][conf_index]["id"]
            observations.append((period["id"], value, conf))
        found[key] = observations
    return found


async def test_sdmx_json_by_accept_decodes_to_the_values_and_withholds_small_cells(
    durban_data: ServiceHarness,
) -> None:
    async with durban_data.client() as client:
        response = await client.get(f"{DATA}/durban..VC_IHR_PSRC.M", headers={"Accept": SDMX_JSON})
        window = await client.get(
            f"{DATA}/all",
            params={"startPeriod": "2025-01", "endPeriod": "2025-03"},
            headers={"Accept": "application/json"},
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.sdmx.data+json")
    message = response.json()
    # Rates per 100,000: city 12 / 300,000 → 4; Central 10; North's 2 homicides withheld.
    assert _json_series(message) == {
        ("durban", "DBN-CENTRAL", "VC_IHR_PSRC", "M"): [("2025-01", 10.0, None)],
        ("durban", "DBN-NORTH", "VC_IHR_PSRC", "M"): [("2025-01", None, "C")],
        ("durban", "_T", "VC_IHR_PSRC", "M"): [("2025-01", 4.0, None)],
    }
    (time_dimension,) = message["structure"]["dimensions"]["observation"]
    assert time_dimension["values"] == [
        {
            "id": "2025-01",
            "name": "2025-01",
            "start": "2025-01-01T00:00:00Z",
            "end": "2025-01-31T23:59:59Z",
        }
    ]
    indicator = message["structure"]["dimensions"]["series"][2]["values"]
    assert [value["id"] for value in indicator] == ["VC_IHR_PSRC"]
    assert indicator[0]["name"]  # the indicator's name, for people reading it

    # The window holds 2025-01 and 2025-Q1 (2025 ends after endPeriod).
    windowed = _json_series(window.json())
    assert {period for series in windowed.values() for period, _, _ in series} == {
        "2025-01",
        "2025-Q1",
    }
    assert windowed[("durban", "DBN-NORTH", "VC_IHR_PSRC", "Q")] == [("2025-Q1", None, "C")]

    async with durban_data.client(ANALYST) as client:
        raw = await client.get(
            f"{DATA}/durban.DBN-NORTH.SDG_16_1_1.M", headers={"Accept": SDMX_JSON}
        )
    assert _json_series(raw.json()) == {
        ("durban", "DBN-NORTH", "VC_IHR_PSRC", "M"): [("2025-01", 1.0, None)]
    }


async def test_sdmx_json_of_a_key_without_data_is_an_empty_data_set(
    durban_data: ServiceHarness,
) -> None:
    async with durban_data.client() as client:
        response = await client.get(f"{DATA}/cape-town...", headers={"Accept": SDMX_JSON})
    assert response.status_code == 200, response.text
    assert response.json()["dataSets"] == [{"action": "Information", "series": {}}]


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/v1/indicators/sdmx/data/OTHER,FLOW,1.0/all", {}, 404),
        (f"{DATA}/durban.too.many.parts.here", {}, 422),
        (f"{DATA}/all?startPeriod=2025-13", {}, 422),
        (f"{DATA}/all", {"Accept": "image/png, text/html"}, 406),
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
