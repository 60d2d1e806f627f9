"""Who is calling: an API key, a bearer token (OIDC issuer or the dev issuer), or nobody."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import jwt
from fastapi import Request

from usm_gateway.config import GatewaySettings, OidcIssuer
from usm_gateway.keys import service as keys
from usm_gateway.keys.repository import ApiKeyRepository
from usm_gateway.models import ApiKey
from usm_gateway.upstream import Upstream, UpstreamError
from usmkit.auth import ROLE_SCOPES, Principal, scopes_for
from usmkit.db import Database
from usmkit.policy import OPEN311_PREFIX
from usmkit.problems import Forbidden, Unauthorized

DEV_ISSUER = "usm-dev"
DEV_AUDIENCE = "usm"
DEV_TOKEN_TTL_S = 12 * 3600
KEY_TOUCH_INTERVAL_S = 60.0
JWKS_TIMEOUT_S = 5.0


def mint_dev_token(*, secret: str, subject: str, roles: list[str], cities: list[str]) -> str:
    unknown = sorted(set(roles) - set(ROLE_SCOPES))
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(unknown)}")
    now = int(time.time())
    claims = {
        "iss": DEV_ISSUER,
        "aud": DEV_AUDIENCE,
        "sub": subject,
        "iat": now,
        "exp": now + DEV_TOKEN_TTL_S,
        "jti": str(uuid.uuid4()),
        "roles": roles,
        "cities": cities,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def claim_at(claims: dict[str, Any], path: str) -> list[str]:
    """A list claim at a dotted path (`realm_access.roles`); missing → empty."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return []
        value = value.get(part)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value]
    return []


def principal_from_roles(
    subject: str, roles: list[str], cities: list[str], request_id: str, client_id: str | None
) -> Principal:
    known = [role for role in roles if role in ROLE_SCOPES]
    return Principal(
        subject=subject,
        roles=known,
        scopes=sorted(scopes_for(known)),
        cities=cities,
        client_id=client_id,
        request_id=request_id,
    )


class JwksCache:
    """Signing keys of one issuer, cached and refreshed when an unknown `kid` appears."""

    def __init__(self, issuer: OidcIssuer, ttl_s: float, refresh_min_s: float) -> None:
        self.issuer = issuer
        self.ttl_s = ttl_s
        self.refresh_min_s = refresh_min_s
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = -1e9
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str, client: Upstream) -> jwt.PyJWK:
        stale = time.monotonic() - self._fetched_at > self.ttl_s
        if kid not in self._keys or stale:
            async with self._lock:
                age = time.monotonic() - self._fetched_at
                if age > self.ttl_s or (kid not in self._keys and age >= self.refresh_min_s):
                    await self._fetch(client)
        key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("The token was signed with an unknown key.")
        return key

    async def _fetch(self, client: Upstream) -> None:
        try:
            answer = await client.request("GET", self.issuer.jwks_url, timeout_s=JWKS_TIMEOUT_S)
            if answer.status != 200:
                raise ValueError(f"JWKS answered {answer.status}")
            document = answer.json()
            keys = {
                str(entry["kid"]): jwt.PyJWK(entry)
                for entry in document.get("keys", [])
                if isinstance(entry, dict) and "kid" in entry
            }
        except (UpstreamError, ValueError, KeyError, AttributeError, jwt.PyJWTError) as exc:
            raise Unauthorized("The token issuer's keys are unavailable; try again.") from exc
        self._keys = keys
        self._fetched_at = time.monotonic()


@dataclass
class CachedKey:
    key: ApiKey
    loaded_at: float


class Authenticator:
    """Turns a request's credentials into a Principal, or refuses them (401)."""

    def __init__(self, settings: GatewaySettings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self.jwks = {
            issuer.issuer: JwksCache(issuer, settings.jwks_cache_s, settings.jwks_refresh_min_s)
            for issuer in settings.oidc_issuers
        }
        self._keys: dict[str, CachedKey] = {}

    async def authenticate(
        self, request: Request, client: Upstream, body: bytes = b""
    ) -> Principal:
        request_id: str = request.state.request_id
        # The scope's path, not `request.url`: building the URL costs more than the check.
        open311 = request.scope["path"].startswith(OPEN311_PREFIX)
        api_key = request.headers.get("x-api-key")
        if api_key is None and open311:
            api_key = request.query_params.get("api_key") or _form_field(request, body, "api_key")
        authorization = request.headers.get("authorization")
        if api_key is not None:
            principal = await self._from_api_key(api_key, request_id)
            if open311:
                _check_jurisdiction(principal, request, body)
            return principal
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise Unauthorized("Use `Authorization: Bearer <token>` or an API key.")
            return await self._from_bearer(token.strip(), request_id, client)
        return Principal.anonymous(request_id)

    async def _from_api_key(self, presented: str, request_id: str) -> Principal:
        parts = keys.split_key(presented)
        if parts is None:
            raise Unauthorized("The API key is not valid.")
        prefix, secret = parts
        key = await self._load_key(prefix)
        now = datetime.now(UTC)
        if key is None or not keys.secret_matches(key, secret) or not keys.usable(key, now):
            raise Unauthorized("The API key is not valid, has expired or was revoked.")
        await self._touch(key, now)
        return Principal(
            subject=f"api-key:{key.prefix}",
            roles=[],
            scopes=list(key.scopes),
            cities=list(key.cities),
            client_id=str(key.client_id),
            request_id=request_id,
        )

    async def _load_key(self, prefix: str) -> ApiKey | None:
        cached = self._keys.get(prefix)
        if (
            cached is not None
            and time.monotonic() - cached.loaded_at < self.settings.api_key_cache_s
        ):
            return cached.key
        async with self.database.sessions() as session:
            key = await ApiKeyRepository(session).get_by_prefix(prefix)
        if key is None:
            self._keys.pop(prefix, None)
            return None
        self._keys[prefix] = CachedKey(key=key, loaded_at=time.monotonic())
        return key

    def forget(self, prefix: str) -> None:
        """Drop a cached key (after revocation or rotation on this replica)."""
        self._keys.pop(prefix, None)

    async def _touch(self, key: ApiKey, now: datetime) -> None:
        """Record use at most once a minute per key, so reads do not become writes."""
        last = key.last_used_at
        if last is not None and (now - last).total_seconds() < KEY_TOUCH_INTERVAL_S:
            return
        key.last_used_at = now
        async with self.database.transaction() as session:
            await ApiKeyRepository(session).touch(key.id, now)

    async def _from_bearer(self, token: str, request_id: str, client: Upstream) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError as exc:
            raise Unauthorized("The bearer token is malformed.") from exc
        if issuer == DEV_ISSUER and self.settings.dev_issuer_enabled:
            claims = self._verify(
                token,
                self.settings.dev_issuer_secret.get_secret_value(),
                ["HS256"],
                DEV_AUDIENCE,
                DEV_ISSUER,
            )
            return principal_from_roles(
                str(claims["sub"]),
                claim_at(claims, "roles"),
                claim_at(claims, "cities"),
                request_id,
                None,
            )
        cache = self.jwks.get(str(issuer))
        if cache is None:
            raise Unauthorized("The token's issuer is not trusted here.")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise Unauthorized("The token has no key id.")
        signing_key = await cache.key_for(kid, client)
        config = cache.issuer
        claims = self._verify(
            token, signing_key.key, config.algorithms, config.audience, config.issuer
        )
        return principal_from_roles(
            str(claims["sub"]),
            claim_at(claims, config.roles_claim),
            claim_at(claims, config.cities_claim),
            request_id,
            str(claims["azp"]) if "azp" in claims else None,
        )

    @staticmethod
    def _verify(
        token: str, key: Any, algorithms: list[str], audience: str, issuer: str
    ) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=audience,
                issuer=issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized("The bearer token is invalid or expired.") from exc
        return claims


def _form_field(request: Request, body: bytes, name: str) -> str | None:
    """A field of an Open311 POST body, form-encoded (as the spec says) or JSON."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("utf-8", errors="replace")).get(name)
        return values[0] if values else None
    if content_type.startswith("application/json"):
        try:
            document = json.loads(body)
        except ValueError:
            return None  # the service answers the malformed body
        value = document.get(name) if isinstance(document, dict) else None
        return value if isinstance(value, str) else None
    return None


def _check_jurisdiction(principal: Principal, request: Request, body: bytes) -> None:
    """An API key acts only in its cities; on Open311 paths the city is `jurisdiction_id`."""
    jurisdiction = request.query_params.get("jurisdiction_id") or _form_field(
        request, body, "jurisdiction_id"
    )
    if jurisdiction is not None and not principal.acts_in(jurisdiction):
        raise Forbidden(f"This API key may not act in the jurisdiction {jurisdiction!r}.")
