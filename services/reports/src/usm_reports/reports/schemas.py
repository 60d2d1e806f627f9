import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from usm_reports.models.report import DESCRIPTION_MAX_LENGTH
from usm_reports.models.status_change import PUBLIC_NOTE_MAX_LENGTH

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MEDIA_URL_PATTERN = r"^https?://[^\s]+$"
Channel = Literal["api", "web", "app", "open311", "sms"]
Sensitivity = Literal["normal", "sensitive"]
ReportStatus = Literal[
    "submitted", "under_review", "accepted", "rejected", "in_progress", "resolved", "closed"
]


class ReportContact(BaseModel):
    """How the city may reach the reporter."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)


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
    latitude: float | None = Field(default=None, ge=-90, le=90, description="WGS84 degrees.")
    longitude: float | None = Field(default=None, ge=-180, le=180, description="WGS84 degrees.")
    address_string: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="Where, in words, when there are no coordinates.",
    )
    address_id: str | None = Field(
        default=None, min_length=1, max_length=100, description="An address id of the city's."
    )
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX_LENGTH)
    media_urls: list[Annotated[str, Field(max_length=2000, pattern=MEDIA_URL_PATTERN)]] = Field(
        default_factory=list, max_length=5, description="Links to photos (http or https)."
    )
    attributes: dict[str, Any] = Field(
        default_factory=dict,
        max_length=50,
        description="Answers to the category's attributes, by attribute code.",
    )
    contact: ReportContact | None = Field(
        default=None,
        description="Stored encrypted (AES-GCM); shown only to the city's moderators "
        "(`reports:contacts:read`), never publicly or in events.",
    )

    @model_validator(mode="after")
    def _located(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        if self.latitude is None and self.address_string is None and self.address_id is None:
            raise ValueError("give latitude and longitude, an address_string or an address_id")
        return self


class ReportReceipt(BaseModel):
    """What the reporter gets back once; the tracking code is never shown again."""

    id: uuid.UUID
    tracking_code: str = Field(description="Keep it: the only way to follow this report.")
    status: Literal["submitted"]
    district_code: str | None
    submitted_at: datetime


class PublicStatusUpdate(BaseModel):
    """One step of a report's history as its reporter sees it."""

    status: ReportStatus
    changed_at: datetime
    public_note: str | None


class ReportTracking(BaseModel):
    """What a tracking code reveals: the state of the report and the city's public notes,
    nothing about the reporter."""

    id: uuid.UUID
    status: ReportStatus
    submitted_at: datetime
    updated_at: datetime
    category_code: str
    merged: bool = Field(
        description="The city found this to be a duplicate and merged it into another "
        "report: `status` and the later updates are that report's."
    )
    updates: list[PublicStatusUpdate] = Field(description="Oldest first.")


class ReportStatusChangeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "status": "accepted",
                    "public_note": "Thank you: a crew is scheduled for this week.",
                }
            ]
        },
    )

    status: ReportStatus
    public_note: str | None = Field(
        default=None,
        min_length=1,
        max_length=PUBLIC_NOTE_MAX_LENGTH,
        description="Shown to the reporter and, for normal reports, to the public.",
    )


class ReportStatusChangeRead(BaseModel):
    """One entry of a report's status history, as staff see it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    from_status: ReportStatus | None
    status: ReportStatus = Field(validation_alias="to_status")
    actor: str
    changed_at: datetime
    public_note: str | None
    merged_into_id: uuid.UUID | None = Field(
        description="Set on the entry recording the report's merge into this report."
    )


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
    address_string: str | None = Field(
        description="Null for sensitive reports unless the caller has `reports:sensitive:read`."
    )
    address_id: str | None = Field(
        description="Null for sensitive reports unless the caller has `reports:sensitive:read`."
    )
    district_code: str | None
    outside_districts: bool
    description: str | None = Field(
        description="Null when there is none, or for sensitive reports unless the caller has "
        "`reports:sensitive:read`."
    )
    attributes: dict[str, Any] | None = Field(
        description="Null for sensitive reports unless the caller has `reports:sensitive:read`."
    )
    media_urls: list[str] | None = Field(
        description="Null for sensitive reports unless the caller has `reports:sensitive:read`."
    )
    channel: Channel
    status: ReportStatus
    submitted_at: datetime
    updated_at: datetime
    merged_into_id: uuid.UUID | None = Field(
        description="Set when the report was merged, as a duplicate, into this report."
    )
    merged_at: datetime | None
    possible_duplicate_of_id: uuid.UUID | None = Field(
        description="Linked at intake: the earliest report, not merged, of the same category "
        "within the duplicate radius and time window before this one (150 m, 72 h unless "
        "configured otherwise). A hint for moderators, who merge with "
        "`POST /api/v1/reports/{id}/merge`. Null for sensitive reports unless the caller "
        "has `reports:sensitive:read`."
    )
    version: int = Field(description="The report's version; its `ETag` is this in quotes.")
