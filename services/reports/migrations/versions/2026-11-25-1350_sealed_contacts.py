"""Reporters' contact details, sealed (AES-GCM) by the service before they are stored.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reports", sa.Column("contact_sealed", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    op.drop_column("reports", "contact_sealed")
