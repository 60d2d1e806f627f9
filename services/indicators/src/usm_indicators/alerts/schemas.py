import uuid
from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from usm_indicators.catalogue.schemas import INDICATOR_CODE_PATTERN
from usm_indicators.geography.schemas import DISTRICT_CODE_PATTERN

RuleKind = Literal["threshold", "change", "anomaly"]
Operator = Literal["above", "below", "outside"]
CompareTo = Literal["previous", "year_before"]
Severity = Literal["info", "warning", "critical"]
AlertStatus = Literal["open", "acknowledged", "closed"]
PeriodTypeName = Literal["year", "quarter", "month", "week", "day"]

MIN_WINDOW, MAX_WINDOW = 3, 60


class AlertRuleCreate(BaseModel):
    """A rule watching one indicator of the city.

    - `threshold`: the value is above (or below) `threshold`.
    - `change`: the value rose (`above`) or fell (`below`) by more than `threshold` percent
      against the previous period or the same period a year before (`compare_to`).
    - `anomaly`: the value lies more than `threshold` standard deviations above, below or
      either side (`outside`) of the mean of the `window` earlier periods (at least 3 with data).
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Homicide rate above 35",
                    "indicator_code": "SDG_16_1_1",
                    "kind": "threshold",
                    "operator": "above",
                    "threshold": 35,
                    "period_type": "year",
                    "district_code": None,
                    "severity": "warning",
                },
                {
                    "name": "Unusual unemployment",
                    "indicator_code": "USM_UNEMPLOYMENT_RATE",
                    "kind": "anomaly",
                    "operator": "outside",
                    "threshold": 2,
                    "window": 12,
                    "severity": "info",
                },
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    indicator_code: str = Field(pattern=INDICATOR_CODE_PATTERN)
    kind: RuleKind
    operator: Operator
    threshold: float = Field(
        allow_inf_nan=False,
        ge=-1e15,
        le=1e15,
        description="The limit; percent for `change`; standard deviations for `anomaly`.",
    )
    compare_to: CompareTo | None = Field(default=None, description="For `change` rules only.")
    window: int | None = Field(
        default=None,
        ge=MIN_WINDOW,
        le=MAX_WINDOW,
        description="Earlier periods an `anomaly` is judged against.",
    )
    period_type: PeriodTypeName | None = Field(
        default=None,
        description="Only periods of this type (a monthly rate and a yearly total differ); "
        "null for every type.",
    )
    district_code: str | None = Field(
        default=None,
        pattern=DISTRICT_CODE_PATTERN,
        description="One district; null watches every district and the whole city.",
    )
    severity: Severity = "warning"
    is_active: bool = True

    @model_validator(mode="after")
    def _fits_the_kind(self) -> Self:
        if self.kind == "change" and self.compare_to is None:
            raise ValueError("a change rule needs compare_to: previous or year_before")
        if self.kind != "change" and self.compare_to is not None:
            raise ValueError("compare_to is for change rules only")
        if self.kind == "anomaly" and self.window is None:
            raise ValueError(f"an anomaly rule needs a window of {MIN_WINDOW}-{MAX_WINDOW}")
        if self.kind != "anomaly" and self.window is not None:
            raise ValueError("window is for anomaly rules only")
        if self.operator == "outside" and self.kind != "anomaly":
            raise ValueError("outside is for anomaly rules only")
        if self.kind != "threshold" and self.threshold <= 0:
            raise ValueError("a change (percent) or anomaly (deviations) threshold must be > 0")
        return self


class AlertRuleRead(AlertRuleCreate):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    city: str
    version: int
    created_at: datetime
    updated_at: datetime


class AlertRead(BaseModel):
    """An alert: a rule fired for a district (or the whole city) and a period."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d0e",
                    "rule_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                    "city": "durban",
                    "indicator_code": "SDG_16_1_1",
                    "dimension": "personal",
                    "rule_kind": "threshold",
                    "severity": "warning",
                    "district_code": "DBN-CENTRAL",
                    "period": "2026-10",
                    "value": 41.7,
                    "reference": 35.0,
                    "message": "SDG_16_1_1 is 41.7, above the threshold 35 (DBN-CENTRAL, 2026-10).",
                    "status": "open",
                    "raised_at": "2026-11-26T09:00:00Z",
                    "acknowledged_at": None,
                    "acknowledged_by": None,
                    "closed_at": None,
                    "closed_by": None,
                    "version": 1,
                }
            ]
        }
    )

    id: uuid.UUID
    rule_id: uuid.UUID
    city: str
    indicator_code: str
    dimension: str
    rule_kind: RuleKind
    severity: Severity
    district_code: str | None = Field(description="Null for the whole city.")
    period: str
    value: float
    reference: float | None = Field(
        description="The threshold, the earlier value, or the expected (mean) value."
    )
    message: str
    status: AlertStatus
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    closed_at: datetime | None
    closed_by: str | None
    version: int
