"""API keys: created, used, rotated, revoked and expired, against real PostgreSQL."""

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select, update

from usm_gateway.identity import mint_dev_token
from usm_gateway.models import idempotency_keys
from usmdev.pytest_plugin import GatewayAppFactory, GatewayFactory
from usmdev.waiting import eventually
from usmkit.auth import verify_internal_token
from usmkit.db import Database
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


async def test_admin_posts_are_idempotent(upstream: str, usm_gateway: GatewayFactory) -> None:
    async with usm_gateway({"reports": upstream}) as client:
        retry = {**ADMIN, "Idempotency-Key": "client-0b7f3c7e-retry"}
        first_client = await client.post("/api/v1/admin/clients", json={"name": "p"}, headers=retry)
        again_client = await client.post("/api/v1/admin/clients", json={"name": "p"}, headers=retry)
        client_id = first_client.json()["id"]
        grants = {"client_id": client_id, "scopes": ["public:read"], "cities": ["durban"]}
        retry = {**ADMIN, "Idempotency-Key": "key-6c1d0d2a-issue-retry"}
        first_key = await client.post("/api/v1/admin/keys", json=grants, headers=retry)
        again_key = await client.post("/api/v1/admin/keys", json=grants, headers=retry)
        other_body = await client.post(
            "/api/v1/admin/keys", json={**grants, "cities": ["cape-town"]}, headers=retry
        )
        rotate = f"/api/v1/admin/keys/{first_key.json()['id']}/rotate"
        retry = {**ADMIN, "Idempotency-Key": "rotate-91e2b7d4-retry"}
        first_rotation = await client.post(rotate, headers=retry)
        again_rotation = await client.post(rotate, headers=retry)
        keys = (await client.get("/api/v1/admin/keys", headers=ADMIN)).json()["items"]
        rotated_works = await client.get(
            "/api/v1/reports/x", headers={"X-API-Key": first_rotation.json()["key"]}
        )
    assert (first_client.status_code, again_client.status_code) == (201, 201)
    assert again_client.json() == first_client.json()
    assert again_client.headers["idempotent-replayed"] == "true"
    # The secret is shown again only to the retry that carries the same Idempotency-Key.
    assert again_key.json() == first_key.json()
    assert other_body.status_code == 422
    assert again_rotation.json() == first_rotation.json()
    assert first_rotation.json()["key"] != first_key.json()["key"]
    assert len(keys) == 2  # the issued key (revoked by its rotation) and its one replacement
    assert rotated_works.status_code == 200


async def test_stored_answers_are_forgotten_after_a_day(
    upstream: str, usm_gateway_app: GatewayAppFactory
) -> None:
    async with (
        usm_gateway_app({"reports": upstream}, housekeeping_interval_s=0.05) as app,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway"
        ) as client,
    ):
        retry = {**ADMIN, "Idempotency-Key": "client-5a0e2c1f-forgotten"}
        first = await client.post("/api/v1/admin/clients", json={"name": "p"}, headers=retry)
        database: Database = app.state.gateway.database
        async with database.transaction() as session:
            await session.execute(
                update(idempotency_keys).values(
                    created_at=func.now() - timedelta(hours=24, minutes=1)
                )
            )

        async def forgotten() -> bool:
            async with database.transaction() as session:
                count = select(func.count()).select_from(idempotency_keys)
                return await session.scalar(count) == 0

        await eventually(forgotten, what="the day-old answer deleted")
        # Client names are unique: a new request must name another.
        later = await client.post("/api/v1/admin/clients", json={"name": "q"}, headers=retry)
    assert (first.status_code, later.status_code) == (201, 201)
    # The same key a day later is free: within the day, another body with it is refused.
    assert later.json()["name"] == "q"
    assert "idempotent-replayed" not in later.headers


async def test_keys_act_only_in_their_open311_jurisdictions(
    upstream: str, usm_gateway: GatewayFactory
) -> None:
    async with usm_gateway({"reports": upstream}) as client:
        key = str((await new_key(client))["key"])
        own = await client.get(f"/open311/v2/services.json?jurisdiction_id=durban&api_key={key}")
        other = await client.get(
            f"/open311/v2/services.json?jurisdiction_id=ciudad-juarez&api_key={key}"
        )
        form_post = await client.post(
            "/open311/v2/requests.json",
            data={"api_key": key, "jurisdiction_id": "ciudad-juarez", "service_code": "x"},
        )
        json_post = await client.post(
            "/open311/v2/requests.json",
            json={"jurisdiction_id": "ciudad-juarez", "service_code": "x"},
            headers={"X-API-Key": key},
        )
        own_post = await client.post(
            "/open311/v2/requests.json",
            data={"api_key": key, "jurisdiction_id": "durban", "service_code": "x"},
        )
    assert own.status_code == 200 and own_post.status_code == 200
    for refused in (other, form_post, json_post):
        assert refused.status_code == 403
        assert "ciudad-juarez" in refused.json()[0]["description"]
