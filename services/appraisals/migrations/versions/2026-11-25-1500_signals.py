"""Signals: indicators' alerts as each Working Group of the area sees them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Names spelled out: op.create_table does not apply the metadata's naming convention.
    op.create_table(
        "signals",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("working_group_id", sa.Uuid, nullable=False),
        sa.Column("alert_id", sa.Uuid, nullable=False),
        sa.Column("rule_id", sa.Uuid, nullable=False),
        sa.Column("rule_kind", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("indicator_code", sa.String(50), nullable=False),
        sa.Column("dimension", sa.String(20), nullable=False),
        sa.Column("district_code", sa.String(50), nullable=True),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("reference", sa.Float, nullable=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("linked_appraisal_id", sa.Uuid, nullable=True),
        sa.Column("linked_insecurity", sa.Integer, nullable=True),
        sa.Column("linked_item_id", sa.Uuid, nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_groups.id"],
            name=op.f("fk_signals_working_group_id_working_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_appraisal_id"],
            ["appraisals.id"],
            name=op.f("fk_signals_linked_appraisal_id_appraisals"),
        ),
        sa.ForeignKeyConstraint(
            ["linked_item_id"],
            ["plan_items.id"],
            name=op.f("fk_signals_linked_item_id_plan_items"),
        ),
        sa.UniqueConstraint(
            "working_group_id", "alert_id", name=op.f("uq_signals_working_group_id")
        ),
        sa.CheckConstraint(
            "status IN ('new', 'acknowledged', 'linked')", name=op.f("ck_signals_status")
        ),
        sa.CheckConstraint(
            "(linked_appraisal_id IS NULL) = (linked_insecurity IS NULL)",
            name=op.f("ck_signals_insecurity_link"),
        ),
        sa.CheckConstraint(
            "status <> 'linked' OR linked_appraisal_id IS NOT NULL OR linked_item_id IS NOT NULL",
            name=op.f("ck_signals_linked"),
        ),
    )
    op.create_index(op.f("ix_signals_city"), "signals", ["city"])
    op.create_index(op.f("ix_signals_working_group_id"), "signals", ["working_group_id"])


def downgrade() -> None:
    op.drop_table("signals")
