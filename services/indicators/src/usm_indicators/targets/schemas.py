import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class TargetRead(BaseModel):
    """A plan's target for an indicator, with where the indicator stands now."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "indicator_code": "SDG_16_1_1",
                    "district_code": "DBN-CENTRAL",
                    "plan_id": "0193a3c4-0000-7000-8000-0000000000e1",
                    "action_id": "0193a3c4-0000-7000-8000-0000000000f1",
                    "plan_title": "Central Human Security Plan 2026",
                    "baseline": 41.0,
                    "target": 30.0,
                    "unit": None,
                    "target_date": "2026-06-30",
                    "current": {"period": "2026-10", "value": 35.5},
                    "progress": 50.0,
                    "achieved": False,
                }
            ]
        }
    )

    indicator_code: str
    district_code: str | None = Field(description="Null for the whole city.")
    plan_id: uuid.UUID
    action_id: uuid.UUID
    plan_title: str
    baseline: float
    target: float
    unit: str | None
    target_date: date | None
    current: "CurrentValue | None" = Field(
        description="The latest public value of the indicator; null without data (or when "
        "withheld, or when the plan names an indicator the city does not use)."
    )
    progress: float | None = Field(
        description="Percent of the way from baseline to target: 0 at the baseline, 100 at "
        "the target; below 0 when it moved away, above 100 past the target."
    )
    achieved: bool | None = Field(description="Whether the current value reached the target.")


class CurrentValue(BaseModel):
    period: str
    value: float


TargetRead.model_rebuild()
