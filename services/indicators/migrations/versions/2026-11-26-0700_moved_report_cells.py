"""Report-count cells moved since the last announcement, announced together on a schedule.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "moved_report_cells",
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("district_code", sa.String(50), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.PrimaryKeyConstraint("city", "district_code", "period"),
    )


def downgrade() -> None:
    op.drop_table("moved_report_cells")
