import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from usm_appraisals.working_groups.schemas import DistrictCode
from usmkit.periods import PERIOD_DESCRIPTION, PERIOD_PATTERN

AppraisalStatus = Literal["draft", "in_review", "finalized"]
Dimension = Literal[
    "economic", "food", "health", "environmental", "personal", "community", "political"
]
Trend = Literal["improving", "stable", "worsening"]
# As indicators spells its codes (e.g. `SDG_16_1_1`), so plan targets are ones it can track.
IndicatorCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,49}$", max_length=50)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Level = Annotated[int, Field(ge=1, le=5)]


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    indicator_codes: list[IndicatorCode] = Field(
        default_factory=list, max_length=50, description="Codes of indicators that support it."
    )


class Insecurity(BaseModel):
    """A threat to people's human security, as the group appraised it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    dimension: Dimension
    description: str = Field(min_length=1, max_length=4000)
    affected_groups: list[ShortText] = Field(
        default_factory=list,
        max_length=30,
        description="Groups most affected (e.g. `young women`), never named persons.",
    )
    severity: Level
    likelihood: Level
    trend: Trend
    evidence: Evidence = Field(default_factory=Evidence)


class RootCause(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: str = Field(min_length=1, max_length=4000)
    dimensions: list[Dimension] = Field(default_factory=list, max_length=7)


class Capacity(BaseModel):
    """What protects people (institutions) or what they can do themselves (communities)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["protection", "empowerment"] = Field(
        description="`protection` by institutions, `empowerment` by communities."
    )
    actor: ShortText
    description: str | None = Field(default=None, max_length=4000)
    strength: Level


class Priority(BaseModel):
    """A priority as the group ranked it; votes and score are kept as recorded."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rank: int = Field(ge=1, le=1000)
    dimension: Dimension
    title: str = Field(min_length=1, max_length=300)
    votes: int | None = Field(default=None, ge=0)
    score: float | None = Field(default=None, ge=0, allow_inf_nan=False)


class AppraisalContent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    insecurities: list[Insecurity] = Field(default_factory=list, max_length=200)
    root_causes: list[RootCause] = Field(default_factory=list, max_length=200)
    capacities: list[Capacity] = Field(default_factory=list, max_length=200)
    priorities: list[Priority] = Field(default_factory=list, max_length=200)

    @model_validator(mode="after")
    def _ranks_are_unique(self) -> "AppraisalContent":
        _check_ranks(self.priorities)
        return self


def _check_ranks(priorities: list[Priority] | None) -> None:
    ranks = [priority.rank for priority in priorities or []]
    if len(set(ranks)) != len(ranks):
        raise ValueError("Two priorities share a rank.")


EXAMPLE_CONTENT: dict[str, Any] = {
    "insecurities": [
        {
            "dimension": "personal",
            "description": "Robberies on the walk to the taxi rank after dark.",
            "affected_groups": ["young women", "school children"],
            "severity": 4,
            "likelihood": 5,
            "trend": "worsening",
            "evidence": {"indicator_codes": ["SDG_16_1_1"]},
        }
    ],
    "root_causes": [{"description": "Unlit footpaths and no patrols.", "dimensions": ["personal"]}],
    "capacities": [
        {
            "kind": "empowerment",
            "actor": "Street committee",
            "description": "Walking groups at shift changes.",
            "strength": 3,
        }
    ],
    "priorities": [
        {"rank": 1, "dimension": "personal", "title": "Light the footpaths", "votes": 23}
    ],
}


class AppraisalCreate(AppraisalContent):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "working_group_id": "0193a3c4-0000-7000-8000-0000000000b1",
                    "title": "Inanda appraisal 2026",
                    "districts": ["DBN-INANDA"],
                    "period": "2026-Q1",
                    **EXAMPLE_CONTENT,
                }
            ]
        },
    )

    working_group_id: uuid.UUID
    title: str = Field(min_length=1, max_length=300)
    districts: list[DistrictCode] = Field(
        min_length=1, max_length=100, description="Districts appraised; within the group's area."
    )
    period: str = Field(pattern=PERIOD_PATTERN, max_length=10, description=PERIOD_DESCRIPTION)
    template_id: uuid.UUID | None = Field(
        default=None,
        description="An active template of the city: insecurities must fall in its sections' "
        "dimensions and get its default affected groups when they name none.",
    )


class AppraisalUpdate(BaseModel):
    """Fields to replace in a draft; those left out keep their value (lists are replaced)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"priorities": EXAMPLE_CONTENT["priorities"]}]},
    )

    title: str | None = Field(default=None, min_length=1, max_length=300)
    districts: list[DistrictCode] | None = Field(default=None, min_length=1, max_length=100)
    period: str | None = Field(
        default=None, pattern=PERIOD_PATTERN, max_length=10, description=PERIOD_DESCRIPTION
    )
    insecurities: list[Insecurity] | None = Field(default=None, max_length=200)
    root_causes: list[RootCause] | None = Field(default=None, max_length=200)
    capacities: list[Capacity] | None = Field(default=None, max_length=200)
    priorities: list[Priority] | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _ranks_are_unique(self) -> "AppraisalUpdate":
        _check_ranks(self.priorities)
        return self


class AppraisalRead(AppraisalContent):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    city: str
    working_group_id: uuid.UUID
    title: str
    districts: list[str]
    period: str
    status: AppraisalStatus
    series_id: uuid.UUID = Field(description="Id of the first appraisal of this series.")
    sequence: int = Field(description="1 for the original, 2 for its first correction, ...")
    corrects_id: uuid.UUID | None = Field(description="The finalized appraisal this corrects.")
    correction_reason: str | None
    template_id: uuid.UUID | None = Field(description="The template it was made from.")
    created_at: datetime
    finalized_at: datetime | None
    version: int = Field(description='The ETag is this number in quotes: `"<version>"`.')


class AppraisalSummary(BaseModel):
    """One appraisal of a series, for the version history."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    sequence: int
    status: AppraisalStatus
    corrects_id: uuid.UUID | None
    correction_reason: str | None
    created_at: datetime
    finalized_at: datetime | None


class TransitionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"to": "in_review", "note": "Ready for the group."}]},
    )

    to: AppraisalStatus
    note: str | None = Field(default=None, max_length=2000)


class TransitionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    appraisal_id: uuid.UUID
    from_status: AppraisalStatus
    to_status: AppraisalStatus
    note: str | None
    actor: str
    occurred_at: datetime


class CorrectionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"reason": "Votes for priority 2 were miscounted."}]},
    )

    reason: str = Field(min_length=1, max_length=2000)
