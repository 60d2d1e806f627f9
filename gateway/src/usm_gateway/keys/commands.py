"""`usm keys ...`: the key lifecycle of the admin API, run on the gateway's database.

This is how an operator issues the first `platform_admin` key, before anyone can call the
admin API, and how keys are managed from a shell. Same service functions, same validation.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from usm_gateway.config import GatewaySettings
from usm_gateway.keys import service
from usm_gateway.keys.repository import ApiClientRepository, ApiKeyRepository
from usm_gateway.keys.schemas import (
    ApiClientCreate,
    ApiClientRead,
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyRead,
)
from usmkit.db import Database
from usmkit.pagination import PageParams
from usmkit.problems import NotFound

T = TypeVar("T")
LIST_LIMIT = 10_000


async def in_transaction(action: Callable[[AsyncSession], Awaitable[T]]) -> T:
    database = Database(GatewaySettings().database_url)
    try:
        async with database.transaction() as session:
            return await action(session)
    finally:
        await database.dispose()


async def create_client(name: str, description: str) -> ApiClientRead:
    client_in = ApiClientCreate(name=name, description=description)

    async def action(session: AsyncSession) -> ApiClientRead:
        client = await service.create_client(session=session, client_in=client_in)
        return ApiClientRead.model_validate(client)

    return await in_transaction(action)


async def issue_key(
    client_name: str, scopes: list[str], cities: list[str], expires_at: datetime | None
) -> ApiKeyIssued:
    async def action(session: AsyncSession) -> ApiKeyIssued:
        client = await ApiClientRepository(session).get_by_name(client_name)
        if client is None:
            raise NotFound(f"No client named {client_name!r}; create it first.")
        key_in = ApiKeyCreate(
            client_id=client.id, scopes=scopes, cities=cities, expires_at=expires_at
        )
        key, secret = await service.issue_key(session=session, key_in=key_in)
        return ApiKeyIssued.of(key, secret)

    return await in_transaction(action)


async def list_keys() -> list[ApiKeyRead]:
    async def action(session: AsyncSession) -> list[ApiKeyRead]:
        keys = await ApiKeyRepository(session).list(
            PageParams(limit=LIST_LIMIT, after=None), client_id=None
        )
        return [ApiKeyRead.model_validate(key) for key in keys]

    return await in_transaction(action)


async def rotate_key(key_id: uuid.UUID) -> ApiKeyIssued:
    async def action(session: AsyncSession) -> ApiKeyIssued:
        _, key, secret = await service.rotate_key(session=session, key_id=key_id)
        return ApiKeyIssued.of(key, secret)

    return await in_transaction(action)


async def revoke_key(key_id: uuid.UUID) -> ApiKeyRead:
    async def action(session: AsyncSession) -> ApiKeyRead:
        return ApiKeyRead.model_validate(await service.revoke_key(session=session, key_id=key_id))

    return await in_transaction(action)
