"""API keys: created, used, rotated, revoked and expired, against real PostgreSQL."""

from datetime import UTC, datetime, timedelta

import httpx

from usm_gateway.identity import mint_dev_token
from usmdev.pytest_plugin import GatewayFactory
from usmkit.auth import verify_internal_token
from usmkit.settings import DEVELOPMENT_SECRET

ADMIN = {
    "Authorization": "Bearer "
    + mint_dev_token(
        secret=DEVELOPMENT_SECRET, subject="root", roles=["platform_admin"], cities=["*"]
    )
}


async def new_key(client: httpx.AsyncClient, **grants: object) -> dict[str, object]:
    created = await client.post("/api/v1/admin/clients", json={"name": "portal"}, headers=ADMIN)
    assert created.status_code == 201, created.text
    body = {
        "client_id": created.json()["id"],
        "scopes": ["public:read", "reports:submit"],
        "cities": ["durban"],
        **grants,
    }
    issued = await client.post("/api/v1/admin/keys", json=body, headers=ADMIN)
    assert issued.status_code == 201, issued.text
    key: dict[str, object] = issued.json()
    return key


async def test_a_key_acts_for_its_client_with_its_grants(
    upstream: str, usm_gateway: GatewayFactory
) -> None:
    async with usm_gateway({"reports": upstream}) as client:
        key = await new_key(client)
        assert str(key["key"]).startswith(f"usm_{key['prefix']}_")
        seen = await client.get("/api/v1/reports/x", headers={"X-API-Key": str(key["key"])})
        open311 = await client.get(f"/open311/v2/services.json?api_key={key['key']}")
        listed = (await client.get("/api/v1/admin/keys", headers=ADMIN)).json()["items"]
    assert seen.status_code == 200
    internal = seen.json()["headers"]["authorization"].removeprefix("Bearer ")
    principal = verify_internal_token(internal, audience="reports", secret=DEVELOPMENT_SECRET)
    assert principal.client_id == key["client_id"]
    assert principal.scopes == ["public:read", "reports:submit"]
    assert principal.cities == ["durban"]
    assert "x-api-key" not in seen.json()["headers"]
    assert open311.json()["path"] == "/open311/v2/services.json"
    assert [item["prefix"] for item in listed] == [key["prefix"]]
    assert "key" not in listed[0] and "secret_hash" not in listed[0]
    assert listed[0]["last_used_at"] is not None


async def test_revoked_rotated_expired_and_forged_keys_are_refused(
    upstream: str, usm_gateway: GatewayFactory
) -> None:
    async with usm_gateway({"reports": upstream}) as client:
        key = await new_key(client)
        rotated = await client.post(f"/api/v1/admin/keys/{key['id']}/rotate", headers=ADMIN)
        assert rotated.status_code == 201
        old = await client.get("/api/v1/reports/x", headers={"X-API-Key": str(key["key"])})
        new = await client.get("/api/v1/reports/x", headers={"X-API-Key": rotated.json()["key"]})
        revoked = await client.post(
            f"/api/v1/admin/keys/{rotated.json()['id']}/revoke", headers=ADMIN
        )
        after_revoke = await client.get(
            "/api/v1/reports/x", headers={"X-API-Key": rotated.json()["key"]}
        )
        again = await client.post(
            f"/api/v1/admin/keys/{rotated.json()['id']}/rotate", headers=ADMIN
        )
        forged = await client.get(
            "/api/v1/reports/x", headers={"X-API-Key": f"usm_{key['prefix']}_not-the-secret"}
        )
        garbage = await client.get("/api/v1/reports/x", headers={"X-API-Key": "garbage"})
    assert old.status_code == 401
    assert new.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert after_revoke.status_code == 401
    assert after_revoke.headers["content-type"] == "application/problem+json"
    assert again.status_code == 409
    assert forged.status_code == 401
    assert garbage.status_code == 401


async def test_expiry_and_grant_validation(upstream: str, usm_gateway: GatewayFactory) -> None:
    async with usm_gateway({"reports": upstream}) as client:
        created = await client.post("/api/v1/admin/clients", json={"name": "p"}, headers=ADMIN)
        client_id = created.json()["id"]
        past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        bad = await client.post(
            "/api/v1/admin/keys",
            json={
                "client_id": client_id,
                "scopes": ["root:everything"],
                "cities": ["Durban!"],
                "expires_at": past,
            },
            headers=ADMIN,
        )
        expired_grant = await client.post(
            "/api/v1/admin/keys",
            json={
                "client_id": client_id,
                "scopes": ["public:read"],
                "cities": ["durban"],
                "expires_at": past,
            },
            headers=ADMIN,
        )
        duplicate = await client.post("/api/v1/admin/clients", json={"name": "p"}, headers=ADMIN)
    assert bad.status_code == 422
    assert {tuple(error["loc"]) for error in bad.json()["errors"]} == {
        ("body", "scopes"),
        ("body", "cities"),
    }
    assert expired_grant.status_code == 422
    assert duplicate.status_code == 409


async def test_only_platform_admins_manage_keys(upstream: str, usm_gateway: GatewayFactory) -> None:
    analyst = {
        "Authorization": "Bearer "
        + mint_dev_token(
            secret=DEVELOPMENT_SECRET, subject="ana", roles=["city_admin"], cities=["durban"]
        )
    }
    async with usm_gateway({"reports": upstream}) as client:
        anonymous = await client.get("/api/v1/admin/keys")
        city_admin = await client.post("/api/v1/admin/clients", json={"name": "x"}, headers=analyst)
    assert anonymous.status_code == 403
    assert city_admin.status_code == 403
