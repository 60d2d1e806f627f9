"""Tables the gateway owns: API clients and their hashed keys."""

from sqlalchemy.orm import DeclarativeBase

from usmkit.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


from usm_gateway.models.client import ApiClient, ApiKey  # noqa: E402

__all__ = ["ApiClient", "ApiKey", "Base"]
