"""Categories per city (Open311 services) and the answers to their attributes on reports.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMENSIONS = ("economic", "food", "health", "environmental", "personal", "community", "political")


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("code", sa.String(50), nullable=False),
        sa.Column("names", postgresql.JSONB, nullable=False),
        sa.Column("descriptions", postgresql.JSONB, nullable=False),
        sa.Column("group_name", sa.String(100), nullable=True),
        sa.Column("keywords", postgresql.JSONB, nullable=False),
        sa.Column("dimension", sa.String(20), nullable=False),
        sa.Column("sensitivity", sa.String(10), nullable=False),
        sa.Column("attributes", postgresql.JSONB, nullable=False),
        sa.Column("agency_responsible", sa.String(200), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("city", "code", name=op.f("pk_categories")),
        sa.CheckConstraint(
            "sensitivity IN ('normal', 'sensitive')", name=op.f("ck_categories_sensitivity")
        ),
        sa.CheckConstraint(
            "dimension IN (" + ", ".join(f"'{name}'" for name in DIMENSIONS) + ")",
            name=op.f("ck_categories_dimension"),
        ),
    )
    op.add_column(
        "reports",
        sa.Column(
            "attributes",
            postgresql.JSONB,
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
    )
    op.alter_column("reports", "attributes", server_default=None)


def downgrade() -> None:
    op.drop_column("reports", "attributes")
    op.drop_table("categories")
