"""Member cities, knowledge items and the kit's tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from usmkit.tables import create_kit_tables, drop_kit_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_kit_tables(op.get_bind())
    op.create_table(
        "cities",
        sa.Column("slug", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("country_code", sa.String(2), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("member_since", sa.Date, nullable=False, server_default=sa.func.current_date()),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "knowledge_items",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("origin_city", sa.String(100), nullable=False, index=True),
        sa.Column("origin_ref", sa.String(200), nullable=False, unique=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column(
            "published_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    op.drop_table("knowledge_items")
    op.drop_table("cities")
    drop_kit_tables(op.get_bind())
