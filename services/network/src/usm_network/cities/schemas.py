from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
CityRole = Literal["pilot", "learning", "partner"]


class CityCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "slug": "durban",
                    "name": "Durban (eThekwini)",
                    "country_code": "ZA",
                    "role": "pilot",
                }
            ]
        },
    )

    slug: str = Field(min_length=2, max_length=100, pattern=SLUG_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    country_code: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")
    role: CityRole


class CityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    name: str
    country_code: str
    role: CityRole
    member_since: date
    created_at: datetime
