from xml.etree import ElementTree

from usmkit.open311 import Open311Error, format_of_path, render_error, to_xml


def test_lists_nest_under_their_singular_and_none_is_empty() -> None:
    xml = to_xml(
        "service_definition",
        None,
        {
            "service_code": "x",
            "attributes": [{"code": "a", "required": True, "values": [{"key": "k"}]}],
            "note": None,
        },
    )
    root = ElementTree.fromstring(xml)  # noqa: S314
    assert root.findtext("attributes/attribute/values/value/key") == "k"
    assert root.findtext("attributes/attribute/required") == "true"
    assert root.find("note") is not None and root.findtext("note") == ""


def test_characters_xml_cannot_carry_are_dropped() -> None:
    xml = to_xml("service_requests", "request", [{"description": "a\x00b\x1bc <&>"}])
    root = ElementTree.fromstring(xml)  # noqa: S314
    assert root.findtext("request/description") == "abc <&>"


def test_errors_render_in_the_paths_format() -> None:
    assert format_of_path("/open311/v2/services.XML") == "xml"
    assert format_of_path("/open311/v2/whatever") == "json"
    response = render_error("json", Open311Error(404, "one", "two"))
    assert response.status_code == 404
    assert response.body == (b'[{"code":404,"description":"one"},{"code":404,"description":"two"}]')
