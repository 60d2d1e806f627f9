"""Open311 GeoReport v2 documents in JSON and XML, and its error documents.

Each operation answers in the format its path names (`.json` or `.xml`). XML follows the
spec's element names: a root per operation (`services`, `service_requests`, ...), one
element per item, and nested lists named by their singular (`attributes/attribute`,
`values/value`, `endpoints/endpoint`, `formats/format`).
"""

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from xml.etree import ElementTree

from starlette.responses import Response

Format = Literal["json", "xml"]
FORMATS: tuple[Format, ...] = ("json", "xml")
JSON_MEDIA_TYPE = "application/json; charset=utf-8"
XML_MEDIA_TYPE = "text/xml; charset=utf-8"
LIST_ITEM_TAGS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}
# Characters XML 1.0 cannot carry at all; they are dropped from XML output.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Open311Error(Exception):
    """Raise on an Open311 route to answer with the spec's error document, never
    problem+json: `[{"code": status, "description": ...}]`."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions[0] if descriptions else str(status))
        self.status = status
        self.descriptions = list(descriptions) or ["Error"]


def format_of_path(path: str) -> Format:
    """The format a path asks for; JSON when it names none (e.g. an unknown path)."""
    return "xml" if path.lower().endswith(".xml") else "json"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent: ElementTree.Element, tag: str, value: Any) -> None:
    element = ElementTree.SubElement(parent, tag)
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, child in value.items():
            _append(element, key, child)
    elif isinstance(value, list | tuple):
        item_tag = LIST_ITEM_TAGS.get(tag, "item")
        for child in value:
            _append(element, item_tag, child)
    else:
        element.text = _text(value)


def to_xml(root_tag: str, item_tag: str | None, content: Any) -> bytes:
    """A list becomes `<root><item>…</item>…</root>`; a mapping becomes `<root>…</root>`."""
    root = ElementTree.Element(root_tag)
    if isinstance(content, Mapping):
        for key, value in content.items():
            _append(root, key, value)
    else:
        assert item_tag is not None
        for item in content:
            _append(root, item_tag, item)
    body: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def render(
    fmt: Format,
    content: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    *,
    root_tag: str,
    item_tag: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The document in the requested format."""
    if fmt == "xml":
        return Response(
            to_xml(root_tag, item_tag, content),
            status_code=status_code,
            media_type=XML_MEDIA_TYPE,
            headers=headers,
        )
    return Response(
        json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode(),
        status_code=status_code,
        media_type=JSON_MEDIA_TYPE,
        headers=headers,
    )


def render_error(fmt: Format, error: Open311Error) -> Response:
    """`[{"code": 404, "description": "..."}]`, or `<errors><error>…</error></errors>`."""
    errors = [
        {"code": error.status, "description": description} for description in error.descriptions
    ]
    return render(fmt, errors, root_tag="errors", item_tag="error", status_code=error.status)
