"""API clients and keys: keys are shown once and stored as a prefix and a hash."""

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from usm_gateway.keys.repository import ApiClientRepository, ApiKeyRepository
from usm_gateway.keys.schemas import ApiClientCreate, ApiKeyCreate
from usm_gateway.models import ApiClient, ApiKey
from usmkit.problems import Conflict, FieldError, NotFound, UnprocessableContent

KEY_PREFIX = "usm"
PREFIX_BYTES = 6
SECRET_BYTES = 32


def hash_secret(secret: str) -> str:
    # Keys carry 256 random bits, so a fast hash is enough (no stretching needed).
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(presented: str) -> tuple[str, str] | None:
    """`usm_<prefix>_<secret>` → (prefix, secret); None when it is not shaped like a key."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def secret_matches(key: ApiKey, secret: str) -> bool:
    return hmac.compare_digest(key.secret_hash, hash_secret(secret))


def usable(key: ApiKey, now: datetime) -> bool:
    return key.revoked_at is None and (key.expires_at is None or key.expires_at > now)


async def create_client(*, session: AsyncSession, client_in: ApiClientCreate) -> ApiClient:
    """Register an API client (a portal or a partner machine)."""
    repository = ApiClientRepository(session)
    if await repository.get_by_name(client_in.name) is not None:
        raise Conflict(f"A client named {client_in.name!r} exists.")
    return await repository.add(ApiClient(id=uuid.uuid4(), **client_in.model_dump()))


async def issue_key(*, session: AsyncSession, key_in: ApiKeyCreate) -> tuple[ApiKey, str]:
    """Create a key; returns it with the secret, which is not stored."""
    if await ApiClientRepository(session).get(key_in.client_id) is None:
        raise UnprocessableContent(
            "Unknown client.",
            errors=[FieldError(loc=["body", "client_id"], msg="No such client.", type="unknown")],
        )
    if key_in.expires_at is not None and key_in.expires_at <= datetime.now(UTC):
        raise UnprocessableContent(
            "The expiry is in the past.",
            errors=[FieldError(loc=["body", "expires_at"], msg="In the past.", type="past")],
        )
    return await _new_key(
        session, key_in.client_id, key_in.scopes, key_in.cities, key_in.expires_at
    )


async def _new_key(
    session: AsyncSession,
    client_id: uuid.UUID,
    scopes: list[str],
    cities: list[str],
    expires_at: datetime | None,
) -> tuple[ApiKey, str]:
    prefix = secrets.token_hex(PREFIX_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    key = await ApiKeyRepository(session).add(
        ApiKey(
            id=uuid.uuid4(),
            client_id=client_id,
            prefix=prefix,
            secret_hash=hash_secret(secret),
            scopes=scopes,
            cities=cities,
            expires_at=expires_at,
        )
    )
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


async def revoke_key(*, session: AsyncSession, key_id: uuid.UUID) -> ApiKey:
    """Revoke a key; revoking twice changes nothing."""
    key = await ApiKeyRepository(session).get(key_id, for_update=True)
    if key is None:
        raise NotFound("No such key.")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
    return key


async def rotate_key(*, session: AsyncSession, key_id: uuid.UUID) -> tuple[str, ApiKey, str]:
    """Replace a key by a new one with the same grants; the old one is revoked.
    Returns the old key's prefix, the new key and its secret."""
    old = await ApiKeyRepository(session).get(key_id, for_update=True)
    if old is None:
        raise NotFound("No such key.")
    if old.revoked_at is not None:
        raise Conflict("A revoked key cannot be rotated; issue a new one.")
    old.revoked_at = datetime.now(UTC)
    key, secret = await _new_key(
        session, old.client_id, list(old.scopes), list(old.cities), old.expires_at
    )
    return old.prefix, key, secret
