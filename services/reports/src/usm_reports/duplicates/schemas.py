import uuid

from pydantic import BaseModel, ConfigDict, Field

from usm_reports.models.status_change import PUBLIC_NOTE_MAX_LENGTH
from usm_reports.reports.schemas import ReportRead


class DuplicateCandidate(BaseModel):
    """A report that may be the same problem as the one asked about."""

    report: ReportRead
    distance_m: float | None = Field(
        description="Between the two reports' points; null when matched by address."
    )
    hours_apart: float = Field(description="Between the two submissions.")


class DuplicateCandidates(BaseModel):
    """Candidates nearest first, with the rule that found them."""

    report_id: uuid.UUID
    radius_m: float
    window_hours: float
    items: list[DuplicateCandidate]


class ReportMergeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "into_report_id": "0193a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
                    "public_note": "Thank you: this was already reported; follow it here.",
                }
            ]
        },
    )

    into_report_id: uuid.UUID = Field(description="The primary report this one duplicates.")
    public_note: str | None = Field(
        default=None,
        min_length=1,
        max_length=PUBLIC_NOTE_MAX_LENGTH,
        description="Shown to the duplicate's reporter with its tracking code.",
    )
