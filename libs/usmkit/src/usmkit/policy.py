"""What each route requires, read from its dependencies, and written into the OpenAPI.

A route is scoped (`require_scope(...)`, any `ScopeRequirement`), public (`PublicDep`) or,
for a few routes with their own guard, neither. The same reading drives the OpenAPI
`security` of every operation and the authorization matrix test, so the two cannot differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from usmkit.auth import ScopeRequirement, public_principal

# As callers see them through the gateway; the gateway turns either into the internal token.
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key issued at /api/v1/admin/keys (portals, partner machines).",
    },
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from one of the deployment's OIDC issuers.",
    },
    "open311ApiKey": {
        "type": "apiKey",
        "in": "query",
        "name": "api_key",
        "description": "Open311's `api_key` parameter: an API key, on /open311/v2 paths only.",
    },
}
OPEN311_PREFIX = "/open311/"


@dataclass(frozen=True)
class Policy:
    scopes: frozenset[str]
    public: bool

    @property
    def declared(self) -> bool:
        return self.public or bool(self.scopes)


def policy_of(dependant: Dependant) -> Policy:
    scopes: set[str] = set()
    public = False
    stack = list(dependant.dependencies)
    while stack:
        dependency = stack.pop()
        if isinstance(dependency.call, ScopeRequirement):
            scopes.add(dependency.call.scope)
        if dependency.call is public_principal:
            public = True
        stack.extend(dependency.dependencies)
    return Policy(frozenset(scopes), public)


@dataclass(frozen=True)
class Route:
    """A route as served (router prefixes applied) with the APIRoute that declares it."""

    path: str
    methods: frozenset[str]
    api_route: APIRoute

    @property
    def dependant(self) -> Dependant:
        return self.api_route.dependant


def routes_of(app: FastAPI) -> list[Route]:
    return [
        Route(str(context.path_format), frozenset(context.methods or ()), context.original_route)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]


def security_of(policy: Policy, path: str) -> list[dict[str, list[str]]]:
    schemes = ["apiKey", "bearer"]
    if path.startswith(OPEN311_PREFIX):
        schemes.append("open311ApiKey")
    requirements: list[dict[str, list[str]]] = [{scheme: []} for scheme in schemes]
    # `{}` first: the operation also answers anonymous callers.
    return [{}, *requirements] if policy.public else requirements


def security_openapi(app: FastAPI) -> None:
    """Give every operation its `security` and the scopes it needs (`x-usm-scopes`)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for route in routes_of(app):
            policy = policy_of(route.dependant)
            operations = schema.get("paths", {}).get(route.path, {})
            for method in route.methods:
                operation = operations.get(method.lower())
                if operation is None or not policy.declared:
                    continue
                operation["security"] = security_of(policy, route.path)
                if policy.scopes:
                    operation["x-usm-scopes"] = sorted(policy.scopes)
        schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
