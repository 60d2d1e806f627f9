"""The authorization matrix: every service route declares its policy, and behaves by it.

A route's policy is read from its dependencies: `require_scope(...)` (scoped) or `PublicDep`
(public). A route with neither fails here, so no route can be added without a decision.
Behaviour is then checked for every role of ROLE_SCOPES against every scoped route, for
reads of another city's data, and for writes into another city (with the operation's
documented example body, so the request is valid but for its city).
"""

import importlib
import re
import uuid
from typing import Any

import pytest
from fastapi import FastAPI

from usmdev.catalog import SERVICE_SPECS
from usmdev.pytest_plugin import ServiceFactory, principal
from usmkit.auth import ROLE_SCOPES
from usmkit.policy import Route, policy_of
from usmkit.policy import routes_of as all_routes

OWN_CITY, OTHER_CITY = "durban", "cape-town"
SERVICES = [spec.name for spec in SERVICE_SPECS]
UNGUARDED = {"/healthz", "/readyz", "/metrics"}
# Routes guarded by something other than the internal token, each with where it is tested.
OTHERWISE_GUARDED = {
    # Partner nodes sign every request with HMAC (services/network/tests/sync).
    "/api/v1/network/sync/feed",
}


def routes_of(app: FastAPI) -> list[Route]:
    return [route for route in all_routes(app) if route.path not in UNGUARDED]


def app_for(service: str) -> FastAPI:
    app: FastAPI = importlib.import_module(f"usm_{service}.main").create_app()
    return app


SAMPLE = {"period": "2026", "code": "SAMPLE_CODE"}
CANDIDATES = ("2026", "sample", "SAMPLE_CODE")


def well_formed(spec: dict[str, Any], route: Route, name: str) -> str:
    """A value the path parameter's schema accepts (a uuid unless its pattern says else)."""
    operations = spec["paths"].get(route.path, {}).values()
    schemas = [
        param.get("schema", {})
        for operation in operations
        for param in operation.get("parameters", [])
        if param["name"] == name and param["in"] == "path"
    ]
    pattern = next((schema["pattern"] for schema in schemas if "pattern" in schema), None)
    if pattern is None:
        return str(uuid.uuid4())
    return next(value for value in CANDIDATES if re.search(pattern, value))


def concrete_path(spec: dict[str, Any], route: Route, city: str) -> str:
    """The route's path with the city and a well-formed value for every other parameter,
    so that validation passes and the policy decides."""
    path = route.path
    for param in route.dependant.path_params:
        value = city if param.name in ("city", "slug") else well_formed(spec, route, param.name)
        path = path.replace("{" + param.name + "}", value)
    return path


def city_query(route: Route, city: str) -> dict[str, str]:
    """The city, and a plausible value for every other required query parameter."""
    query = {}
    for param in route.dependant.query_params:
        if param.name == "city":
            query["city"] = city
        elif param.field_info.is_required():
            query[param.name] = SAMPLE.get(param.name, "x")
    return query


def names_city(route: Route) -> bool:
    return any(p.name in ("city", "slug") for p in route.dependant.path_params) or any(
        p.name == "city" for p in route.dependant.query_params
    )


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_declares_a_policy(service: str) -> None:
    undeclared = [
        f"{sorted(route.methods)} {route.path}"
        for route in routes_of(app_for(service))
        if not policy_of(route.dependant).declared and route.path not in OTHERWISE_GUARDED
    ]
    assert undeclared == [], "declare `PublicDep` or `require_scope(...)` on these routes"


@pytest.mark.parametrize("service", SERVICES)
async def test_scoped_routes_follow_the_role_table(
    service: str, usm_service: ServiceFactory
) -> None:
    failures: list[str] = []
    async with usm_service(service) as harness:
        spec = harness.app.openapi()
        for route in routes_of(harness.app):
            policy = policy_of(route.dependant)
            if not policy.scopes:
                continue
            method = sorted(route.methods)[0]
            for role, granted in ROLE_SCOPES.items():
                allowed = policy.scopes <= granted
                async with harness.client(principal([role], [OWN_CITY])) as client:
                    response = await client.request(
                        method,
                        concrete_path(spec, route, OWN_CITY),
                        params=city_query(route, OWN_CITY),
                        json={} if method in ("POST", "PUT", "PATCH") else None,
                    )
                refused = response.status_code in (401, 403)
                if refused == allowed:
                    failures.append(f"{role:<15} {method} {route.path} -> {response.status_code}")
    assert failures == []


@pytest.mark.parametrize("service", SERVICES)
async def test_reads_of_another_citys_private_data_are_refused(
    service: str, usm_service: ServiceFactory
) -> None:
    failures: list[str] = []
    async with usm_service(service) as harness:
        spec = harness.app.openapi()
        for route in routes_of(harness.app):
            policy = policy_of(route.dependant)
            if "GET" not in route.methods or not policy.scopes or not names_city(route):
                continue
            roles = [role for role, granted in ROLE_SCOPES.items() if policy.scopes <= granted]
            async with harness.client(principal(roles, [OTHER_CITY])) as client:
                response = await client.get(
                    concrete_path(spec, route, OWN_CITY), params=city_query(route, OWN_CITY)
                )
            if response.status_code not in (403, 404):
                failures.append(f"GET {route.path} -> {response.status_code}")
    assert failures == []


WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def example_body(spec: dict[str, Any], route: Route, method: str) -> tuple[bool, Any]:
    """(has a JSON body, its documented example with `city` set to OWN_CITY)."""
    operation = spec["paths"].get(route.path, {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return False, None
    schema = content.get("schema", {})
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    examples = schema.get("examples") or [
        example["value"] for example in content.get("examples", {}).values()
    ]
    example = examples[0] if examples else None
    if isinstance(example, dict) and "city" in example:
        example = {**example, "city": OWN_CITY}
    return True, example


@pytest.mark.parametrize("service", SERVICES)
async def test_writes_into_another_city_are_refused(
    service: str, usm_service: ServiceFactory
) -> None:
    failures: list[str] = []
    async with usm_service(service) as harness:
        spec = harness.app.openapi()
        for route in routes_of(harness.app):
            policy = policy_of(route.dependant)
            for method in sorted(route.methods & WRITES):
                has_body, body = example_body(spec, route, method)
                city_in_body = isinstance(body, dict) and "city" in body
                # Intake (scopes every caller has) is open in every city by design.
                open_to_all = policy.scopes <= ROLE_SCOPES["public"]
                if open_to_all or not policy.scopes or not (names_city(route) or city_in_body):
                    continue
                if has_body and body is None:
                    failures.append(f"{method} {route.path}: no example body to send")
                    continue
                roles = [role for role, granted in ROLE_SCOPES.items() if policy.scopes <= granted]
                async with harness.client(principal(roles, [OTHER_CITY])) as client:
                    response = await client.request(
                        method,
                        concrete_path(spec, route, OWN_CITY),
                        params=city_query(route, OWN_CITY),
                        json=body,
                        headers={"If-Match": '"0"'},
                    )
                if response.status_code not in (403, 404):
                    failures.append(f"{method} {route.path} -> {response.status_code}")
    assert failures == []
