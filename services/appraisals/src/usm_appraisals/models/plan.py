import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from usm_appraisals.models import Base


class Plan(Base):
    """A Human Security Plan drawn from one or more finalized appraisals.

    Lifecycle draft → approved → active → completed | archived. Objectives and actions are
    `PlanItem`s; progress is reported on actions and rolled up to objectives and the plan.
    An approved or active plan changes only through a new version: a draft copy in the same
    series (`series_id`, `revision` + 1) that `revises_id` it; activating it archives the
    versions before it.
    """

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'approved', 'active', 'completed', 'archived')", name="status"
        ),
        CheckConstraint("revision >= 1", name="revision"),
        CheckConstraint("(revision = 1) = (revises_id IS NULL)", name="revises"),
        UniqueConstraint("series_id", "revision"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    city: Mapped[str] = mapped_column(String(100), index=True)
    working_group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("working_groups.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    # The union of the source appraisals' districts: actions may only target these.
    districts: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    series_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    # The plan's version number in its series (1, 2, ...); not the ETag's `version`.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    revises_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plans.id"))
    change_note: Mapped[str | None] = mapped_column(Text)
    # Optimistic concurrency: the ETag is `"<version>"`; every change increments it.
    version: Mapped[int] = mapped_column(Integer, default=1)


class PlanAppraisal(Base):
    """A finalized appraisal a plan was drawn from."""

    __tablename__ = "plan_appraisals"

    plan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    appraisal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("appraisals.id"), primary_key=True, index=True
    )


class PlanItem(Base):
    """An objective (a root) or an action (under an objective or another action)."""

    __tablename__ = "plan_items"
    __table_args__ = (
        CheckConstraint("kind IN ('objective', 'action')", name="kind"),
        CheckConstraint("(kind = 'objective') = (parent_id IS NULL)", name="tree"),
        CheckConstraint(
            "status IN ('planned', 'in_progress', 'delayed', 'completed', 'cancelled')",
            name="status",
        ),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="dates"
        ),
        CheckConstraint("(budget IS NULL) = (currency IS NULL)", name="budget_currency"),
        CheckConstraint("budget IS NULL OR budget >= 0", name="budget"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("plans.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("plan_items.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    lead_actor: Mapped[str | None] = mapped_column(String(200))
    partners: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    districts: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    budget: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default="planned")
    # Reported progress of a leaf action; parents' progress is computed by the roll-up.
    progress: Mapped[int] = mapped_column(Integer, default=0)
    # [{"code", "baseline", "target", "unit"}]: indicators the action should move.
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    # The item of the previous plan version this one was copied from.
    origin_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plan_items.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Optimistic concurrency: the ETag is `"<version>"`; every change increments it.
    version: Mapped[int] = mapped_column(Integer, default=1)


class ProgressUpdate(Base):
    """A dated report on an action: narrative, percent done and a link to evidence."""

    __tablename__ = "progress_updates"
    __table_args__ = (CheckConstraint("percent BETWEEN 0 AND 100", name="percent"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("plan_items.id", ondelete="CASCADE"), index=True
    )
    reported_on: Mapped[date] = mapped_column(Date)
    narrative: Mapped[str] = mapped_column(Text)
    percent: Mapped[int] = mapped_column(Integer)
    evidence_url: Mapped[str | None] = mapped_column(String(2000))
    # The report on the previous plan version this one was carried over from.
    origin_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("progress_updates.id"))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
