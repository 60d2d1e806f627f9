"""SDMX-ML 2.1 structure messages: the CITY_INDICATORS dataflow and its data structure.

CITY, REF_AREA and INDICATOR are uncoded (strings: city slugs, district codes and series
codes change per deployment); FREQ and OBS_CONF are coded.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from xml.etree import ElementTree

from usm_indicators.sdmx.messages import (
    AGENCY,
    CONCEPTS,
    CONFIDENTIAL,
    DIMENSIONS,
    FLOW_ID,
    FLOW_NAME,
    FREQUENCY_NAMES,
    MESSAGE_NS,
    VERSION,
)

STRUCTURE_NS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure"
COMMON_NS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STRUCTURE = "application/vnd.sdmx.structure+xml;version=2.1"
CONCEPT_SCHEME = "CS_CITY_INDICATORS"

CODELISTS = {
    "CL_FREQ": ("Frequency", FREQUENCY_NAMES),
    "CL_OBS_CONF": ("Observation confidentiality", dict([CONFIDENTIAL])),
}
_CODED = {"FREQ": "CL_FREQ", "OBS_CONF": "CL_OBS_CONF"}


def _s(tag: str) -> str:
    return f"{{{STRUCTURE_NS}}}{tag}"


def _name(parent: ElementTree.Element, text: str) -> None:
    ElementTree.SubElement(parent, f"{{{COMMON_NS}}}Name", {XML_LANG: "en"}).text = text


def _ref(parent: ElementTree.Element, **attributes: str) -> None:
    # SDMX-ML 2.1 puts Ref in no namespace.
    ElementTree.SubElement(parent, "Ref", {"agencyID": AGENCY, **attributes})


def _maintainable(
    parent: ElementTree.Element, tag: str, item_id: str, name: str
) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, _s(tag), id=item_id, agencyID=AGENCY, version=VERSION)
    _name(element, name)
    return element


def _component(
    parent: ElementTree.Element, tag: str, concept: str, **attributes: str
) -> ElementTree.Element:
    component = ElementTree.SubElement(parent, _s(tag), {"id": concept, **attributes})
    identity = ElementTree.SubElement(component, _s("ConceptIdentity"))
    _ref(
        identity,
        id=concept,
        maintainableParentID=CONCEPT_SCHEME,
        maintainableParentVersion=VERSION,
        package="conceptscheme",
        **{"class": "Concept"},
    )
    representation = ElementTree.SubElement(component, _s("LocalRepresentation"))
    if concept in _CODED:
        enumeration = ElementTree.SubElement(representation, _s("Enumeration"))
        _ref(
            enumeration,
            id=_CODED[concept],
            version=VERSION,
            package="codelist",
            **{"class": "Codelist"},
        )
    elif concept == "TIME_PERIOD":
        ElementTree.SubElement(representation, _s("TextFormat"), textType="ObservationalTimePeriod")
    elif concept == "OBS_VALUE":
        ElementTree.SubElement(representation, _s("TextFormat"), textType="Double")
    else:
        ElementTree.SubElement(representation, _s("TextFormat"), textType="String")
    return component


def _data_structure(structures: ElementTree.Element) -> None:
    codelists = ElementTree.SubElement(structures, _s("Codelists"))
    for codelist_id, (name, codes) in CODELISTS.items():
        codelist = _maintainable(codelists, "Codelist", codelist_id, name)
        for code, label in codes.items():
            _name(ElementTree.SubElement(codelist, _s("Code"), id=code), label)
    concepts = ElementTree.SubElement(structures, _s("Concepts"))
    scheme = _maintainable(concepts, "ConceptScheme", CONCEPT_SCHEME, "USM city indicator concepts")
    for concept, label in CONCEPTS.items():
        _name(ElementTree.SubElement(scheme, _s("Concept"), id=concept), label)
    holder = ElementTree.SubElement(structures, _s("DataStructures"))
    structure = _maintainable(holder, "DataStructure", FLOW_ID, FLOW_NAME)
    components = ElementTree.SubElement(structure, _s("DataStructureComponents"))
    dimensions = ElementTree.SubElement(components, _s("DimensionList"), id="DimensionDescriptor")
    for position, dimension in enumerate(DIMENSIONS, start=1):
        _component(dimensions, "Dimension", dimension, position=str(position))
    _component(dimensions, "TimeDimension", "TIME_PERIOD", position=str(len(DIMENSIONS) + 1))
    attributes = ElementTree.SubElement(components, _s("AttributeList"), id="AttributeDescriptor")
    unit = _component(attributes, "Attribute", "UNIT_MEASURE", assignmentStatus="Mandatory")
    related = ElementTree.SubElement(
        ElementTree.SubElement(unit, _s("AttributeRelationship")), _s("Dimension")
    )
    _ref(related, id="INDICATOR")
    confidentiality = _component(
        attributes, "Attribute", "OBS_CONF", assignmentStatus="Conditional"
    )
    measure = ElementTree.SubElement(
        ElementTree.SubElement(confidentiality, _s("AttributeRelationship")), _s("PrimaryMeasure")
    )
    _ref(measure, id="OBS_VALUE")
    measures = ElementTree.SubElement(components, _s("MeasureList"), id="MeasureDescriptor")
    _component(measures, "PrimaryMeasure", "OBS_VALUE")


def _dataflow(structures: ElementTree.Element) -> None:
    holder = ElementTree.SubElement(structures, _s("Dataflows"))
    dataflow = _maintainable(holder, "Dataflow", FLOW_ID, FLOW_NAME)
    _ref(
        ElementTree.SubElement(dataflow, _s("Structure")),
        id=FLOW_ID,
        version=VERSION,
        package="datastructure",
        **{"class": "DataStructure"},
    )


def structure_message(*, dataflow: bool, data_structure: bool) -> bytes:
    """An SDMX-ML 2.1 Structure message with the dataflow and/or the data structure (with
    the codelists and concepts it uses)."""
    ElementTree.register_namespace("message", MESSAGE_NS)
    ElementTree.register_namespace("structure", STRUCTURE_NS)
    ElementTree.register_namespace("common", COMMON_NS)
    root = ElementTree.Element(f"{{{MESSAGE_NS}}}Structure")
    header = ElementTree.SubElement(root, f"{{{MESSAGE_NS}}}Header")
    ElementTree.SubElement(header, f"{{{MESSAGE_NS}}}ID").text = f"IREF{uuid.uuid4().hex[:16]}"
    ElementTree.SubElement(header, f"{{{MESSAGE_NS}}}Test").text = "false"
    ElementTree.SubElement(header, f"{{{MESSAGE_NS}}}Prepared").text = datetime.now(UTC).strftime(
        "%Y-%m-%dT%H:%M:%S"
    )
    ElementTree.SubElement(header, f"{{{MESSAGE_NS}}}Sender", id=AGENCY)
    structures = ElementTree.SubElement(root, f"{{{MESSAGE_NS}}}Structures")
    if data_structure:
        _data_structure(structures)
    if dataflow:
        _dataflow(structures)
    message: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return message
