"""`Idempotency-Key` on POST: the first response is stored with the effect and replayed."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usmkit.auth import PrincipalDep
from usmkit.problems import Conflict, UnprocessableContent

M = TypeVar("M", bound=BaseModel)

REPLAYED_HEADER = "Idempotent-Replayed"


class Idempotency:
    """Runs a write once per (caller, route, key); later calls get the stored answer."""

    def __init__(
        self, *, request: Request, response: Response, key: str | None, scope: str, body: bytes
    ) -> None:
        self.table = request.app.state.runtime.tables.idempotency_keys
        self.response = response
        self.key = key
        self.scope = scope
        self.request_hash = hashlib.sha256(body).hexdigest()

    async def run(
        self, session: AsyncSession, model: type[M], write: Callable[[], Awaitable[M]]
    ) -> M:
        if self.key is None:
            return await write()
        stored = (
            await session.execute(
                select(self.table.c.request_hash, self.table.c.response_body).where(
                    self.table.c.scope == self.scope,
                    self.table.c.idempotency_key == self.key,
                )
            )
        ).first()
        if stored is not None:
            if stored.request_hash != self.request_hash:
                raise UnprocessableContent(
                    "This Idempotency-Key was used with a different request body."
                )
            self.response.headers[REPLAYED_HEADER] = "true"
            return model.model_validate(stored.response_body)
        result = await write()
        claimed = await session.execute(
            insert(self.table)
            .values(
                scope=self.scope,
                idempotency_key=self.key,
                request_hash=self.request_hash,
                status_code=self.response.status_code or 200,
                response_body=result.model_dump(mode="json"),
            )
            .on_conflict_do_nothing()
            .returning(self.table.c.idempotency_key)
        )
        if claimed.first() is None:
            # A concurrent request with the same key won; ours rolls back.
            raise Conflict("A request with this Idempotency-Key is already being processed.")
        return result


async def get_idempotency(
    request: Request,
    response: Response,
    principal: PrincipalDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=200,
            description="Repeat a POST safely: the same key returns the first result.",
        ),
    ] = None,
) -> Idempotency:
    scope = f"{principal.client_id or principal.subject}:{request.method}:{request.url.path}"
    return Idempotency(
        request=request,
        response=response,
        key=idempotency_key,
        scope=scope,
        body=await request.body(),
    )


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
