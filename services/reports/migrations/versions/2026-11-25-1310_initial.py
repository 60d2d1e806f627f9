"""Reports, the local copies of cities and districts, and the kit's tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

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
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("code", sa.String(50), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("boundary", postgresql.JSONB, nullable=True),
        sa.PrimaryKeyConstraint("city", "code", name=op.f("pk_districts")),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("category_code", sa.String(50), nullable=False),
        sa.Column("sensitivity", sa.String(10), nullable=False),
        sa.Column("latitude", sa.Double, nullable=False),
        sa.Column("longitude", sa.Double, nullable=False),
        sa.Column("district_code", sa.String(50), nullable=True),
        sa.Column("outside_districts", sa.Boolean, nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("tracking_code_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column(
            "submitted_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("tracking_code_hash", name=op.f("uq_reports_tracking_code_hash")),
        sa.CheckConstraint(
            "sensitivity IN ('normal', 'sensitive')", name=op.f("ck_reports_sensitivity")
        ),
        sa.CheckConstraint("status IN ('submitted')", name=op.f("ck_reports_status")),
        sa.CheckConstraint("latitude BETWEEN -90 AND 90", name=op.f("ck_reports_latitude")),
        sa.CheckConstraint("longitude BETWEEN -180 AND 180", name=op.f("ck_reports_longitude")),
        sa.CheckConstraint(
            "char_length(description) <= 4000", name=op.f("ck_reports_description_length")
        ),
        sa.CheckConstraint(
            "outside_districts = (district_code IS NULL)",
            name=op.f("ck_reports_district_or_outside"),
        ),
    )
    op.create_index("ix_reports_city_submitted_at", "reports", ["city", "submitted_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_reports_city_submitted_at", table_name="reports")
    op.drop_table("reports")
    op.drop_table("districts")
    op.drop_table("known_cities")
    drop_kit_tables(op.get_bind())
