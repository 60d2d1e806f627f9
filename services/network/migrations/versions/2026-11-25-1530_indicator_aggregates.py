"""Public indicator aggregates of member cities (local and synced), for benchmarks.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indicator_aggregates",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("period", sa.String(10), nullable=False, index=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("indicators", postgresql.JSONB, nullable=False),
        sa.Column("index", postgresql.JSONB),
        sa.Column("origin_node", sa.String(100)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.UniqueConstraint("city", "period"),
    )


def downgrade() -> None:
    op.drop_table("indicator_aggregates")
