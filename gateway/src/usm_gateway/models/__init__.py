"""Tables the gateway owns: API clients, their hashed keys, and idempotency keys."""

from sqlalchemy.orm import DeclarativeBase

from usmkit.db import new_metadata
from usmkit.tables import define_idempotency_table


class Base(DeclarativeBase):
    metadata = new_metadata()


idempotency_keys = define_idempotency_table(Base.metadata)

from usm_gateway.models.client import ApiClient, ApiKey  # noqa: E402

__all__ = ["ApiClient", "ApiKey", "Base", "idempotency_keys"]
