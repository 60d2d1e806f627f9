"""Bearer tokens from a trusted OIDC issuer, checked against its JWKS served over real HTTP."""

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from usmdev.pytest_plugin import GatewayFactory
from usmdev.servers import serve
from usmkit.auth import verify_internal_token
from usmkit.settings import DEVELOPMENT_SECRET

ISSUER = "https://id.durban.example"
AUDIENCE = "usm-api"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNING = rsa_key()
ROTATED_IN = rsa_key()
STRANGER = rsa_key()


class Jwks:
    """The issuer's published keys; a test may add one later (key rotation)."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {"k1": SIGNING}
        self.fetches = 0

    async def endpoint(self, request: Request) -> JSONResponse:
        self.fetches += 1
        keys = []
        for kid, key in self.keys.items():
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return JSONResponse({"keys": keys})


@pytest.fixture
async def issuer() -> AsyncIterator[tuple[Jwks, str]]:
    jwks = Jwks()
    async with serve(Starlette(routes=[Route("/jwks.json", jwks.endpoint)])) as url:
        yield jwks, f"{url}/jwks.json"


def token(key: rsa.RSAPrivateKey = SIGNING, *, kid: str = "k1", **claims: Any) -> str:
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "ana@durban",
        "iat": now,
        "exp": now + 300,
        "realm_access": {"roles": ["city_analyst", "unknown-role"]},
        "cities": ["durban"],
        **claims,
    }
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


def unsigned(**claims: Any) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "mallory",
        "exp": now + 300,
        "realm_access": {"roles": ["platform_admin"]},
        **claims,
    }
    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{part(body)}."


async def call(client: Any, bearer: str) -> Any:
    return await client.get("/api/v1/indicators/x", headers={"Authorization": f"Bearer {bearer}"})


async def test_valid_tokens_become_principals_with_roles_from_claims(
    issuer: tuple[Jwks, str], upstream: str, usm_gateway: GatewayFactory
) -> None:
    _, jwks_url = issuer
    oidc = [
        {
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "jwks_url": jwks_url,
            "roles_claim": "realm_access.roles",
        }
    ]
    async with usm_gateway({"indicators": upstream}, oidc_issuers=oidc) as client:
        response = await call(client, token())
    assert response.status_code == 200
    internal = response.json()["headers"]["authorization"].removeprefix("Bearer ")
    principal = verify_internal_token(internal, audience="indicators", secret=DEVELOPMENT_SECRET)
    assert (principal.subject, principal.roles, principal.cities) == (
        "ana@durban",
        ["city_analyst"],
        ["durban"],
    )


async def test_bad_tokens_are_refused(
    issuer: tuple[Jwks, str], upstream: str, usm_gateway: GatewayFactory
) -> None:
    _, jwks_url = issuer
    oidc = [
        {
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "jwks_url": jwks_url,
            "roles_claim": "realm_access.roles",
        }
    ]
    now = int(time.time())
    cases = {
        "bad signature": token(STRANGER),
        "wrong issuer": token(iss="https://evil.example"),
        "expired": token(exp=now - 3600, iat=now - 7200),
        "not yet valid": token(nbf=now + 3600),
        "wrong audience": token(aud="someone-else"),
        "unknown kid": token(kid="k9"),
        "alg none": unsigned(),
        "hs256 with the public key as secret": jwt.encode(
            {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": now + 60},
            "k" * 32,
            algorithm="HS256",
            headers={"kid": "k1"},
        ),
        "garbage": "not.a.jwt",
    }
    async with usm_gateway({"indicators": upstream}, oidc_issuers=oidc) as client:
        statuses = {
            name: (await call(client, bearer)).status_code for name, bearer in cases.items()
        }
    assert statuses == dict.fromkeys(cases, 401)


async def test_a_new_signing_key_is_fetched_on_an_unknown_kid(
    issuer: tuple[Jwks, str], upstream: str, usm_gateway: GatewayFactory
) -> None:
    jwks, jwks_url = issuer
    oidc = [{"issuer": ISSUER, "audience": AUDIENCE, "jwks_url": jwks_url}]
    async with usm_gateway(
        {"indicators": upstream}, oidc_issuers=oidc, jwks_refresh_min_s=0
    ) as client:
        assert (await call(client, token())).status_code == 200
        assert (await call(client, token())).status_code == 200
        assert jwks.fetches == 1  # cached
        jwks.keys["k2"] = ROTATED_IN
        rotated = await call(client, token(ROTATED_IN, kid="k2"))
    assert rotated.status_code == 200
    assert jwks.fetches == 2
