"""The gateway's process-wide parts, and dependencies for its own routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from usm_gateway.config import GatewaySettings
from usm_gateway.identity import Authenticator
from usm_gateway.models import idempotency_keys
from usm_gateway.openapi import MergedOpenAPI
from usm_gateway.ratelimit import RateLimiter
from usm_gateway.upstream import Upstream
from usmkit.auth import Principal, ScopeRequirement
from usmkit.db import Database
from usmkit.events.kafka import ProducerHolder
from usmkit.idempotency import Idempotency, IdempotencyKeyHeader, idempotency_for
from usmkit.problems import Forbidden


@dataclass
class Gateway:
    settings: GatewaySettings
    database: Database = field(init=False)
    authenticator: Authenticator = field(init=False)
    limiter: RateLimiter = field(init=False)
    openapi: MergedOpenAPI = field(init=False)
    broker: ProducerHolder = field(init=False)
    client: Upstream = field(init=False)

    def __post_init__(self) -> None:
        self.database = Database(
            self.settings.database_url, pool_size=self.settings.database_pool_size
        )
        self.authenticator = Authenticator(self.settings, self.database)
        self.limiter = RateLimiter(self.settings)
        self.openapi = MergedOpenAPI(self.settings)
        self.broker = ProducerHolder(self.settings, client_id="gateway")
        self.client = Upstream(self.settings)

    async def close(self) -> None:
        await self.client.close()
        await self.broker.close()
        await self.database.dispose()


async def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


async def get_session(gateway: GatewayDep) -> AsyncIterator[AsyncSession]:
    async with gateway.database.transaction() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_caller(request: Request, gateway: GatewayDep) -> Principal:
    """The caller of one of the gateway's own routes, rate-limited like any other."""
    principal = await gateway.authenticator.authenticate(request, gateway.client)
    client_ip = request.client.host if request.client else "unknown"
    gateway.limiter.check(principal, client_ip, request.method, request.url.path)
    return principal


class RequireGatewayScope(ScopeRequirement):
    """`require_scope` for the gateway's own routes, whose callers it authenticates itself."""

    async def __call__(self, principal: Annotated[Principal, Depends(get_caller)]) -> Principal:
        if not principal.has_scope(self.scope):
            raise Forbidden(f"This needs the scope {self.scope!r}.")
        return principal


AdminDep = Annotated[Principal, Depends(RequireGatewayScope("platform:admin"))]


async def get_idempotency(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(get_caller)],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Idempotency:
    return await idempotency_for(request, response, principal, idempotency_key, idempotency_keys)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
