import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from usm_appraisals.models import Base


class Appraisal(Base):
    """A Working Group's Human Security Participatory Appraisal of districts in a period.

    Lifecycle draft → in_review → finalized; a finalized appraisal never changes. A correction
    is a new appraisal in the same series (`series_id`, next `sequence`) that `corrects_id`
    the previous one. The findings are documents edited as a whole while in draft, so they
    are kept as validated JSON lists.
    """

    __tablename__ = "appraisals"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'in_review', 'finalized')", name="status"),
        CheckConstraint("(status = 'finalized') = (finalized_at IS NOT NULL)", name="finalized_at"),
        CheckConstraint("sequence >= 1", name="sequence"),
        UniqueConstraint("series_id", "sequence"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    city: Mapped[str] = mapped_column(String(100), index=True)
    working_group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("working_groups.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    districts: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
    period: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    series_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appraisals.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appraisal_templates.id"), index=True
    )
    insecurities: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    root_causes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    capacities: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    priorities: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finalized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Optimistic concurrency: the ETag is `"<version>"`; every change increments it.
    version: Mapped[int] = mapped_column(Integer, default=1)


class AppraisalTransition(Base):
    """The audit trail of an appraisal's lifecycle: who moved it, when, from where to where."""

    __tablename__ = "appraisal_transitions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    appraisal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("appraisals.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
