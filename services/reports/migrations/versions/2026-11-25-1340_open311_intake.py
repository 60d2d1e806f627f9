"""What Open311 intake needs: address-only reports, media URLs and the channel.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("reports", "latitude", nullable=True)
    op.alter_column("reports", "longitude", nullable=True)
    op.add_column("reports", sa.Column("address_string", sa.String(500), nullable=True))
    op.add_column("reports", sa.Column("address_id", sa.String(100), nullable=True))
    op.add_column(
        "reports",
        sa.Column(
            "media_urls", postgresql.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")
        ),
    )
    op.alter_column("reports", "media_urls", server_default=None)
    op.add_column(
        "reports",
        sa.Column("channel", sa.String(20), nullable=False, server_default=sa.text("'api'")),
    )
    op.alter_column("reports", "channel", server_default=None)
    op.create_check_constraint(
        op.f("ck_reports_coordinates_paired"), "reports", "(latitude IS NULL) = (longitude IS NULL)"
    )
    op.create_check_constraint(
        op.f("ck_reports_located"),
        "reports",
        "latitude IS NOT NULL OR address_string IS NOT NULL OR address_id IS NOT NULL",
    )
    op.create_check_constraint(
        op.f("ck_reports_channel"), "reports", "channel IN ('api', 'web', 'app', 'open311')"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_reports_channel"), "reports", type_="check")
    op.drop_constraint(op.f("ck_reports_located"), "reports", type_="check")
    op.drop_constraint(op.f("ck_reports_coordinates_paired"), "reports", type_="check")
    op.drop_column("reports", "channel")
    op.drop_column("reports", "media_urls")
    op.drop_column("reports", "address_id")
    op.drop_column("reports", "address_string")
    # The older schema needs coordinates: address-only reports cannot go back.
    op.execute("DELETE FROM reports WHERE latitude IS NULL")
    op.alter_column("reports", "longitude", nullable=False)
    op.alter_column("reports", "latitude", nullable=False)
