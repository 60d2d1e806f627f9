"""The authorization matrix: every service route declares its policy, and behaves by it.

A route's policy is read from its dependencies: `require_scope(...)` (scoped) or `PublicDep`
(public). A route with neither fails here, so no route can be added without a decision.
Behaviour is then checked for every role of ROLE_SCOPES against every scoped route, and for
reads of another city's data.
"""

import importlib
import uuid

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


def concrete_path(route: Route, city: str) -> str:
    path = route.path
    for param in route.dependant.path_params:
        value = city if param.name in ("city", "slug") else str(uuid.uuid4())
        path = path.replace("{" + param.name + "}", value)
    return path


SAMPLE_QUERY = {"period": "2026"}


def city_query(route: Route, city: str) -> dict[str, str]:
    """The city, and a plausible value for every other required query parameter."""
    query = {}
    for param in route.dependant.query_params:
        if param.name == "city":
            query["city"] = city
        elif param.field_info.is_required():
            query[param.name] = SAMPLE_QUERY.get(param.name, "x")
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
                        concrete_path(route, OWN_CITY),
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
        for route in routes_of(harness.app):
            policy = policy_of(route.dependant)
            if "GET" not in route.methods or not policy.scopes or not names_city(route):
                continue
            roles = [role for role, granted in ROLE_SCOPES.items() if policy.scopes <= granted]
            async with harness.client(principal(roles, [OTHER_CITY])) as client:
                response = await client.get(
                    concrete_path(route, OWN_CITY), params=city_query(route, OWN_CITY)
                )
            if response.status_code not in (403, 404):
                failures.append(f"GET {route.path} -> {response.status_code}")
    assert failures == []
