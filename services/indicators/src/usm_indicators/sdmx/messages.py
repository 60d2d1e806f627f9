"""SDMX data messages: SDMX-ML 2.1 generic data and SDMX-CSV 1.0, from observations."""

from __future__ import annotations

import csv
import io
import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree

AGENCY, FLOW_ID, VERSION = "USM", "CITY_INDICATORS", "1.0"
# Series dimensions in key order; TIME_PERIOD is the dimension at the observation.
DIMENSIONS = ("CITY", "REF_AREA", "INDICATOR", "FREQ")
TOTAL_AREA = "_T"  # REF_AREA of the whole city

MESSAGE_NS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
GENERIC_NS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic"
COMMON_NS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
GENERIC_DATA = "application/vnd.sdmx.genericdata+xml;version=2.1"
SDMX_CSV = "application/vnd.sdmx.data+csv;version=1.0.0"


@dataclass(frozen=True)
class Observation:
    key: tuple[str, str, str, str]  # DIMENSIONS' values
    unit: str
    period: str
    value: float | None  # None when withheld (confidential)


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
    ElementTree.SubElement(header, _m("ID")).text = f"IREF{uuid.uuid4().hex[:16]}"
    ElementTree.SubElement(header, _m("Test")).text = "false"
    ElementTree.SubElement(header, _m("Prepared")).text = datetime.now(UTC).strftime(
        "%Y-%m-%dT%H:%M:%S"
    )
    ElementTree.SubElement(header, _m("Sender"), id=AGENCY)
    structure = ElementTree.SubElement(
        header, _m("Structure"), structureID=structure_id, dimensionAtObservation="TIME_PERIOD"
    )
    reference = ElementTree.SubElement(structure, f"{{{COMMON_NS}}}Structure")
    # SDMX-ML 2.1 puts Ref in no namespace.
    ElementTree.SubElement(reference, "Ref", agencyID=AGENCY, id=FLOW_ID, version=VERSION)
    dataset = ElementTree.SubElement(root, _m("DataSet"), structureRef=structure_id)
    ordered = sorted(observations, key=lambda each: (each.key, each.period))
    for key, group in itertools.groupby(ordered, key=lambda each: each.key):
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
    for each in sorted(observations, key=lambda each: (each.key, each.period)):
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
