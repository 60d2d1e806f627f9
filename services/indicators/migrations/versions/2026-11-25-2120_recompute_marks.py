"""The snapshot each period's last recompute computed from, so redundant ones are skipped.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recompute_marks",
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("snapshot", sa.Text, nullable=False),
        sa.Column(
            "recomputed_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("city", "period"),
    )


def downgrade() -> None:
    op.drop_table("recompute_marks")
