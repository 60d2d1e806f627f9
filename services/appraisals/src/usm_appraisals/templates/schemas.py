import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from usm_appraisals.appraisals.schemas import Dimension, ShortText

TemplateStatus = Literal["active", "retired"]
ScaleName = Literal["severity", "likelihood", "strength"]
Prompt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
ScaleLabel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# Labels of the levels 1 to 5, in order.
Scale = Annotated[list[ScaleLabel], Field(min_length=5, max_length=5)]


class TemplateSection(BaseModel):
    """A part of the appraisal on one human-security dimension, with prompts for the group."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    dimension: Dimension
    title: str = Field(min_length=1, max_length=300)
    prompts: list[Prompt] = Field(min_length=1, max_length=30)


EXAMPLE_TEMPLATE: dict[str, Any] = {
    "name": "Neighbourhood appraisal (standard)",
    "description": "The seven dimensions of human security, with prompts for the group.",
    "language": "en",
    "sections": [
        {
            "dimension": "personal",
            "title": "Personal security",
            "prompts": ["Where and when do people feel unsafe?", "Who is hurt most?"],
        }
    ],
    "default_affected_groups": ["women", "youth", "older people"],
    "scales": {
        "severity": ["very low", "low", "medium", "high", "very high"],
        "likelihood": ["rare", "unlikely", "possible", "likely", "almost certain"],
    },
}


def _check_sections(sections: list[TemplateSection] | None) -> None:
    titles = [section.title.casefold() for section in sections or []]
    if len(set(titles)) != len(titles):
        raise ValueError("Two sections share a title.")


class TemplateCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [EXAMPLE_TEMPLATE]},
    )

    name: str = Field(min_length=1, max_length=200, description="Unique in the city.")
    description: str | None = Field(default=None, max_length=4000)
    language: str = Field(pattern=r"^[a-z]{2}$", description="ISO 639-1 code of the text.")
    sections: list[TemplateSection] = Field(min_length=1, max_length=50)
    default_affected_groups: list[ShortText] = Field(
        default_factory=list,
        max_length=30,
        description="Given to an insecurity that names no affected groups.",
    )
    scales: dict[ScaleName, Scale] = Field(
        default_factory=dict, description="Labels of levels 1-5 for the scales it names."
    )

    @model_validator(mode="after")
    def _unique_titles(self) -> Self:
        _check_sections(self.sections)
        return self


class TemplateUpdate(BaseModel):
    """Fields to replace; those left out keep their value (lists and scales are replaced)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"status": "retired"}]},
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
    sections: list[TemplateSection] | None = Field(default=None, min_length=1, max_length=50)
    default_affected_groups: list[ShortText] | None = Field(default=None, max_length=30)
    scales: dict[ScaleName, Scale] | None = None
    status: TemplateStatus | None = Field(
        default=None, description="A retired template is kept but new appraisals cannot use it."
    )

    @model_validator(mode="after")
    def _unique_titles(self) -> Self:
        _check_sections(self.sections)
        return self


class TemplateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    city: str
    name: str
    description: str | None
    language: str
    sections: list[TemplateSection]
    default_affected_groups: list[str]
    scales: dict[ScaleName, list[str]]
    status: TemplateStatus
    created_by: str
    created_at: datetime
    version: int = Field(description='The ETag is this number in quotes: `"<version>"`.')
