"""Who is calling: anonymous, or a bearer token from the dev issuer.

API keys and OIDC issuers are the gateway issue's work; they plug in here.
"""

from __future__ import annotations

import time
import uuid

import jwt
from fastapi import Request

from usm_gateway.config import GatewaySettings
from usmkit.auth import ROLE_SCOPES, Principal, scopes_for
from usmkit.problems import Unauthorized

DEV_ISSUER = "usm-dev"
DEV_AUDIENCE = "usm"
DEV_TOKEN_TTL_S = 12 * 3600


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


def authenticate(request: Request, settings: GatewaySettings, request_id: str) -> Principal:
    header = request.headers.get("authorization")
    if header is None:
        return Principal.anonymous(request_id)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token or not settings.dev_issuer_enabled:
        raise Unauthorized("Unsupported credentials.")
    try:
        claims = jwt.decode(
            token,
            settings.dev_issuer_secret.get_secret_value(),
            algorithms=["HS256"],
            audience=DEV_AUDIENCE,
            issuer=DEV_ISSUER,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized("The bearer token is invalid or expired.") from exc
    roles = [str(role) for role in claims.get("roles") or [] if role in ROLE_SCOPES]
    return Principal(
        subject=str(claims["sub"]),
        roles=roles,
        scopes=sorted(scopes_for(roles)),
        cities=[str(city) for city in claims.get("cities") or []],
        client_id=None,
        request_id=request_id,
    )
