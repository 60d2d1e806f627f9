"""Event schemas are valid JSON Schema and every example satisfies its contract."""

from pathlib import Path

import pytest

from usmdev.contracts import render_asyncapi
from usmkit.events.cloudevents import SchemaRegistry

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
REGISTRY = SchemaRegistry(CONTRACTS)
EXAMPLES = sorted((CONTRACTS / "events" / "examples").glob("*.json"))


def test_every_event_type_has_an_example() -> None:
    assert REGISTRY.known_types() == sorted(path.stem for path in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_example_matches_its_schema(example: Path) -> None:
    event = REGISTRY.parse(example.read_bytes())
    assert event.type == example.stem


def test_asyncapi_matches_code() -> None:
    path = CONTRACTS / "events" / "asyncapi.yaml"
    assert path.exists(), f"{path} is missing: run `make contracts`"
    assert path.read_text() == render_asyncapi(), "asyncapi.yaml is stale: run `make contracts`"
