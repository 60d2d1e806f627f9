"""Indicator targets from Human Security Plans.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indicator_targets",
        sa.Column("plan_id", sa.Uuid, nullable=False),
        sa.Column("action_id", sa.Uuid, nullable=False),
        sa.Column("indicator_code", sa.String(100), nullable=False),
        sa.Column("district_code", sa.String(50), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("plan_title", sa.String(300), nullable=False),
        sa.Column("series_id", sa.Uuid, nullable=True),
        sa.Column("revision", sa.Integer, nullable=True),
        sa.Column("baseline", sa.Numeric, nullable=False),
        sa.Column("target", sa.Numeric, nullable=False),
        sa.Column("unit", sa.String(50), nullable=True),
        sa.Column("target_date", sa.Date, nullable=True),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "action_id", "indicator_code", "district_code"),
    )
    op.create_index("ix_indicator_targets_city", "indicator_targets", ["city"])


def downgrade() -> None:
    op.drop_index("ix_indicator_targets_city", table_name="indicator_targets")
    op.drop_table("indicator_targets")
