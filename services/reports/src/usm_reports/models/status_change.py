import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from usm_reports.models import Base
from usm_reports.models.report import STATUSES

PUBLIC_NOTE_MAX_LENGTH = 1000


class ReportStatusChange(Base):
    """One step of a report's workflow: who moved it, when, and what the public is told.

    Append-only: the history of a report is the list of these, oldest first.
    """

    __tablename__ = "report_status_changes"
    __table_args__ = (
        CheckConstraint(
            "to_status IN (" + ", ".join(f"'{status}'" for status in STATUSES) + ")",
            name="to_status",
        ),
        CheckConstraint(
            f"char_length(public_note) <= {PUBLIC_NOTE_MAX_LENGTH}", name="public_note_length"
        ),
        Index("ix_report_status_changes_report_id_changed_at", "report_id", "changed_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("reports.id", ondelete="CASCADE"))
    # Null for the first entry, the submission itself.
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    # The staff member's subject; "reporter" for the submission (never the reporter's identity).
    actor: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    public_note: Mapped[str | None] = mapped_column(Text)
    # Set on the entry that records the report's merge into this primary report.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("reports.id"))
