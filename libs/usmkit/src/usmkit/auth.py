"""Principals, roles and scopes, and the internal JWT the gateway sends to services."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel, Field

from usmkit.problems import Forbidden, Unauthorized

INTERNAL_ISSUER = "usm-gateway"
INTERNAL_TOKEN_TTL_S = 60
ALL_CITIES = "*"

_PUBLIC = frozenset({"public:read", "reports:submit"})
_RESIDENT = _PUBLIC | {"reports:track"}
_WG_MEMBER = _RESIDENT | {"appraisals:read", "appraisals:write"}
_WG_FACILITATOR = _WG_MEMBER | {"appraisals:manage", "appraisals:contacts:read"}
_CITY_ANALYST = _PUBLIC | {
    "indicators:read",
    "indicators:write",
    "reports:read",
    "appraisals:read",
    "network:read",
}
_CITY_ADMIN = (
    _CITY_ANALYST
    | _WG_FACILITATOR
    | {
        "indicators:admin",
        "geography:write",
        "reports:moderate",
        "reports:sensitive:read",
        "reports:contacts:read",
        "reports:admin",
        "network:write",
    }
)
_PARTNER_NODE = frozenset({"public:read", "network:sync"})

# The role → scope mapping is data: the gateway publishes it and tests check it.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "public": _PUBLIC,
    "resident": frozenset(_RESIDENT),
    "wg_member": frozenset(_WG_MEMBER),
    "wg_facilitator": frozenset(_WG_FACILITATOR),
    "city_analyst": frozenset(_CITY_ANALYST),
    "city_admin": frozenset(_CITY_ADMIN),
    "partner_node": _PARTNER_NODE,
    "platform_admin": frozenset(_CITY_ADMIN | _PARTNER_NODE | {"platform:admin", "network:admin"}),
}


def scopes_for(roles: Iterable[str]) -> frozenset[str]:
    """Union of the scopes of known roles; unknown roles grant nothing."""
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_SCOPES.get(role, frozenset())
    return frozenset(granted)


_PUBLIC_SCOPES = tuple(sorted(ROLE_SCOPES["public"]))


class Principal(BaseModel):
    """Who is calling, as the gateway established it."""

    subject: str
    roles: list[str] = Field(default_factory=list)
    scopes: list[str] = Field(default_factory=list)
    cities: list[str] = Field(default_factory=list)
    client_id: str | None = None
    request_id: str | None = None

    @classmethod
    def anonymous(cls, request_id: str | None = None) -> Principal:
        # Built without validation: every field is a constant known to be valid, and this
        # runs on every anonymous call.
        return cls.model_construct(
            subject="anonymous",
            roles=["public"],
            scopes=list(_PUBLIC_SCOPES),
            cities=[],
            client_id=None,
            request_id=request_id,
        )

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def acts_in(self, city: str) -> bool:
        return ALL_CITIES in self.cities or city in self.cities


def _base64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


_HS256_HEADER = _base64url(b'{"alg":"HS256","typ":"JWT"}')


def mint_internal_token(
    principal: Principal, *, audience: str, secret: str, ttl_s: int = INTERNAL_TOKEN_TTL_S
) -> str:
    now = int(time.time())
    claims = {
        "iss": INTERNAL_ISSUER,
        "aud": audience,
        "sub": principal.subject,
        "iat": now,
        "nbf": now - 5,
        "exp": now + ttl_s,
        "jti": str(uuid.uuid4()),
        "roles": principal.roles,
        "scopes": principal.scopes,
        "cities": principal.cities,
        "client_id": principal.client_id,
        "request_id": principal.request_id,
    }
    # Signed here rather than by PyJWT's encode, which re-checks the key and its options on
    # every call: a tenth of the gateway's time per request. It is the plain JWS compact
    # form (RFC 7515); PyJWT reads it as any HS256 JWT (`test_internal_token.py`).
    payload = _base64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = _HS256_HEADER + b"." + payload
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + _base64url(signature)).decode()


# Checked by hand rather than by PyJWT's decode, which checks the same at about five times
# the cost (≈ 50 µs), on every request of every service; the tests hold the two to agreeing.
_REQUIRED_CLAIMS = ("exp", "iat", "aud", "iss", "sub")
LEEWAY_S = 5


def _claims(token: str, *, audience: str, secret: str) -> dict[str, Any]:
    """The claims of a valid internal token; ValueError says why it is not one."""
    signing_input, _, signature = token.rpartition(".")
    header, _, payload = signing_input.partition(".")
    if not header or not payload or "." in payload:
        raise ValueError("not a JWS compact token")
    digest = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    # Compared as text: a signature spelled any other way is refused, and the header and
    # payload below are those the signature covers.
    if not hmac.compare_digest(_base64url(digest), signature.encode()):
        raise ValueError("bad signature")
    if _decoded(header).get("alg") != "HS256":
        raise ValueError("not HS256")
    claims = _decoded(payload)
    if any(name not in claims for name in _REQUIRED_CLAIMS):
        raise ValueError("a required claim is missing")
    now = time.time()
    times = [claims["exp"], claims["iat"], claims.get("nbf", 0)]
    if any(isinstance(value, bool) or not isinstance(value, int) for value in times):
        raise ValueError("times must be integers")
    exp, iat, nbf = times
    if exp <= now - LEEWAY_S or iat > now + LEEWAY_S or nbf > now + LEEWAY_S:
        raise ValueError("expired or not yet valid")
    aud = claims["aud"]
    if claims["iss"] != INTERNAL_ISSUER or not (
        aud == audience or (isinstance(aud, list) and audience in aud)
    ):
        raise ValueError("wrong issuer or audience")
    return claims


def _decoded(segment: str) -> dict[str, Any]:
    value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def verify_internal_token(token: str, *, audience: str, secret: str) -> Principal:
    try:
        claims = _claims(token, audience=audience, secret=secret)
        return Principal(
            subject=claims["sub"],
            roles=claims.get("roles") or [],
            scopes=claims.get("scopes") or [],
            cities=claims.get("cities") or [],
            client_id=claims.get("client_id"),
            request_id=claims.get("request_id"),
        )
    # ValueError covers bad base64 (binascii.Error), bad JSON, bad UTF-8 and bad claim types
    # (pydantic's ValidationError).
    except (ValueError, TypeError) as exc:
        raise Unauthorized("The internal token is missing, expired or invalid.") from exc


async def get_principal(request: Request) -> Principal:
    """Every service call must carry the gateway's internal token."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Calls must come through the gateway.")
    runtime = request.app.state.runtime
    return verify_internal_token(
        token,
        audience=runtime.service_name,
        secret=runtime.settings.internal_jwt_secret.get_secret_value(),
    )


PrincipalDep = Annotated[Principal, Depends(get_principal)]


class ScopeRequirement:
    """Base of dependencies that refuse principals without `scope`: `usmkit.policy` reads
    `scope` from them to know each route's policy (OpenAPI security, authorization matrix)."""

    def __init__(self, scope: str) -> None:
        self.scope = scope


class RequireScope(ScopeRequirement):
    """Refuses principals (from the internal token) without `scope`."""

    async def __call__(self, principal: PrincipalDep) -> Principal:
        if not principal.has_scope(self.scope):
            raise Forbidden(f"This needs the scope {self.scope!r}.")
        return principal


def require_scope(scope: str) -> RequireScope:
    return RequireScope(scope)


async def public_principal(principal: PrincipalDep) -> Principal:
    """Declares a route public: any caller, anonymous included (the route may still show
    more to callers with more scopes)."""
    return principal


PublicDep = Annotated[Principal, Depends(public_principal)]


def require_city(principal: Principal, city: str) -> None:
    """Writes and non-public reads happen only in the principal's own cities."""
    if not principal.acts_in(city):
        raise Forbidden(f"You may not act in the city {city!r}.")
