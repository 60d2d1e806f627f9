import uuid
from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from usm_appraisals.appraisals.schemas import Dimension

SignalStatus = Literal["new", "acknowledged", "linked"]
Severity = Literal["info", "warning", "critical"]


class SignalRead(BaseModel):
    """An indicators alert as a Working Group sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    city: str
    working_group_id: uuid.UUID
    alert_id: uuid.UUID
    rule_id: uuid.UUID
    rule_kind: Literal["threshold", "change", "anomaly"]
    severity: Severity
    indicator_code: str
    dimension: Dimension
    district_code: str | None = Field(description="None: the alert is about the whole city.")
    period: str
    value: float
    reference: float | None = Field(
        description="The threshold, earlier value or expected value, by rule kind."
    )
    message: str
    raised_at: datetime
    status: SignalStatus
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    note: str | None
    linked_appraisal_id: uuid.UUID | None
    linked_insecurity: int | None = Field(
        description="Index of the insecurity in the linked appraisal's `insecurities`."
    )
    linked_item_id: uuid.UUID | None = Field(description="The plan action it is linked to.")
    created_at: datetime
    version: int = Field(description='The ETag is this number in quotes: `"<version>"`.')


class SignalAcknowledge(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"note": "Raised at the March session."}]},
    )

    note: str | None = Field(default=None, max_length=4000)


class SignalLink(BaseModel):
    """Link to an insecurity of an appraisal, or to an action of a plan (exactly one)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "appraisal_id": "0193a3c4-0000-7000-8000-0000000000c1",
                    "insecurity": 0,
                    "note": "Same robberies the group appraised.",
                },
                {
                    "plan_id": "0193a3c4-0000-7000-8000-0000000000e1",
                    "item_id": "0193a3c4-0000-7000-8000-0000000000f1",
                },
            ]
        },
    )

    appraisal_id: uuid.UUID | None = None
    insecurity: int | None = Field(
        default=None, ge=0, le=199, description="Index in the appraisal's `insecurities`."
    )
    plan_id: uuid.UUID | None = None
    item_id: uuid.UUID | None = Field(default=None, description="An action of the plan.")
    note: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        to_insecurity = self.appraisal_id is not None or self.insecurity is not None
        to_action = self.plan_id is not None or self.item_id is not None
        if to_insecurity == to_action:
            raise ValueError("Link to an appraisal's insecurity or to a plan's action, not both.")
        if to_insecurity and (self.appraisal_id is None or self.insecurity is None):
            raise ValueError("An insecurity link needs appraisal_id and insecurity.")
        if to_action and (self.plan_id is None or self.item_id is None):
            raise ValueError("An action link needs plan_id and item_id.")
        return self
