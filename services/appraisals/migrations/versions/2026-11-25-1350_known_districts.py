"""Local copy of district codes from indicators' geography.updated.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 13:50:00
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
        "known_districts",
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("code", sa.String(50), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("city", "code", name=op.f("pk_known_districts")),
    )


def downgrade() -> None:
    op.drop_table("known_districts")
