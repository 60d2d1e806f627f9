"""SDMX data messages: SDMX-ML 2.1 generic data, SDMX-JSON 1.0 and SDMX-CSV 1.0, from
observations."""

from __future__ import annotations

import csv
import io
import itertools
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from xml.etree import ElementTree

from usmkit.periods import parse_period

AGENCY, FLOW_ID, VERSION = "USM", "CITY_INDICATORS", "1.0"
# Series dimensions in key order; TIME_PERIOD is the dimension at the observation.
DIMENSIONS = ("CITY", "REF_AREA", "INDICATOR", "FREQ")
TOTAL_AREA = "_T"  # REF_AREA of the whole city

MESSAGE_NS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
GENERIC_NS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic"
COMMON_NS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
GENERIC_DATA = "application/vnd.sdmx.genericdata+xml;version=2.1"
SDMX_CSV = "application/vnd.sdmx.data+csv;version=1.0.0"
SDMX_JSON = "application/vnd.sdmx.data+json;version=1.0.0"
FLOW_NAME = "USM city indicators"
CONCEPTS = {
    "CITY": "City",
    "REF_AREA": "District (or _T for the whole city)",
    "INDICATOR": "Indicator (SDG series code where one exists)",
    "FREQ": "Frequency",
    "TIME_PERIOD": "Time period",
    "OBS_VALUE": "Observation value",
    "UNIT_MEASURE": "Unit of measure",
    "OBS_CONF": "Observation confidentiality",
}
FREQUENCY_NAMES = {"A": "Annual", "Q": "Quarterly", "M": "Monthly", "W": "Weekly", "D": "Daily"}
CONFIDENTIAL = ("C", "Confidential (small cell)")


@dataclass(frozen=True)
class Observation:
    key: tuple[str, str, str, str]  # DIMENSIONS' values
    indicator_name: str  # what the INDICATOR code names, in English
    unit: str
    period: str
    value: float | None  # None when withheld (confidential)


def _message_id() -> str:
    return f"IREF{uuid.uuid4().hex[:16]}"


def _prepared() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _ordered(observations: list[Observation]) -> list[Observation]:
    """Series by key, then observations by period: the order every message uses."""
    return sorted(observations, key=lambda each: (each.key, each.period))


def _m(tag: str) -> str:
    return f"{{{MESSAGE_NS}}}{tag}"


def _g(tag: str) -> str:
    return f"{{{GENERIC_NS}}}{tag}"


def _values(parent: ElementTree.Element, tag: str, pairs: dict[str, str]) -> None:
    holder = ElementTree.SubElement(parent, _g(tag))
    for name, value in pairs.items():
        ElementTree.SubElement(holder, _g("Value"), id=name, value=value)


def generic_data(observations: list[Observation]) -> bytes:
    """An SDMX-ML 2.1 GenericData message, one Series per key, observations by period.

    A withheld value is `NaN` with the attribute OBS_CONF = `C` (confidential)."""
    ElementTree.register_namespace("message", MESSAGE_NS)
    ElementTree.register_namespace("generic", GENERIC_NS)
    ElementTree.register_namespace("common", COMMON_NS)
    structure_id = f"{AGENCY}_{FLOW_ID}_{VERSION.replace('.', '_')}"
    root = ElementTree.Element(_m("GenericData"))
    header = ElementTree.SubElement(root, _m("Header"))
    ElementTree.SubElement(header, _m("ID")).text = _message_id()
    ElementTree.SubElement(header, _m("Test")).text = "false"
    ElementTree.SubElement(header, _m("Prepared")).text = _prepared().strftime("%Y-%m-%dT%H:%M:%S")
    ElementTree.SubElement(header, _m("Sender"), id=AGENCY)
    structure = ElementTree.SubElement(
        header, _m("Structure"), structureID=structure_id, dimensionAtObservation="TIME_PERIOD"
    )
    reference = ElementTree.SubElement(structure, f"{{{COMMON_NS}}}Structure")
    # SDMX-ML 2.1 puts Ref in no namespace.
    ElementTree.SubElement(reference, "Ref", agencyID=AGENCY, id=FLOW_ID, version=VERSION)
    dataset = ElementTree.SubElement(root, _m("DataSet"), structureRef=structure_id)
    for key, group in itertools.groupby(_ordered(observations), key=lambda each: each.key):
        members = list(group)
        series = ElementTree.SubElement(dataset, _g("Series"))
        _values(series, "SeriesKey", dict(zip(DIMENSIONS, key, strict=True)))
        _values(series, "Attributes", {"UNIT_MEASURE": members[0].unit})
        for observation in members:
            obs = ElementTree.SubElement(series, _g("Obs"))
            ElementTree.SubElement(obs, _g("ObsDimension"), value=observation.period)
            shown = "NaN" if observation.value is None else repr(observation.value)
            ElementTree.SubElement(obs, _g("ObsValue"), value=shown)
            if observation.value is None:
                _values(obs, "Attributes", {"OBS_CONF": "C"})
    message: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return message


def sdmx_csv(observations: list[Observation]) -> bytes:
    """SDMX-CSV 1.0: DATAFLOW, the dimensions, TIME_PERIOD, OBS_VALUE, then attributes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["DATAFLOW", *DIMENSIONS, "TIME_PERIOD", "OBS_VALUE", "UNIT_MEASURE", "OBS_CONF"]
    )
    flow = f"{AGENCY}:{FLOW_ID}({VERSION})"
    for each in _ordered(observations):
        writer.writerow(
            [
                flow,
                *each.key,
                each.period,
                "" if each.value is None else repr(each.value),
                each.unit,
                "C" if each.value is None else "",
            ]
        )
    return out.getvalue().encode()


def _period_value(period_text: str) -> dict[str, str]:
    """A TIME_PERIOD value with the first and last instants it spans, in UTC."""
    period = parse_period(period_text)
    start = datetime.combine(period.start, time.min, UTC)
    end = datetime.combine(period.end, time.max.replace(microsecond=0), UTC)
    return {
        "id": period_text,
        "name": period_text,
        "start": start.isoformat().replace("+00:00", "Z"),
        "end": end.isoformat().replace("+00:00", "Z"),
    }


def sdmx_json(observations: list[Observation], *, structure_url: str) -> bytes:
    """An SDMX-JSON 1.0 data message (as SDMX 2.1 web services serve it: `header`,
    `structure`, `dataSets`), one series per key, observations by period.

    Components list the values used in the message; a series key such as `"0:1:0:2"` holds
    the index of its value for each series dimension (CITY, REF_AREA, INDICATOR, FREQ in
    key order), an observation key the index of its TIME_PERIOD. An observation is
    `[value, OBS_CONF index]`; a withheld value is `[null, 0]` (OBS_CONF `C`), others have
    OBS_CONF null. UNIT_MEASURE is a series attribute: free text, so its values have a name
    and no id."""
    ordered = _ordered(observations)
    # Per series dimension, its values in order of first use, each with its name.
    series_values: list[dict[str, dict[str, str]]] = [{} for _ in DIMENSIONS]
    for each in ordered:
        city, area, _, frequency = each.key
        area_name = "Whole city" if area == TOTAL_AREA else area
        names = (city, area_name, each.indicator_name, FREQUENCY_NAMES[frequency])
        for position, (value, name) in enumerate(zip(each.key, names, strict=True)):
            series_values[position].setdefault(value, {"id": value, "name": name})
    periods = sorted({each.period for each in ordered}, key=lambda text: parse_period(text))
    units = sorted({each.unit for each in ordered})
    index_of = [{value: index for index, value in enumerate(values)} for values in series_values]
    period_index = {period: index for index, period in enumerate(periods)}
    unit_index = {unit: index for index, unit in enumerate(units)}
    series: dict[str, dict[str, Any]] = {}
    for key, group in itertools.groupby(ordered, key=lambda each: each.key):
        members = list(group)
        series[":".join(str(index_of[position][value]) for position, value in enumerate(key))] = {
            "attributes": [unit_index[members[0].unit]],
            "observations": {
                str(period_index[each.period]): [each.value, 0]
                if each.value is None
                else [each.value, None]
                for each in members
            },
        }
    message = {
        "header": {
            "id": _message_id(),
            "test": False,
            "prepared": _prepared().isoformat().replace("+00:00", "Z"),
            "sender": {"id": AGENCY, "name": "Urban Safety & Human Security Monitor"},
        },
        "structure": {
            "links": [{"href": structure_url, "rel": "datastructure"}],
            "name": FLOW_NAME,
            "dimensions": {
                "dataSet": [],
                "series": [
                    {
                        "id": dimension,
                        "name": CONCEPTS[dimension],
                        "keyPosition": position,
                        "role": dimension if dimension in ("REF_AREA", "FREQ") else None,
                        "values": list(series_values[position].values()),
                    }
                    for position, dimension in enumerate(DIMENSIONS)
                ],
                "observation": [
                    {
                        "id": "TIME_PERIOD",
                        "name": CONCEPTS["TIME_PERIOD"],
                        "keyPosition": len(DIMENSIONS),
                        "role": "time",
                        "values": [_period_value(period) for period in periods],
                    }
                ],
            },
            "attributes": {
                "dataSet": [],
                "series": [
                    {
                        "id": "UNIT_MEASURE",
                        "name": CONCEPTS["UNIT_MEASURE"],
                        "role": "UNIT_MEASURE",
                        "values": [{"name": unit} for unit in units],
                    }
                ],
                "observation": [
                    {
                        "id": "OBS_CONF",
                        "name": CONCEPTS["OBS_CONF"],
                        "values": [{"id": CONFIDENTIAL[0], "name": CONFIDENTIAL[1]}],
                    }
                ],
            },
        },
        "dataSets": [{"action": "Information", "series": series}],
    }
    return json.dumps(message, ensure_ascii=False, allow_nan=False).encode()
