"""Idempotency keys for the admin API's POSTs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:45:00
"""

from collections.abc import Sequence

from alembic import op

from usmkit.db import new_metadata
from usmkit.tables import define_idempotency_table

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    metadata = new_metadata()
    define_idempotency_table(metadata)
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    op.drop_table("idempotency_keys")
