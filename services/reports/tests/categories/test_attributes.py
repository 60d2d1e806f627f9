from typing import Any

from usm_reports.categories.attributes import check_attributes

DEFINITIONS: list[dict[str, Any]] = [
    {"code": "depth", "datatype": "number", "required": True},
    {"code": "when", "datatype": "datetime", "required": False},
    {"code": "note", "datatype": "text", "required": False},
    {"code": "pole", "datatype": "string", "required": False},
    {
        "code": "state",
        "datatype": "singlevaluelist",
        "required": False,
        "values": [{"key": "out", "name": "Out"}, {"key": "on", "name": "On"}],
    },
    {
        "code": "kinds",
        "datatype": "multivaluelist",
        "required": False,
        "values": [{"key": "a", "name": "A"}, {"key": "b", "name": "B"}],
    },
]


def locs(answers: dict[str, Any], *, from_text: bool = False) -> list[list[str | int]]:
    _, errors = check_attributes(DEFINITIONS, answers, from_text=from_text)
    return [error.loc for error in errors]


def test_valid_json_answers_are_normalised() -> None:
    normalized, errors = check_attributes(
        DEFINITIONS,
        {
            "depth": 30,
            "when": "2026-11-25T10:00:00Z",
            "note": "deep",
            "state": "out",
            "kinds": ["a", "b", "a"],
        },
    )
    assert errors == []
    assert normalized == {
        "depth": 30,
        "when": "2026-11-25T10:00:00+00:00",
        "note": "deep",
        "state": "out",
        "kinds": ["a", "b"],
    }


def test_form_answers_are_read_from_text() -> None:
    normalized, errors = check_attributes(
        DEFINITIONS, {"depth": "12.5", "kinds": "a"}, from_text=True
    )
    assert errors == []
    assert normalized == {"depth": 12.5, "kinds": ["a"]}
    assert locs({"depth": "deep"}, from_text=True) == [["body", "attributes", "depth"]]


def test_each_wrong_answer_is_reported_where_it_is() -> None:
    assert locs({}) == [["body", "attributes", "depth"]]
    assert locs({"depth": "30"}) == [["body", "attributes", "depth"]]
    assert locs({"depth": True}) == [["body", "attributes", "depth"]]
    assert locs({"depth": 1, "when": "yesterday"}) == [["body", "attributes", "when"]]
    assert locs({"depth": 1, "state": "broken"}) == [["body", "attributes", "state"]]
    assert locs({"depth": 1, "kinds": ["c"]}) == [["body", "attributes", "kinds"]]
    assert locs({"depth": 1, "kinds": "a"}) == [["body", "attributes", "kinds"]]
    assert locs({"depth": 1, "pole": "x" * 501}) == [["body", "attributes", "pole"]]
    assert locs({"depth": 1, "colour": "red"}) == [["body", "attributes", "colour"]]
