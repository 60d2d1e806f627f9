import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from usm_network.cities.schemas import SLUG_PATTERN
from usmkit.pagination import Page

KnowledgeKind = Literal["practice", "case_study", "lesson", "tool", "policy", "plan_summary"]
Dimension = Literal[
    "economic", "food", "health", "environmental", "personal", "community", "political"
]
Language = Literal["en", "es"]
CommentKind = Literal["comment", "question"]
Tag = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=50)]
Licence = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9.+-]{2,50}$",
        description="SPDX licence id, e.g. `CC-BY-4.0`.",
    ),
]

_EXAMPLE: dict[str, Any] = {
    "kind": "practice",
    "title": "Lighting walking routes to schools",
    "summary": "Residents mapped dark routes; the city lit them first.",
    "body": "## What we did\n\n- Night walks with parents\n- **Lit** the worst routes first",
    "dimensions": ["personal", "community"],
    "tags": ["lighting", "schools"],
    "origin_city": "durban",
    "language": "en",
    "licence": "CC-BY-4.0",
}


class KnowledgeItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    kind: KnowledgeKind
    title: str = Field(min_length=1, max_length=300)
    summary: str = Field(min_length=1, max_length=4000)
    body: str = Field(default="", max_length=100_000, description="Markdown.")
    dimensions: list[Dimension] = Field(default_factory=list, max_length=7)
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    origin_city: str = Field(min_length=2, max_length=100, pattern=SLUG_PATTERN)
    language: Language
    licence: Licence = "CC-BY-4.0"
    published_at: datetime | None = Field(default=None, description="Defaults to now.")


class KnowledgeItemUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"tags": ["lighting", "schools", "night"]}]}
    )

    kind: KnowledgeKind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=300)
    summary: str | None = Field(default=None, min_length=1, max_length=4000)
    body: str | None = Field(default=None, max_length=100_000)
    dimensions: list[Dimension] | None = Field(default=None, max_length=7)
    tags: list[Tag] | None = Field(default=None, max_length=20)
    language: Language | None = None
    licence: Licence | None = None


class KnowledgeItemRead(BaseModel):
    id: uuid.UUID
    kind: str
    origin_city: str
    origin_node: str | None = Field(
        description="The deployment that owns this item; null when it is this one."
    )
    title: str
    summary: str
    body: str = Field(description="Markdown with any raw HTML removed.")
    body_html: str = Field(description="The body rendered to a small, safe subset of HTML.")
    dimensions: list[str]
    tags: list[str]
    language: str
    licence: str
    version: int
    published_at: datetime
    updated_at: datetime


class KnowledgeFacets(BaseModel):
    """How many matching items there are per value (over every page of the result)."""

    kind: dict[str, int]
    dimension: dict[str, int]
    language: dict[str, int]


class KnowledgeSearchPage(Page[KnowledgeItemRead]):
    facets: KnowledgeFacets


class KnowledgeCommentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "question",
                    "city": "ciudad-juarez",
                    "body": "How did you choose which routes to light first?",
                }
            ]
        },
    )

    kind: CommentKind = "comment"
    city: str = Field(
        min_length=2,
        max_length=100,
        pattern=SLUG_PATTERN,
        description="The city you write for; one of your cities.",
    )
    body: str = Field(min_length=1, max_length=4000)


class KnowledgeCommentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    item_id: uuid.UUID
    kind: CommentKind
    city: str
    author: str
    body: str
    created_at: datetime
