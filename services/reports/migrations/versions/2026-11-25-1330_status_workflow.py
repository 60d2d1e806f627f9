"""The status workflow: every state, report versions, and the status history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = (
    "submitted",
    "under_review",
    "accepted",
    "rejected",
    "in_progress",
    "resolved",
    "closed",
)
STATUS_IN = "IN (" + ", ".join(f"'{status}'" for status in STATUSES) + ")"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_reports_status"), "reports", type_="check")
    op.create_check_constraint(op.f("ck_reports_status"), "reports", f"status {STATUS_IN}")
    op.add_column(
        "reports",
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.add_column(
        "reports", sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1"))
    )
    op.alter_column("reports", "version", server_default=None)
    op.create_table(
        "report_status_changes",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("report_id", sa.Uuid, nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("public_note", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_status_changes")),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_status_changes_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            f"to_status {STATUS_IN}", name=op.f("ck_report_status_changes_to_status")
        ),
        sa.CheckConstraint(
            "char_length(public_note) <= 1000",
            name=op.f("ck_report_status_changes_public_note_length"),
        ),
    )
    op.create_index(
        "ix_report_status_changes_report_id_changed_at",
        "report_status_changes",
        ["report_id", "changed_at", "id"],
    )
    # Reports received before the workflow existed get their first history entry.
    op.execute(
        "INSERT INTO report_status_changes (id, report_id, from_status, to_status, actor, "
        "changed_at, public_note) SELECT gen_random_uuid(), id, NULL, 'submitted', 'reporter', "
        "submitted_at, NULL FROM reports"
    )


def downgrade() -> None:
    op.drop_index(
        "ix_report_status_changes_report_id_changed_at", table_name="report_status_changes"
    )
    op.drop_table("report_status_changes")
    op.drop_column("reports", "version")
    op.drop_column("reports", "updated_at")
    # The older schema knew one state only.
    op.execute("UPDATE reports SET status = 'submitted' WHERE status <> 'submitted'")
    op.drop_constraint(op.f("ck_reports_status"), "reports", type_="check")
    op.create_check_constraint(op.f("ck_reports_status"), "reports", "status IN ('submitted')")
