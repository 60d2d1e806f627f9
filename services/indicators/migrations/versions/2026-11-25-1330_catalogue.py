"""The indicator catalogue: data elements, indicators, per-city settings; loads the platform's.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

from usm_indicators.catalogue.loader import load_platform_catalogue

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_elements",
        sa.Column("code", sa.String(50), primary_key=True),
        sa.Column("name_en", sa.String(300), nullable=False),
        sa.Column("name_es", sa.String(300), nullable=False),
        sa.Column("value_type", sa.String(20), nullable=False),
        sa.Column("aggregation", sa.String(20), nullable=False),
        sa.Column("disaggregations", ARRAY(sa.String(20)), nullable=False),
    )
    op.create_table(
        "indicators",
        sa.Column("id", sa.Uuid, primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("code", sa.String(50), nullable=False),
        sa.Column("name_en", sa.String(300), nullable=False),
        sa.Column("name_es", sa.String(300), nullable=False),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("dimension", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(100), nullable=False),
        sa.Column("direction", sa.String(20), nullable=False),
        sa.Column("numerator", sa.String(1000), nullable=False),
        sa.Column("denominator", sa.String(1000), nullable=True),
        sa.Column("multiplier", sa.Numeric, nullable=False),
        sa.Column("goalpost_min", sa.Numeric, nullable=False),
        sa.Column("goalpost_max", sa.Numeric, nullable=False),
        sa.Column("standard", sa.String(100), nullable=True),
        sa.Column("sdmx_series", sa.String(50), nullable=True),
        sa.Column("sensitivity", sa.String(20), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.UniqueConstraint("city", "code"),
        sa.CheckConstraint("goalpost_min < goalpost_max", name="goalposts_ordered"),
    )
    op.create_table(
        "city_indicator_settings",
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("code", sa.String(50), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("city", "code"),
    )
    load_platform_catalogue(op.get_bind())


def downgrade() -> None:
    op.drop_table("city_indicator_settings")
    op.drop_table("indicators")
    op.drop_table("data_elements")
