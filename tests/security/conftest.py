"""One seeded stack (`make run`'s processes on their own PostgreSQL and broker) for the hostile
input tests and the leak scan, with the ids of its demo data."""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from usmdev.fuzzing import dev_bearer, hostile_gateway_env
from usmdev.seed import seed
from usmdev.stack import Stack, StackLayout


class SeededStack(Stack):
    """The stack with the gateway's rate limits lifted (these tests send thousands of
    requests from one address, anonymous ones included) and a small bulk body limit."""

    def gateway_env(self) -> dict[str, str]:
        return {**super().gateway_env(), **hostile_gateway_env()}


ADMIN = dev_bearer(["platform_admin"], ["*"])


@pytest.fixture(scope="package")
def seeded_stack(usm_base_dir: Path) -> Iterator[Stack]:
    """Its own PostgreSQL and broker, so the e2e stack's data and topics stay out of the scan."""
    stack = SeededStack(StackLayout.on_free_ports(usm_base_dir / "security-stack"))
    with stack.running():
        seed(stack.layout.gateway_url)
        yield stack


@pytest.fixture(scope="package")
def gateway(seeded_stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=seeded_stack.layout.gateway_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="package")
def merged_spec(gateway: httpx.Client) -> dict[str, Any]:
    spec: dict[str, Any] = gateway.get("/openapi.json").raise_for_status().json()
    return spec


def _first_id(gateway: httpx.Client, path: str, **params: str) -> str:
    items = gateway.get(path, params=params, headers=ADMIN).raise_for_status().json()["items"]
    assert items, f"the demo data has nothing at {path}"
    return str(items[0]["id"])


@pytest.fixture(scope="package")
def known_ids(gateway: httpx.Client) -> dict[str, str]:
    """A real value for each path parameter, by the collection it names (the path segment
    before it): requests with them reach past the 404s into the handlers."""
    city = "/api/v1/appraisals/cities/durban"
    group_id = _first_id(gateway, f"{city}/working-groups")
    plan_id = _first_id(gateway, f"{city}/plans")
    report = gateway.post(
        "/api/v1/reports",
        json={
            "city": "durban",
            "category_code": "streetlight",
            "latitude": -29.85,
            "longitude": 31.02,
            "attributes": {"light_state": "out"},
            "description": "The light at the rank is out.",
        },
        headers={"Idempotency-Key": "security-known-report"},
    ).raise_for_status()
    client = gateway.post(
        "/api/v1/admin/clients",
        json={"name": f"security-tests-{uuid.uuid4().hex[:8]}"},
        headers=ADMIN,
    ).raise_for_status()
    key = gateway.post(
        "/api/v1/admin/keys",
        json={"client_id": client.json()["id"], "scopes": ["public:read"], "cities": ["durban"]},
        headers=ADMIN,
    ).raise_for_status()
    lesson = gateway.post(
        "/api/v1/appraisals/lessons",
        json={
            "city": "durban",
            "title": "Light the ranks first",
            "summary": "Residents mapped the darkest taxi ranks.",
            "language": "en",
        },
        headers={**ADMIN, "Idempotency-Key": "security-known-lesson"},
    ).raise_for_status()
    return {
        "cities": "durban",
        "lessons": str(lesson.json()["id"]),
        "categories": "streetlight",
        "services": "streetlight",
        "districts": "DBN-CENTRAL",
        "indicators": "ISO37120_10_2",
        "working-groups": group_id,
        "members": _first_id(gateway, f"{city}/working-groups/{group_id}/members"),
        "sessions": _first_id(gateway, f"{city}/working-groups/{group_id}/sessions"),
        "appraisals": _first_id(gateway, f"{city}/appraisals"),
        "plans": plan_id,
        "items": _first_id(gateway, f"{city}/plans/{plan_id}/items"),
        "knowledge": _first_id(gateway, "/api/v1/network/knowledge"),
        "keys": str(key.json()["id"]),
        "reports": str(report.json()["id"]),
        "requests": str(report.json()["id"]),
        "track": str(report.json()["tracking_code"]),
        "tokens": str(report.json()["tracking_code"]),
    }
