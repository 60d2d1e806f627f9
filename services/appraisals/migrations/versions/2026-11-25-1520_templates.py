"""Appraisal templates, and the template an appraisal was made from.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 15:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Names spelled out: op.create_table does not apply the metadata's naming convention.
    op.create_table(
        "appraisal_templates",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("sections", postgresql.JSONB, nullable=False),
        sa.Column("default_affected_groups", postgresql.ARRAY(sa.String(200)), nullable=False),
        sa.Column("scales", postgresql.JSONB, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_templates")),
        sa.UniqueConstraint("city", "name", name=op.f("uq_appraisal_templates_city")),
        sa.CheckConstraint(
            "status IN ('active', 'retired')", name=op.f("ck_appraisal_templates_status")
        ),
    )
    op.create_index(op.f("ix_appraisal_templates_city"), "appraisal_templates", ["city"])
    op.add_column("appraisals", sa.Column("template_id", sa.Uuid, nullable=True))
    op.create_foreign_key(
        op.f("fk_appraisals_template_id_appraisal_templates"),
        "appraisals",
        "appraisal_templates",
        ["template_id"],
        ["id"],
    )
    op.create_index(op.f("ix_appraisals_template_id"), "appraisals", ["template_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_appraisals_template_id"), "appraisals")
    op.drop_constraint(
        op.f("fk_appraisals_template_id_appraisal_templates"), "appraisals", type_="foreignkey"
    )
    op.drop_column("appraisals", "template_id")
    op.drop_table("appraisal_templates")
