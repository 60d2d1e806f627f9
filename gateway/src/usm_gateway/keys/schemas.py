from __future__ import annotations

import re
import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from usm_gateway.models import ApiKey
from usmkit.auth import ROLE_SCOPES

KNOWN_SCOPES = frozenset().union(*ROLE_SCOPES.values())
SLUG_OR_ALL = r"^(\*|[a-z0-9]+(-[a-z0-9]+)*)$"


class ApiClientCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "durban-safety-portal", "description": "Portal"}]},
    )

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)


class ApiClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str
    created_at: datetime


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "client_id": "0193a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
                    "scopes": ["public:read", "reports:submit"],
                    "cities": ["durban"],
                    "expires_at": "2027-12-31T23:59:59Z",
                }
            ]
        },
    )

    client_id: uuid.UUID
    scopes: list[str] = Field(min_length=1, max_length=50)
    cities: list[str] = Field(min_length=1, max_length=100)
    expires_at: datetime | None = None

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, scopes: list[str]) -> list[str]:
        unknown = sorted(set(scopes) - KNOWN_SCOPES)
        if unknown:
            raise ValueError(f"unknown scope(s): {', '.join(unknown)}")
        return sorted(set(scopes))

    @field_validator("cities")
    @classmethod
    def _city_slugs(cls, cities: list[str]) -> list[str]:
        bad = [city for city in cities if not re.match(SLUG_OR_ALL, city)]
        if bad:
            raise ValueError(f"not a city slug: {', '.join(bad)}")
        return sorted(set(cities))

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, expires_at: datetime | None) -> datetime | None:
        if expires_at is not None and expires_at.tzinfo is None:
            raise ValueError("give a time zone (e.g. Z)")
        return expires_at


class ApiKeyRead(BaseModel):
    """A key without its secret: the secret is shown once, at creation or rotation."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: uuid.UUID
    prefix: str
    scopes: list[str]
    cities: list[str]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class ApiKeyIssued(ApiKeyRead):
    key: str = Field(description="The secret key. Shown only now; store it safely.")

    @classmethod
    def of(cls, key: ApiKey, secret: str) -> ApiKeyIssued:
        return cls.model_validate({**ApiKeyRead.model_validate(key).model_dump(), "key": secret})
