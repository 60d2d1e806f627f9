"""The API key a peer's gateway issued to this node, sealed like the shared secret.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("peers", sa.Column("api_key_sealed", sa.LargeBinary))


def downgrade() -> None:
    op.drop_column("peers", "api_key_sealed")
