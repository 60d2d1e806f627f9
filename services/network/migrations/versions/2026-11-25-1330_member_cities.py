"""Member cities in full (names, region, population, membership, languages, time zone,
contacts, origin node) and partnerships between cities.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cities", sa.Column("name_es", sa.String(200)))
    op.add_column("cities", sa.Column("region", sa.String(200)))
    op.add_column("cities", sa.Column("population", sa.BigInteger))
    op.add_column("cities", sa.Column("member_until", sa.Date))
    op.add_column(
        "cities",
        sa.Column(
            "languages", postgresql.ARRAY(sa.String(2)), nullable=False, server_default="{en}"
        ),
    )
    op.add_column(
        "cities", sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC")
    )
    op.add_column(
        "cities",
        sa.Column("contacts", postgresql.JSONB, nullable=False, server_default="[]"),
    )
    op.add_column("cities", sa.Column("origin_node", sa.String(100)))
    op.add_column(
        "cities",
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_table(
        "partnerships",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("city_a", sa.String(100), nullable=False, index=True),
        sa.Column("city_b", sa.String(100), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("since", sa.Date, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.UniqueConstraint("city_a", "city_b", "kind"),
        sa.CheckConstraint("city_a < city_b", name="ordered_pair"),
    )


def downgrade() -> None:
    op.drop_table("partnerships")
    for column in (
        "updated_at",
        "origin_node",
        "contacts",
        "time_zone",
        "languages",
        "member_until",
        "population",
        "region",
        "name_es",
    ):
        op.drop_column("cities", column)
