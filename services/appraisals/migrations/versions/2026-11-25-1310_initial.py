"""Lessons learned, the local city directory and the kit's tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

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
        "lessons",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("city", sa.String(100), nullable=False, index=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        # Names spelled out: op.create_table does not apply the metadata's naming convention.
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lessons")),
        sa.CheckConstraint("status IN ('draft', 'published')", name=op.f("ck_lessons_status")),
        sa.CheckConstraint(
            "(status = 'published') = (published_at IS NOT NULL)",
            name=op.f("ck_lessons_published_at"),
        ),
    )


def downgrade() -> None:
    op.drop_table("lessons")
    op.drop_table("known_cities")
    drop_kit_tables(op.get_bind())
