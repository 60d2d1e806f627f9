"""City-to-city sync: peers, the change feed, seen nonces and sync runs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 14:00:00
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
    op.create_table(
        "peers",
        sa.Column("node_id", sa.String(100), primary_key=True),
        sa.Column("base_url", sa.String(500), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary, nullable=False),
        sa.Column("shares", postgresql.ARRAY(sa.String(30)), nullable=False),
        sa.Column("accepts", postgresql.ARRAY(sa.String(30)), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("cursor", sa.String(100)),
        sa.Column("last_run_at", sa.DateTime(timezone=True)),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_table(
        "sync_changes",
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("record_type", sa.String(30), nullable=False),
        sa.Column("record_id", sa.String(100), nullable=False),
        sa.Column("origin_node", sa.String(100)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("payload", postgresql.JSONB),
        sa.Column(
            "changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.UniqueConstraint("record_type", "record_id"),
    )
    op.create_table(
        "sync_nonces",
        sa.Column("node_id", sa.String(100), nullable=False),
        sa.Column("nonce", sa.String(100), nullable=False),
        sa.Column(
            "seen_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
            index=True,
        ),
        sa.PrimaryKeyConstraint("node_id", "nonce"),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("peer_node_id", sa.String(100), nullable=False, index=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("received", sa.Integer, nullable=False),
        sa.Column("applied", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Integer, nullable=False),
        sa.Column("skipped", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("sync_runs")
    op.drop_table("sync_nonces")
    op.drop_table("sync_changes")
    op.drop_table("peers")
