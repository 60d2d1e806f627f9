import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from usm_gateway.models import ApiClient, ApiKey
from usmkit.pagination import PageParams


class ApiClientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, client_id: uuid.UUID) -> ApiClient | None:
        return await self.session.get(ApiClient, client_id)

    async def get_by_name(self, name: str) -> ApiClient | None:
        return await self.session.scalar(select(ApiClient).where(ApiClient.name == name))

    async def add(self, client: ApiClient) -> ApiClient:
        self.session.add(client)
        await self.session.flush()
        await self.session.refresh(client)
        return client

    async def list(self, params: PageParams) -> Sequence[ApiClient]:
        query = select(ApiClient).order_by(ApiClient.name).limit(params.limit + 1)
        if params.after:
            query = query.where(ApiClient.name > str(params.after[0]))
        return (await self.session.scalars(query)).all()


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key_id: uuid.UUID, *, for_update: bool = False) -> ApiKey | None:
        query = select(ApiKey).where(ApiKey.id == key_id)
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def get_by_prefix(self, prefix: str) -> ApiKey | None:
        return await self.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))

    async def add(self, key: ApiKey) -> ApiKey:
        self.session.add(key)
        await self.session.flush()
        await self.session.refresh(key)
        return key

    async def list(self, params: PageParams, *, client_id: uuid.UUID | None) -> Sequence[ApiKey]:
        query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id).limit(params.limit + 1)
        if params.after:
            created_at, key_id = params.after
            query = query.where(
                tuple_(ApiKey.created_at, ApiKey.id)
                > (datetime.fromisoformat(str(created_at)), uuid.UUID(str(key_id)))
            )
        if client_id is not None:
            query = query.where(ApiKey.client_id == client_id)
        return (await self.session.scalars(query)).all()

    async def touch(self, key_id: uuid.UUID, at: datetime) -> None:
        await self.session.execute(
            update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=at)
        )
