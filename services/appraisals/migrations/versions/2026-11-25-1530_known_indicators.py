"""Local copy of the indicator codes indicators publishes for each city.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "known_indicators",
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("code", sa.String(50), nullable=False),
        sa.PrimaryKeyConstraint("city", "code", name=op.f("pk_known_indicators")),
    )


def downgrade() -> None:
    op.drop_table("known_indicators")
