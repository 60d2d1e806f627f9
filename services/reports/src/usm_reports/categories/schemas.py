from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
ATTRIBUTE_CODE_PATTERN = r"^[A-Za-z0-9_-]+$"
Language = Literal["en", "es", "zu"]
LANGUAGES: tuple[Language, ...] = ("en", "es", "zu")
Sensitivity = Literal["normal", "sensitive"]
Dimension = Literal[
    "economic", "food", "health", "environmental", "personal", "community", "political"
]
Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
LIST_DATATYPES = frozenset({"singlevaluelist", "multivaluelist"})


class LocalizedName(BaseModel):
    """A name in each language; English is required and is the fallback."""

    model_config = ConfigDict(extra="forbid")

    en: str = Field(min_length=1, max_length=200)
    es: str | None = Field(default=None, min_length=1, max_length=200)
    zu: str | None = Field(default=None, min_length=1, max_length=200)


class LocalizedDescription(BaseModel):
    """A description in each language; English is required and is the fallback."""

    model_config = ConfigDict(extra="forbid")

    en: str = Field(min_length=1, max_length=2000)
    es: str | None = Field(default=None, min_length=1, max_length=2000)
    zu: str | None = Field(default=None, min_length=1, max_length=2000)


class AttributeValue(BaseModel):
    """One allowed answer of a list attribute."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=100, pattern=ATTRIBUTE_CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)


class AttributeDefinition(BaseModel):
    """An Open311 attribute: an extra question asked with reports of a category."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=50, pattern=ATTRIBUTE_CODE_PATTERN)
    datatype: Datatype
    required: bool = False
    values: list[AttributeValue] = Field(default_factory=list, max_length=100)
    order: int = Field(default=0, ge=0, le=1000)
    description: str = Field(min_length=1, max_length=500, description="The question asked.")
    datatype_description: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _values_fit_the_datatype(self) -> Self:
        if self.datatype in LIST_DATATYPES and not self.values:
            raise ValueError(f"a {self.datatype} attribute needs at least one value")
        if self.datatype not in LIST_DATATYPES and self.values:
            raise ValueError(f"a {self.datatype} attribute takes no values")
        keys = [value.key for value in self.values]
        if len(set(keys)) != len(keys):
            raise ValueError("value keys must be unique")
        return self


def _unique_attribute_codes(attributes: list[AttributeDefinition] | None) -> None:
    if attributes is None:
        return
    codes = [attribute.code for attribute in attributes]
    if len(set(codes)) != len(codes):
        raise ValueError("attribute codes must be unique")


EXAMPLE: dict[str, Any] = {
    "code": "streetlight",
    "names": {"en": "Broken streetlight", "es": "Alumbrado público dañado", "zu": "Isibani"},
    "descriptions": {"en": "A streetlight that is out, flickering or damaged."},
    "group": "Lighting and public space",
    "keywords": ["light", "dark", "lamp"],
    "dimension": "personal",
    "sensitivity": "normal",
    "attributes": [
        {
            "code": "pole_number",
            "datatype": "string",
            "required": False,
            "order": 1,
            "description": "The number painted on the pole, if you can see it.",
        }
    ],
    "agency_responsible": "eThekwini Electricity",
}


class CategoryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})

    code: str = Field(min_length=1, max_length=50, pattern=SLUG_PATTERN)
    names: LocalizedName
    descriptions: LocalizedDescription | None = None
    group: str | None = Field(default=None, min_length=1, max_length=100)
    keywords: list[str] = Field(default_factory=list, max_length=30)
    dimension: Dimension
    sensitivity: Sensitivity
    attributes: list[AttributeDefinition] = Field(default_factory=list, max_length=50)
    agency_responsible: str | None = Field(default=None, min_length=1, max_length=200)
    active: bool = True

    @model_validator(mode="after")
    def _check(self) -> Self:
        _unique_attribute_codes(self.attributes)
        if any(not 1 <= len(keyword) <= 50 for keyword in self.keywords):
            raise ValueError("keywords must have 1 to 50 characters")
        return self


class CategoryUpdate(BaseModel):
    """Only the fields given change; `code` never does."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"active": False}, {"agency_responsible": "SAPS"}]},
    )

    names: LocalizedName | None = None
    descriptions: LocalizedDescription | None = None
    group: str | None = Field(default=None, min_length=1, max_length=100)
    keywords: list[str] | None = Field(default=None, max_length=30)
    dimension: Dimension | None = None
    sensitivity: Sensitivity | None = None
    attributes: list[AttributeDefinition] | None = Field(default=None, max_length=50)
    agency_responsible: str | None = Field(default=None, min_length=1, max_length=200)
    active: bool | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        _unique_attribute_codes(self.attributes)
        if self.keywords and any(not 1 <= len(keyword) <= 50 for keyword in self.keywords):
            raise ValueError("keywords must have 1 to 50 characters")
        return self


class CategoryRead(BaseModel):
    """A category, with its name and description in the negotiated language."""

    city: str
    code: str
    name: str = Field(description="In the language chosen by `Accept-Language` (else English).")
    description: str | None = Field(description="As `name`; null when there is none.")
    names: LocalizedName
    descriptions: LocalizedDescription | None
    group: str | None
    keywords: list[str]
    dimension: Dimension
    sensitivity: Sensitivity
    attributes: list[AttributeDefinition]
    agency_responsible: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
