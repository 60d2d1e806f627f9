"""Human Security Plans: plans, their source appraisals, objectives/actions, progress.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Names spelled out: op.create_table does not apply the metadata's naming convention.
    op.create_table(
        "plans",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("working_group_id", sa.Uuid, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("districts", postgresql.ARRAY(sa.String(50)), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_groups.id"],
            name=op.f("fk_plans_working_group_id_working_groups"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'approved', 'active', 'completed', 'archived')",
            name=op.f("ck_plans_status"),
        ),
    )
    op.create_index(op.f("ix_plans_city"), "plans", ["city"])
    op.create_index(op.f("ix_plans_working_group_id"), "plans", ["working_group_id"])
    op.create_table(
        "plan_appraisals",
        sa.Column("plan_id", sa.Uuid, nullable=False),
        sa.Column("appraisal_id", sa.Uuid, nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "appraisal_id", name=op.f("pk_plan_appraisals")),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_plan_appraisals_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisals.id"],
            name=op.f("fk_plan_appraisals_appraisal_id_appraisals"),
        ),
    )
    op.create_index(op.f("ix_plan_appraisals_appraisal_id"), "plan_appraisals", ["appraisal_id"])
    op.create_table(
        "plan_items",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("plan_id", sa.Uuid, nullable=False),
        sa.Column("parent_id", sa.Uuid, nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("lead_actor", sa.String(200), nullable=True),
        sa.Column("partners", postgresql.ARRAY(sa.String(200)), nullable=False),
        sa.Column("districts", postgresql.ARRAY(sa.String(50)), nullable=False),
        sa.Column("start_date", sa.Date, nullable=True),
        sa.Column("end_date", sa.Date, nullable=True),
        sa.Column("budget", sa.Numeric(16, 2), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("progress", sa.Integer, nullable=False),
        sa.Column("indicators", postgresql.JSONB, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_items")),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_items_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["plan_items.id"],
            name=op.f("fk_plan_items_parent_id_plan_items"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("kind IN ('objective', 'action')", name=op.f("ck_plan_items_kind")),
        sa.CheckConstraint(
            "(kind = 'objective') = (parent_id IS NULL)", name=op.f("ck_plan_items_tree")
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'in_progress', 'delayed', 'completed', 'cancelled')",
            name=op.f("ck_plan_items_status"),
        ),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name=op.f("ck_plan_items_progress")),
        sa.CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
            name=op.f("ck_plan_items_dates"),
        ),
        sa.CheckConstraint(
            "(budget IS NULL) = (currency IS NULL)", name=op.f("ck_plan_items_budget_currency")
        ),
        sa.CheckConstraint("budget IS NULL OR budget >= 0", name=op.f("ck_plan_items_budget")),
    )
    op.create_index(op.f("ix_plan_items_plan_id"), "plan_items", ["plan_id"])
    op.create_index(op.f("ix_plan_items_parent_id"), "plan_items", ["parent_id"])
    op.create_table(
        "progress_updates",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("item_id", sa.Uuid, nullable=False),
        sa.Column("reported_on", sa.Date, nullable=False),
        sa.Column("narrative", sa.Text, nullable=False),
        sa.Column("percent", sa.Integer, nullable=False),
        sa.Column("evidence_url", sa.String(2000), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_updates")),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["plan_items.id"],
            name=op.f("fk_progress_updates_item_id_plan_items"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("percent BETWEEN 0 AND 100", name=op.f("ck_progress_updates_percent")),
    )
    op.create_index(op.f("ix_progress_updates_item_id"), "progress_updates", ["item_id"])


def downgrade() -> None:
    op.drop_table("progress_updates")
    op.drop_table("plan_items")
    op.drop_table("plan_appraisals")
    op.drop_table("plans")
