"""The gateway against real upstream HTTP servers: routing, headers, limits, failures."""

import pytest

from usm_gateway.identity import mint_dev_token
from usmdev.pytest_plugin import GatewayFactory
from usmkit.auth import verify_internal_token
from usmkit.settings import DEVELOPMENT_SECRET


async def test_forwards_with_an_internal_token_and_clean_headers(
    upstream: str, usm_gateway: GatewayFactory
) -> None:
    async with usm_gateway({"reports": upstream}) as client:
        response = await client.post(
            "/api/v1/reports/things?x=1",
            content=b'{"a": 1}',
            headers={
                "content-type": "application/json",
                "x-usm-principal": "platform_admin",
                "x-forwarded-for": "6.6.6.6",
                "x-request-id": "trace-123",
            },
        )
    assert response.status_code == 200
    assert response.headers["x-upstream"] == "yes"
    assert response.headers["x-request-id"] == "trace-123"
    seen = response.json()
    assert seen["path"] == "/api/v1/reports/things"
    assert seen["query"] == "x=1"
    assert seen["body"] == '{"a": 1}'
    assert "x-usm-principal" not in seen["headers"]
    assert seen["headers"]["x-forwarded-for"] != "6.6.6.6"
    token = seen["headers"]["authorization"].removeprefix("Bearer ")
    principal = verify_internal_token(token, audience="reports", secret=DEVELOPMENT_SECRET)
    assert principal.subject == "anonymous"
    assert principal.request_id == "trace-123"
    with pytest.raises(Exception, match="invalid"):
        verify_internal_token(token, audience="network", secret=DEVELOPMENT_SECRET)


async def test_dev_tokens_carry_roles_and_cities(
    upstream: str, usm_gateway: GatewayFactory
) -> None:
    token = mint_dev_token(
        secret=DEVELOPMENT_SECRET, subject="ana", roles=["city_analyst"], cities=["durban"]
    )
    async with usm_gateway({"indicators": upstream}) as client:
        response = await client.get(
            "/api/v1/indicators", headers={"Authorization": f"Bearer {token}"}
        )
        forged = await client.get(
            "/api/v1/indicators", headers={"Authorization": "Bearer not-a-token"}
        )
    internal = response.json()["headers"]["authorization"].removeprefix("Bearer ")
    principal = verify_internal_token(internal, audience="indicators", secret=DEVELOPMENT_SECRET)
    assert (principal.subject, principal.roles, principal.cities) == (
        "ana",
        ["city_analyst"],
        ["durban"],
    )
    assert "indicators:read" in principal.scopes
    assert forged.status_code == 401
    assert forged.headers["content-type"] == "application/problem+json"


async def test_down_service_is_503_and_slow_service_is_504(
    upstream: str, closed_port_url: str, usm_gateway: GatewayFactory
) -> None:
    # The upstream's /slow answers after 2 s.
    async with usm_gateway(
        {"network": closed_port_url, "reports": upstream}, upstream_timeout_s=0.5
    ) as client:
        down = await client.get("/api/v1/network/cities")
        slow = await client.get("/api/v1/reports/slow")
        unknown = await client.get("/api/v1/nowhere/x")
    assert down.status_code == 503
    assert down.json()["title"] == "Service unavailable"
    assert slow.status_code == 504
    assert slow.headers["content-type"] == "application/problem+json"
    assert unknown.status_code == 404


async def test_oversized_bodies_are_refused(upstream: str, usm_gateway: GatewayFactory) -> None:
    async with usm_gateway({"reports": upstream, "indicators": upstream}) as client:
        response = await client.post("/api/v1/reports", content=b"x" * 1001)
        bulk = await client.post("/api/v1/indicators/cities/durban/values", content=b"x" * 1001)
        too_bulky = await client.post(
            "/api/v1/indicators/cities/durban/values", content=b"x" * 2001
        )
        admin = await client.post(
            "/api/v1/admin/clients",
            content=b'{"name": "' + b"x" * 70_000 + b'"}',
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["status"] == 413
    # Bulk loads have their own, larger limit.
    assert bulk.status_code == 200
    assert too_bulky.status_code == 413
    # The gateway's own routes refuse big bodies before reading them (and before auth).
    assert admin.status_code == 413
    assert admin.headers["content-type"] == "application/problem+json"


async def test_roles_are_published_as_data(upstream: str, usm_gateway: GatewayFactory) -> None:
    async with usm_gateway({"reports": upstream}) as client:
        roles = (await client.get("/api/v1/admin/roles")).json()
    assert set(roles) == {
        "public",
        "resident",
        "wg_member",
        "wg_facilitator",
        "city_analyst",
        "city_admin",
        "partner_node",
        "platform_admin",
    }
    assert "reports:submit" in roles["public"]
    assert "reports:moderate" not in roles["city_analyst"]


async def test_escaped_control_characters_in_paths_are_forwarded_not_a_500(
    upstream: str, usm_gateway: GatewayFactory
) -> None:
    async with usm_gateway({"reports": upstream}) as client:
        response = await client.get("/api/v1/reports/%10%C3%A9x%2Fy")
    assert response.status_code == 200
    assert response.json()["path"] == "/api/v1/reports/\x10éx/y"


async def test_answers_come_whole_over_kept_alive_connections(
    upstream: str, usm_gateway: GatewayFactory
) -> None:
    async with usm_gateway({"reports": upstream}) as client:
        chunked = await client.get("/api/v1/reports/chunked")
        head = await client.head("/api/v1/reports/x")
        # After a HEAD (headers, no body) the same connection still answers in step.
        after = await client.get("/api/v1/reports/after?n=2")
    assert chunked.status_code == 200
    assert chunked.text == "first,second,third"
    assert chunked.headers["content-length"] == str(len("first,second,third"))
    assert "transfer-encoding" not in chunked.headers
    assert head.status_code == 200
    assert head.content == b""
    assert after.json()["path"] == "/api/v1/reports/after"
    assert after.json()["query"] == "n=2"


async def test_a_connection_the_service_closed_is_not_an_error(
    closing_upstream: str, usm_gateway: GatewayFactory
) -> None:
    async with usm_gateway({"network": closing_upstream}) as client:
        answers = [await client.get("/api/v1/network/cities") for _ in range(3)]
    assert [(answer.status_code, answer.text) for answer in answers] == [(200, "ok")] * 3


async def test_only_known_methods_are_forwarded(upstream: str, usm_gateway: GatewayFactory) -> None:
    async with usm_gateway({"reports": upstream}) as client:
        trace = await client.request("TRACE", "/api/v1/reports/x")
    assert trace.status_code == 405
    assert trace.headers["content-type"] == "application/problem+json"
    assert "GET" in trace.headers["allow"]
