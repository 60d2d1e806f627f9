import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from usm_reports.models import Base

DESCRIPTION_MAX_LENGTH = 4000
# The workflow's states, in their usual order (reports.workflow says which moves are allowed).
STATUSES: tuple[str, ...] = (
    "submitted",
    "under_review",
    "accepted",
    "rejected",
    "in_progress",
    "resolved",
    "closed",
)
CHANNELS: tuple[str, ...] = ("api", "web", "app", "open311", "sms")
CHANNEL_CHECK = "channel IN (" + ", ".join(f"'{channel}'" for channel in CHANNELS) + ")"
STATUS_CHECK = "status IN (" + ", ".join(f"'{status}'" for status in STATUSES) + ")"


class Report(Base):
    """A citizen report as received: where, what, and how the reporter can follow it."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint("sensitivity IN ('normal', 'sensitive')", name="sensitivity"),
        CheckConstraint(STATUS_CHECK, name="status"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude"),
        CheckConstraint(
            f"char_length(description) <= {DESCRIPTION_MAX_LENGTH}", name="description_length"
        ),
        CheckConstraint("outside_districts = (district_code IS NULL)", name="district_or_outside"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="coordinates_paired"),
        CheckConstraint(
            "latitude IS NOT NULL OR address_string IS NOT NULL OR address_id IS NOT NULL",
            name="located",
        ),
        CheckConstraint(CHANNEL_CHECK, name="channel"),
        CheckConstraint("(merged_into_id IS NULL) = (merged_at IS NULL)", name="merge_paired"),
        CheckConstraint("merged_into_id <> id", name="not_merged_into_itself"),
        CheckConstraint("possible_duplicate_of_id <> id", name="not_duplicate_of_itself"),
        # The staff list: one city, newest first.
        Index("ix_reports_city_submitted_at", "city", "submitted_at", "id"),
        # Duplicate candidates: same city and category, near in time, earliest first. With
        # `id`, it gives the search's whole order; and the cell index below, partial, cannot
        # serve the search: a plan made while the table was small stays on this index as it
        # grows (migration 0008).
        Index(
            "ix_reports_city_category_code_submitted_at",
            "city",
            "category_code",
            "submitted_at",
            "id",
        ),
        # Map aggregates group by cell within a city.
        Index(
            "ix_reports_city_h3_cell",
            "city",
            "h3_cell",
            postgresql_where=text("h3_cell IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    city: Mapped[str] = mapped_column(String(100))
    category_code: Mapped[str] = mapped_column(String(50))
    sensitivity: Mapped[str] = mapped_column(String(10))
    # Null when the reporter gave only an address (no geocoder yet: such a report is
    # flagged `outside_districts` until a moderator places it).
    latitude: Mapped[float | None] = mapped_column(Double)
    longitude: Mapped[float | None] = mapped_column(Double)
    address_string: Mapped[str | None] = mapped_column(String(500))
    address_id: Mapped[str | None] = mapped_column(String(100))
    # The H3 cell (resolution 9) holding the point: what public views snap to and what map
    # aggregates count by. Null without coordinates.
    h3_cell: Mapped[str | None] = mapped_column(String(16))
    district_code: Mapped[str | None] = mapped_column(String(50))
    outside_districts: Mapped[bool] = mapped_column(Boolean)
    description: Mapped[str | None] = mapped_column(Text)
    # Answers to the category's Open311 attributes, checked against its definitions.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    media_urls: Mapped[list[str]] = mapped_column(JSONB, default=list)
    # Name, e-mail and phone sealed with AES-GCM (reports.contacts); null when none given.
    contact_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # When the retention purge erased the contact (contact_sealed is then null).
    contact_purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A duplicate points at the report it was merged into (its primary); its own workflow
    # stops there and its reporter follows the primary's status.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("reports.id"))
    merged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Linked at intake: the earliest unmerged report of the same city, category and
    # sensitivity within the duplicate radius and window before it. A hint for moderators,
    # who decide whether to merge; never changed afterwards.
    possible_duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("reports.id")
    )
    # How the report arrived (native API and its portals, or Open311).
    channel: Mapped[str] = mapped_column(String(20), default="api")
    # Only the SHA-256 of the tracking code is kept; the code itself is shown once.
    tracking_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Bumped on every change; the report's ETag (`If-Match` on status changes).
    version: Mapped[int] = mapped_column(Integer, default=1)
