"""Computed indicator values and index scores, kept by the set-wise recompute.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "computed_layouts",
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("indicator_codes", ARRAY(sa.String(50)), nullable=False),
        sa.Column("signature", sa.String(64), nullable=False),
        sa.Column(
            "computed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("city"),
    )
    op.create_table(
        "computed_values",
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("district_code", sa.String(50), nullable=False),
        sa.Column("indicator_values", ARRAY(sa.Double), nullable=False),
        sa.Column("numerators", ARRAY(sa.Double), nullable=False),
        sa.Column("denominators", ARRAY(sa.Double), nullable=False),
        sa.Column("dimension_scores", ARRAY(sa.Double), nullable=False),
        sa.Column("dimension_with_data", ARRAY(sa.Integer), nullable=False),
        sa.Column("public_dimension_scores", ARRAY(sa.Double), nullable=False),
        sa.Column("public_dimension_with_data", ARRAY(sa.Integer), nullable=False),
        sa.Column("score", sa.Double, nullable=True),
        sa.Column("with_data", sa.Integer, nullable=False),
        sa.Column("public_score", sa.Double, nullable=True),
        sa.Column("public_with_data", sa.Integer, nullable=False),
        sa.Column("public_cells", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("city", "period", "district_code"),
        postgresql_with={"toast_tuple_target": 8160},
    )


def downgrade() -> None:
    op.drop_table("computed_values")
    op.drop_table("computed_layouts")
