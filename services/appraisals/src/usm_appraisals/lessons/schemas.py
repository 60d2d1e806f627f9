import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
LessonStatus = Literal["draft", "published"]


class LessonCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "city": "durban",
                    "title": "Lighting walking routes to schools",
                    "summary": "Residents mapped dark routes; the city lit them first.",
                    "language": "en",
                }
            ]
        },
    )

    city: str = Field(max_length=100, pattern=SLUG_PATTERN, description="Slug of a member city.")
    title: str = Field(min_length=1, max_length=300)
    summary: str = Field(min_length=1, max_length=4000)
    language: str = Field(pattern=r"^[a-z]{2}$", description="ISO 639-1 code, e.g. `en`.")


class LessonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    city: str
    title: str
    summary: str
    language: str
    status: LessonStatus
    created_at: datetime
    published_at: datetime | None
    version: int = Field(description='The ETag is this number in quotes: `"<version>"`.')
