"""`Idempotency-Key` on POST: the first response is stored with the effect and replayed."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usmkit.auth import Principal, PrincipalDep
from usmkit.problems import Conflict, UnprocessableContent

M = TypeVar("M", bound=BaseModel)

REPLAYED_HEADER = "Idempotent-Replayed"
# The request header, as ASGI gives it (FastAPI names `IdempotencyKeyHeader` parameters so).
KEY_HEADER = "idempotency-key"
NONCE_BYTES = 12


class Idempotency:
    """Runs a write once per (caller, route, key); later calls get the stored answer."""

    def __init__(
        self, *, table: Table, response: Response, key: str | None, scope: str, body: bytes
    ) -> None:
        self.table = table
        self.response = response
        self.key = key
        self.scope = scope
        self.request_hash = hashlib.sha256(body).hexdigest()

    def _key_hash(self, key: str) -> str:
        return hashlib.sha256(f"{self.scope}\x00{key}".encode()).hexdigest()

    def _cipher(self, key: str) -> AESGCM:
        derived = HKDF(
            algorithm=SHA256(), length=32, salt=self.scope.encode(), info=b"usm-idempotency"
        ).derive(key.encode())
        return AESGCM(derived)

    def _seal(self, key: str, model: BaseModel) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._cipher(key).encrypt(nonce, model.model_dump_json().encode(), None)

    def _open(self, key: str, sealed: bytes, model: type[M]) -> M:
        nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        return model.model_validate_json(self._cipher(key).decrypt(nonce, ciphertext, None))

    async def run(
        self, session: AsyncSession, model: type[M], write: Callable[[], Awaitable[M]]
    ) -> M:
        if self.key is None:
            return await write()
        key_hash = self._key_hash(self.key)
        stored = (
            await session.execute(
                select(self.table.c.request_hash, self.table.c.response_sealed).where(
                    self.table.c.scope == self.scope, self.table.c.key_hash == key_hash
                )
            )
        ).first()
        if stored is not None:
            if stored.request_hash != self.request_hash:
                raise UnprocessableContent(
                    "This Idempotency-Key was used with a different request body."
                )
            self.response.headers[REPLAYED_HEADER] = "true"
            return self._open(self.key, stored.response_sealed, model)
        result = await write()
        claimed = await session.execute(
            insert(self.table)
            .values(
                scope=self.scope,
                key_hash=key_hash,
                request_hash=self.request_hash,
                response_sealed=self._seal(self.key, result),
            )
            .on_conflict_do_nothing()
            .returning(self.table.c.key_hash)
        )
        if claimed.first() is None:
            # A concurrent request with the same key won; ours rolls back.
            raise Conflict("A request with this Idempotency-Key is already being processed.")
        return result


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        min_length=16,
        max_length=200,
        description=(
            "Repeat a POST safely: the same key returns the first result, for 24 hours "
            "(the deployment's `IDEMPOTENCY_KEY_RETENTION_HOURS`). Use an unguessable value "
            "such as a UUID: for anonymous callers the key is the only thing that ties a "
            "retry to the first request."
        ),
    ),
]


async def idempotency_for(
    request: Request, response: Response, principal: Principal, key: str | None, table: Table
) -> Idempotency:
    """The Idempotency of one request: keys are scoped to the caller and the route."""
    scope = f"{principal.client_id or principal.subject}:{request.method}:{request.url.path}"
    return Idempotency(
        table=table,
        response=response,
        key=key,
        scope=scope,
        # Only a keyed request is ever compared with a stored one: skip hashing otherwise.
        body=await request.body() if key is not None else b"",
    )


async def get_idempotency(
    request: Request,
    response: Response,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Idempotency:
    table = request.app.state.runtime.tables.idempotency_keys
    return await idempotency_for(request, response, principal, idempotency_key, table)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
