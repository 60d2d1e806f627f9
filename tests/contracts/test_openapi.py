"""The checked-in OpenAPI contracts are exactly what the code serves, and valid."""

import json
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from usmdev.contracts import openapi_documents, render

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "openapi"
DOCUMENTS = openapi_documents()


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_contract_matches_code(name: str) -> None:
    path = CONTRACTS / f"{name}.json"
    assert path.exists(), f"{path} is missing: run `make contracts`"
    assert path.read_text() == render(DOCUMENTS[name]), (
        f"{path} differs from the code: run `make contracts` and review the diff"
    )


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_contract_is_valid_openapi(name: str) -> None:
    validate(json.loads(render(DOCUMENTS[name])))


@pytest.mark.parametrize("name", sorted(set(DOCUMENTS) - {"gateway"}))
def test_every_operation_is_documented(name: str) -> None:
    for path, operations in DOCUMENTS[name]["paths"].items():
        for method, operation in operations.items():
            assert operation.get("description") or operation.get("summary"), f"{method} {path}"
            assert operation["operationId"].count("-") >= 1, operation["operationId"]
