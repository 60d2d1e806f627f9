"""Rate limits, security headers and the access log's discretion."""

import logging

import pytest

from usmdev.pytest_plugin import GatewayFactory

LIMITS = {
    "intake": {"per_minute": 1, "burst": 2},
    "reads": {"per_minute": 60, "burst": 3},
    "writes": {"per_minute": 60, "burst": 30},
    "bulk": {"per_minute": 1, "burst": 1},
    "sync": {"per_minute": 60, "burst": 30},
}


async def test_anonymous_intake_is_limited_per_ip_with_retry_after(
    upstream: str, usm_gateway: GatewayFactory
) -> None:
    async with usm_gateway({"reports": upstream}, rate_limits=LIMITS) as client:
        statuses = [(await client.post("/api/v1/reports", json={})).status_code for _ in range(3)]
        limited = await client.post("/api/v1/reports", json={})
        reads = await client.get("/api/v1/reports/track/x")
    assert statuses == [200, 200, 429]
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["ratelimit-remaining"] == "0"
    assert reads.status_code == 200  # another route class has its own bucket
    assert reads.headers["ratelimit-limit"] == "3"


async def test_every_response_carries_security_headers(
    upstream: str, usm_gateway: GatewayFactory
) -> None:
    async with usm_gateway({"reports": upstream}) as client:
        for response in (
            await client.get("/healthz"),
            await client.get("/api/v1/reports/x"),
            await client.get("/api/v1/nowhere"),
        ):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["referrer-policy"] == "no-referrer"
        proxied = await client.get("/api/v1/reports/x")
    assert proxied.headers.get_list("server") == []  # the upstream's server header is dropped


async def test_the_access_log_never_holds_credentials(
    upstream: str, usm_gateway: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    access = logging.getLogger("usm.gateway.access")
    async with usm_gateway({"reports": upstream}) as client:
        # The app configures logging at start; listen on the access logger itself.
        access.addHandler(caplog.handler)
        try:
            await client.get("/open311/v2/services.json?api_key=usm_secretprefix_secretvalue")
        finally:
            access.removeHandler(caplog.handler)
    lines = [
        record.getMessage() for record in caplog.records if record.name == "usm.gateway.access"
    ]
    assert lines == ["GET /open311/v2/services.json 403"]
    assert all(
        "secret" not in str(vars(record))
        for record in caplog.records
        if record.name == "usm.gateway.access"
    )


async def test_open311_paths_answer_in_open311_error_shape(
    upstream: str, usm_gateway: GatewayFactory
) -> None:
    async with usm_gateway({"reports": upstream}) as client:
        wrong_key = await client.post(
            "/open311/v2/requests.json", data={"api_key": "nonsense", "service_code": "x"}
        )
        wrong_key_xml = await client.get("/open311/v2/requests.xml?api_key=nonsense")
        native = await client.get("/api/v1/reports/x", headers={"X-API-Key": "nonsense"})
    assert wrong_key.status_code == 403
    assert wrong_key.json() == [{"code": 403, "description": "The API key is not valid."}]
    assert wrong_key_xml.status_code == 403
    assert wrong_key_xml.text.endswith(
        "<errors><error><code>403</code><description>The API key is not valid.</description>"
        "</error></errors>"
    )
    assert native.status_code == 401
    assert native.headers["content-type"] == "application/problem+json"
