import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from usm_reports.models.report import DESCRIPTION_MAX_LENGTH

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Sensitivity = Literal["normal", "sensitive"]
# Moderation (a later issue) adds the other states.
ReportStatus = Literal["submitted"]


class ReportCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "city": "durban",
                    "category_code": "streetlight",
                    "latitude": -29.85,
                    "longitude": 31.05,
                    "description": "The streetlight at the bus stop has been out for a week.",
                }
            ]
        },
    )

    city: str = Field(max_length=100, pattern=SLUG_PATTERN, description="A member city's slug.")
    category_code: str = Field(min_length=1, max_length=50, pattern=SLUG_PATTERN)
    latitude: float = Field(ge=-90, le=90, description="WGS84 degrees.")
    longitude: float = Field(ge=-180, le=180, description="WGS84 degrees.")
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX_LENGTH)


class ReportReceipt(BaseModel):
    """What the reporter gets back once; the tracking code is never shown again."""

    id: uuid.UUID
    tracking_code: str = Field(description="Keep it: the only way to follow this report.")
    status: ReportStatus
    district_code: str | None
    submitted_at: datetime


class ReportTracking(BaseModel):
    """What a tracking code reveals: the state of the report, nothing about the reporter."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: ReportStatus
    submitted_at: datetime
    category_code: str


class ReportRead(BaseModel):
    """A report as city staff see it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    city: str
    category_code: str
    sensitivity: Sensitivity
    latitude: float | None = Field(
        description="Null for sensitive reports unless the caller has `reports:sensitive:read`."
    )
    longitude: float | None = Field(
        description="Null for sensitive reports unless the caller has `reports:sensitive:read`."
    )
    district_code: str | None
    outside_districts: bool
    description: str | None = Field(
        description="Null when there is none, or for sensitive reports unless the caller has "
        "`reports:sensitive:read`."
    )
    status: ReportStatus
    submitted_at: datetime
