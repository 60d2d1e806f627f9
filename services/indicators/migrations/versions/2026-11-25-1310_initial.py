"""Districts, report counts, the city directory and the kit's tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from usmkit.tables import create_kit_tables, drop_kit_tables
from usmkit.tenancy import create_city_directory

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_kit_tables(op.get_bind())
    create_city_directory(op.get_bind())
    op.create_table(
        "districts",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("code", sa.String(50), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("boundary", JSONB, nullable=True),
        sa.Column("population", sa.Integer, nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.UniqueConstraint("city", "code"),
    )
    op.create_table(
        "report_counts",
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("district_code", sa.String(50), nullable=False),
        sa.Column("category_code", sa.String(50), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("city", "district_code", "category_code", "period"),
    )


def downgrade() -> None:
    op.drop_table("report_counts")
    op.drop_table("districts")
    op.drop_table("known_cities")
    drop_kit_tables(op.get_bind())
