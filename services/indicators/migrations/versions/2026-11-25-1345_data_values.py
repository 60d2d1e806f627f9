"""Data values per data element, district, period and disaggregation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 13:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_values",
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("data_element_code", sa.String(50), nullable=False),
        sa.Column("district_code", sa.String(50), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("sex", sa.String(20), nullable=False),
        sa.Column("age_band", sa.String(20), nullable=False),
        sa.Column("disability", sa.String(30), nullable=False),
        sa.Column("value", sa.Numeric, nullable=False),
        sa.Column("source", sa.String(200), nullable=True),
        sa.Column("quality", sa.String(20), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint(
            "city", "data_element_code", "district_code", "period", "sex", "age_band", "disability"
        ),
    )
    op.create_index("ix_data_values_city_period", "data_values", ["city", "period"])


def downgrade() -> None:
    op.drop_index("ix_data_values_city_period", table_name="data_values")
    op.drop_table("data_values")
