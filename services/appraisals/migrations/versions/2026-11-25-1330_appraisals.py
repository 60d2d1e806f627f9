"""Appraisals (versioned series) and their lifecycle transitions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Names spelled out: op.create_table does not apply the metadata's naming convention.
    op.create_table(
        "appraisals",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("working_group_id", sa.Uuid, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("districts", postgresql.ARRAY(sa.String(50)), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("series_id", sa.Uuid, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("corrects_id", sa.Uuid, nullable=True),
        sa.Column("correction_reason", sa.Text, nullable=True),
        sa.Column("insecurities", postgresql.JSONB, nullable=False),
        sa.Column("root_causes", postgresql.JSONB, nullable=False),
        sa.Column("capacities", postgresql.JSONB, nullable=False),
        sa.Column("priorities", postgresql.JSONB, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("finalized_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisals")),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_groups.id"],
            name=op.f("fk_appraisals_working_group_id_working_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["appraisals.id"], name=op.f("fk_appraisals_corrects_id_appraisals")
        ),
        sa.UniqueConstraint("series_id", "sequence", name=op.f("uq_appraisals_series_id")),
        sa.CheckConstraint(
            "status IN ('draft', 'in_review', 'finalized')", name=op.f("ck_appraisals_status")
        ),
        sa.CheckConstraint(
            "(status = 'finalized') = (finalized_at IS NOT NULL)",
            name=op.f("ck_appraisals_finalized_at"),
        ),
        sa.CheckConstraint("sequence >= 1", name=op.f("ck_appraisals_sequence")),
    )
    op.create_index(op.f("ix_appraisals_city"), "appraisals", ["city"])
    op.create_index(op.f("ix_appraisals_working_group_id"), "appraisals", ["working_group_id"])
    op.create_index(op.f("ix_appraisals_series_id"), "appraisals", ["series_id"])
    op.create_table(
        "appraisal_transitions",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("appraisal_id", sa.Uuid, nullable=False),
        sa.Column("from_status", sa.String(20), nullable=False),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column(
            "occurred_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_transitions")),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisals.id"],
            name=op.f("fk_appraisal_transitions_appraisal_id_appraisals"),
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        op.f("ix_appraisal_transitions_appraisal_id"), "appraisal_transitions", ["appraisal_id"]
    )


def downgrade() -> None:
    op.drop_table("appraisal_transitions")
    op.drop_table("appraisals")
