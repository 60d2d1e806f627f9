import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from usm_gateway.keys import service
from usm_gateway.keys.repository import ApiClientRepository, ApiKeyRepository
from usm_gateway.keys.schemas import (
    ApiClientCreate,
    ApiClientRead,
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyRead,
)
from usm_gateway.state import AdminDep, GatewayDep, IdempotencyDep, SessionDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=PROBLEM_RESPONSES)


@router.post("/clients", response_model=ApiClientRead, status_code=status.HTTP_201_CREATED)
async def create_client(
    client_in: ApiClientCreate, session: SessionDep, admin: AdminDep, idempotency: IdempotencyDep
) -> ApiClientRead:
    """Register an API client (a portal or a partner deployment)."""

    async def write() -> ApiClientRead:
        client = await service.create_client(session=session, client_in=client_in)
        return ApiClientRead.model_validate(client)

    return await idempotency.run(session, ApiClientRead, write)


@router.get("/clients", response_model=Page[ApiClientRead])
async def list_clients(
    session: SessionDep, admin: AdminDep, page: PageParamsDep
) -> Page[ApiClientRead]:
    """API clients, by name."""
    rows = await ApiClientRepository(session).list(page)
    items, next_cursor = split_page(list(rows), page, lambda client: [client.name])
    return Page[ApiClientRead](
        items=[ApiClientRead.model_validate(client) for client in items], next_cursor=next_cursor
    )


@router.post("/keys", response_model=ApiKeyIssued, status_code=status.HTTP_201_CREATED)
async def issue_key(
    key_in: ApiKeyCreate, session: SessionDep, admin: AdminDep, idempotency: IdempotencyDep
) -> ApiKeyIssued:
    """Issue a key with scopes, cities and an expiry. The secret is shown only in this answer
    (and in its replay to a retry with the same `Idempotency-Key`, sealed with that key)."""

    async def write() -> ApiKeyIssued:
        key, secret = await service.issue_key(session=session, key_in=key_in)
        return ApiKeyIssued.of(key, secret)

    return await idempotency.run(session, ApiKeyIssued, write)


@router.get("/keys", response_model=Page[ApiKeyRead])
async def list_keys(
    session: SessionDep,
    admin: AdminDep,
    page: PageParamsDep,
    client_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[ApiKeyRead]:
    """Keys (never their secrets), oldest first."""
    rows = await ApiKeyRepository(session).list(page, client_id=client_id)
    items, next_cursor = split_page(
        list(rows), page, lambda key: [key.created_at.isoformat(), str(key.id)]
    )
    return Page[ApiKeyRead](
        items=[ApiKeyRead.model_validate(key) for key in items], next_cursor=next_cursor
    )


@router.post("/keys/{key_id}/rotate", response_model=ApiKeyIssued, status_code=201)
async def rotate_key(
    key_id: uuid.UUID,
    session: SessionDep,
    admin: AdminDep,
    gateway: GatewayDep,
    idempotency: IdempotencyDep,
) -> ApiKeyIssued:
    """Replace a key by a new one with the same grants; the old one stops working. A retry
    with the same `Idempotency-Key` gets the same new key instead of rotating again."""

    async def write() -> ApiKeyIssued:
        old_prefix, key, secret = await service.rotate_key(session=session, key_id=key_id)
        gateway.authenticator.forget(old_prefix)
        return ApiKeyIssued.of(key, secret)

    return await idempotency.run(session, ApiKeyIssued, write)


@router.post("/keys/{key_id}/revoke", response_model=ApiKeyRead)
async def revoke_key(
    key_id: uuid.UUID, session: SessionDep, admin: AdminDep, gateway: GatewayDep
) -> ApiKeyRead:
    """Revoke a key (idempotent). Other gateway replicas stop accepting it within
    `API_KEY_CACHE_S` seconds."""
    key = await service.revoke_key(session=session, key_id=key_id)
    gateway.authenticator.forget(key.prefix)
    return ApiKeyRead.model_validate(key)
