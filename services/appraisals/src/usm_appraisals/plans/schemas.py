import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from usm_appraisals.appraisals.schemas import IndicatorCode
from usm_appraisals.working_groups.schemas import DistrictCode

PlanStatus = Literal["draft", "approved", "active", "completed", "archived"]
ItemKind = Literal["objective", "action"]
ItemStatus = Literal["planned", "in_progress", "delayed", "completed", "cancelled"]
# ISO 4217 codes the pilot cities budget in; extend deliberately, not by accident.
Currency = Literal["ZAR", "MXN", "USD", "EUR", "GBP", "KES", "BRL", "COP", "INR", "PHP"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Percent = Annotated[int, Field(ge=0, le=100)]


class PlanCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "title": "Inanda Human Security Plan 2026-2027",
                    "summary": "Safer routes, youth work and a community safety forum.",
                    "appraisal_ids": ["0193a3c4-0000-7000-8000-0000000000c1"],
                }
            ]
        },
    )

    title: str = Field(min_length=1, max_length=300)
    summary: str = Field(min_length=1, max_length=10000)
    appraisal_ids: list[uuid.UUID] = Field(
        min_length=1,
        max_length=20,
        description="Finalized, latest-version appraisals of one Working Group.",
    )


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    city: str
    working_group_id: uuid.UUID
    title: str
    summary: str
    districts: list[str] = Field(description="The source appraisals' districts.")
    appraisal_ids: list[uuid.UUID]
    status: PlanStatus
    created_at: datetime
    activated_at: datetime | None
    series_id: uuid.UUID = Field(description="Shared by every version of the plan.")
    revision: int = Field(description="The plan's version number in its series: 1, 2, ...")
    revises_id: uuid.UUID | None = Field(description="The version this one revises.")
    change_note: str | None = Field(description="Why this version was made.")
    version: int = Field(description='The ETag is this number in quotes: `"<version>"`.')


class PlanRevisionCreate(BaseModel):
    """A new version of an approved or active plan: a draft copy of its tree and reports."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "change_note": "Mid-term review: add school routes, extend lighting.",
                    "title": "Inanda Human Security Plan 2026-2027 (revised)",
                }
            ]
        },
    )

    change_note: str = Field(min_length=1, max_length=4000)
    title: str | None = Field(default=None, min_length=1, max_length=300)
    summary: str | None = Field(default=None, min_length=1, max_length=10000)


class ItemChange(BaseModel):
    item_id: uuid.UUID
    title: str
    fields: list[str] = Field(description="Fields that differ from the previous version.")


class PlanChanges(BaseModel):
    """What a version changed against the one it revises (progress moves by reports and is
    not counted as a change)."""

    plan_fields: list[str] = Field(description="Changed plan fields: `title`, `summary`.")
    items_added: list[ItemChange]
    items_changed: list[ItemChange]


class PlanVersionRead(BaseModel):
    plan_id: uuid.UUID
    revision: int
    status: PlanStatus
    title: str
    change_note: str | None
    created_by: str
    created_at: datetime
    activated_at: datetime | None
    changes: PlanChanges | None = Field(description="None for the first version.")


class PlanTransitionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"to": "approved"}]})

    to: PlanStatus


class LinkedIndicator(BaseModel):
    """An indicator the action should move, from its baseline to its target."""

    model_config = ConfigDict(extra="forbid")

    code: IndicatorCode
    baseline: float = Field(allow_inf_nan=False)
    target: float = Field(allow_inf_nan=False)
    unit: str | None = Field(default=None, max_length=50)


class PlanItemCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "kind": "action",
                    "parent_id": "0193a3c4-0000-7000-8000-0000000000d1",
                    "title": "Light the footpaths to the taxi rank",
                    "lead_actor": "eThekwini Electricity",
                    "partners": ["Street committee"],
                    "districts": ["DBN-INANDA"],
                    "start_date": "2026-02-01",
                    "end_date": "2026-06-30",
                    "budget": "250000.00",
                    "currency": "ZAR",
                    "indicators": [{"code": "SDG_16_1_1", "baseline": 41.0, "target": 30.0}],
                }
            ]
        },
    )

    kind: ItemKind
    parent_id: uuid.UUID | None = Field(
        default=None, description="Objectives have none; an action's objective or action."
    )
    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=10000)
    lead_actor: Name | None = None
    partners: list[Name] = Field(default_factory=list, max_length=50)
    districts: list[DistrictCode] = Field(default_factory=list, max_length=100)
    start_date: date | None = None
    end_date: date | None = None
    budget: Decimal | None = Field(default=None, ge=0, max_digits=16, decimal_places=2)
    currency: Currency | None = Field(default=None, description="ISO 4217 code (allow-list).")
    status: ItemStatus = "planned"
    progress: Percent = 0
    indicators: list[LinkedIndicator] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.kind == "objective" and self.parent_id is not None:
            raise ValueError("An objective has no parent.")
        if self.kind == "action" and self.parent_id is None:
            raise ValueError("An action needs a parent_id (its objective or action).")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date.")
        if (self.budget is None) != (self.currency is None):
            raise ValueError("A budget needs its currency, and a currency a budget.")
        return self


class PlanItemUpdate(BaseModel):
    """Fields of a draft plan's item to change; those left out keep their value. The kind and
    the parent stay; every rule of creation applies to the result."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"end_date": "2026-07-31", "budget": "275000.00"}]},
    )

    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=10000)
    lead_actor: Name | None = None
    partners: list[Name] | None = Field(default=None, max_length=50)
    districts: list[DistrictCode] | None = Field(default=None, max_length=100)
    start_date: date | None = None
    end_date: date | None = None
    budget: Decimal | None = Field(default=None, ge=0, max_digits=16, decimal_places=2)
    currency: Currency | None = None
    status: ItemStatus | None = None
    progress: Percent | None = None
    indicators: list[LinkedIndicator] | None = Field(default=None, max_length=50)


class PlanItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    plan_id: uuid.UUID
    parent_id: uuid.UUID | None
    kind: ItemKind
    title: str
    description: str | None
    lead_actor: str | None
    partners: list[str]
    districts: list[str]
    start_date: date | None
    end_date: date | None
    budget: Decimal | None
    currency: str | None
    status: ItemStatus
    progress: int = Field(description="Reported progress (leaves); see /progress for roll-ups.")
    indicators: list[LinkedIndicator]
    created_at: datetime
    version: int = Field(description='The ETag is this number in quotes: `"<version>"`.')


class ProgressUpdateCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "reported_on": "2026-03-31",
                    "narrative": "40 of 100 poles installed.",
                    "percent": 40,
                    "evidence_url": "https://durban.example.org/works/lighting-q1.pdf",
                }
            ]
        },
    )

    reported_on: date
    narrative: str = Field(min_length=1, max_length=10000)
    percent: Percent
    evidence_url: AnyHttpUrl | None = Field(default=None, max_length=2000)
    status: ItemStatus | None = Field(
        default=None,
        description="New status of the action; by default `in_progress` below "
        "100 and `completed` at 100.",
    )


class ProgressUpdateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    item_id: uuid.UUID
    reported_on: date
    narrative: str
    percent: int
    evidence_url: str | None
    created_at: datetime


class RolledItem(BaseModel):
    id: uuid.UUID
    kind: ItemKind
    title: str
    status: ItemStatus
    progress: float
    weighting: Literal["budget", "equal", "own"] = Field(
        description="How this item's progress was computed from its children (`own`: a leaf)."
    )
    children: list["RolledItem"]


class PlanProgressRead(BaseModel):
    plan_id: uuid.UUID
    progress: float
    weighting: Literal["budget", "equal"]
    method: str = Field(description="The roll-up rule, in words.")
    objectives: list[RolledItem]


class PlanExportRead(BaseModel):
    """A plan whole in one document: the plan, every item (flat, with `parent_id`, in the
    order added) and the rolled-up progress. No member data."""

    plan: PlanRead
    items: list[PlanItemRead]
    progress: PlanProgressRead
