"""Schemathesis over the merged OpenAPI, through the gateway of a running seeded stack: for
generated requests, as a platform admin on every operation and anonymously on the public
ones, no server error and no response outside its documented schema.

Path parameters are drawn either as generated or as a real id of the demo data, so that the
handlers behind the 404s are reached too. Hypothesis runs derandomized with a small budget:
the same requests on every run, in a few seconds per operation.
"""

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from usmdev.fuzzing import Operation, dev_bearer
from usmdev.stack import Stack

EXAMPLES_PER_OPERATION = 5
ADMIN = dev_bearer(["platform_admin"], ["*"], subject="schemathesis")
CHECKS = [not_a_server_error, response_schema_conformance]
BUDGET = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
)


# The bulk upload takes CSV bodies: generated values are sent as their text.
schemathesis.serializer.alias("text/csv", "text/plain")
schemathesis.serializer.alias("application/vnd.sdmx.data+csv", "text/plain")


def _prepared(
    spec: dict[str, Any], base_url: str, known_ids: dict[str, str]
) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_dict(spec)
    schema.config.update(base_url=base_url)
    # The coverage phase's boundary cases run to thousands of requests over this API: more
    # than `make test` can afford. Explicit examples and generated ones remain.
    schema.config.phases.coverage.enabled = False

    @schema.hook("flatmap_path_parameters")
    def known_or_generated(
        context: schemathesis.HookContext, parameters: dict[str, Any] | None
    ) -> st.SearchStrategy[dict[str, Any] | None]:
        if not parameters or context.operation is None:
            return st.just(parameters)
        segments = context.operation.path.split("/")
        real = dict(parameters)
        for index, segment in enumerate(segments[1:], start=1):
            for name in parameters:
                if segment.startswith("{" + name + "}") and segments[index - 1] in known_ids:
                    real[name] = known_ids[segments[index - 1]]
        return st.sampled_from([real, parameters])

    return schema


@pytest.fixture
def admin_schema(
    seeded_stack: Stack, merged_spec: dict[str, Any], known_ids: dict[str, str]
) -> schemathesis.BaseSchema:
    return _prepared(merged_spec, seeded_stack.layout.gateway_url, known_ids)


@pytest.fixture
def anonymous_schema(
    seeded_stack: Stack, merged_spec: dict[str, Any], known_ids: dict[str, str]
) -> schemathesis.BaseSchema:
    public = {
        path: {
            method: spec
            for method, spec in methods.items()
            if Operation(method, path, spec).open_to(["public"])
        }
        for path, methods in merged_spec["paths"].items()
    }
    spec = {**merged_spec, "paths": {path: ops for path, ops in public.items() if ops}}
    return _prepared(spec, seeded_stack.layout.gateway_url, known_ids)


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    """One keep-alive session for all generated requests."""
    with requests.Session() as session:
        yield session


as_admin = schemathesis.pytest.from_fixture("admin_schema")
anonymously = schemathesis.pytest.from_fixture("anonymous_schema")


@as_admin.parametrize()
@BUDGET
def test_every_operation_as_platform_admin(
    case: schemathesis.Case[Any], http: requests.Session
) -> None:
    response = case.call(session=http, headers=ADMIN, timeout=30)
    case.validate_response(response, checks=CHECKS)


@anonymously.parametrize()
@BUDGET
def test_public_operations_anonymously(
    case: schemathesis.Case[Any], http: requests.Session
) -> None:
    response = case.call(session=http, timeout=30)
    case.validate_response(response, checks=CHECKS)
