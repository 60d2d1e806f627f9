"""H3 cells, duplicates, the audit of sensitive reads, contact retention and SMS intake.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 14:00:00
"""

from collections.abc import Sequence

import h3
import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Fixed here, not imported: a migration must keep meaning what it meant when written.
H3_RESOLUTION = 9


def upgrade() -> None:
    op.add_column("reports", sa.Column("h3_cell", sa.String(16), nullable=True))
    op.add_column(
        "reports", sa.Column("contact_purged_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("reports", sa.Column("merged_into_id", sa.Uuid, nullable=True))
    op.add_column("reports", sa.Column("merged_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_reports_merged_into_id_reports"), "reports", "reports", ["merged_into_id"], ["id"]
    )
    op.create_check_constraint(
        op.f("ck_reports_merge_paired"), "reports", "(merged_into_id IS NULL) = (merged_at IS NULL)"
    )
    op.create_check_constraint(
        op.f("ck_reports_not_merged_into_itself"), "reports", "merged_into_id <> id"
    )
    op.drop_constraint(op.f("ck_reports_channel"), "reports", type_="check")
    op.create_check_constraint(
        op.f("ck_reports_channel"), "reports", "channel IN ('api', 'web', 'app', 'open311', 'sms')"
    )
    op.create_index(
        "ix_reports_city_category_code_submitted_at",
        "reports",
        ["city", "category_code", "submitted_at"],
    )
    op.create_index("ix_reports_city_h3_cell", "reports", ["city", "h3_cell"])
    connection = op.get_bind()
    located = connection.execute(
        sa.text("SELECT id, latitude, longitude FROM reports WHERE latitude IS NOT NULL")
    ).all()
    for report_id, latitude, longitude in located:
        connection.execute(
            sa.text("UPDATE reports SET h3_cell = :cell WHERE id = :id"),
            {"cell": h3.latlng_to_cell(latitude, longitude, H3_RESOLUTION), "id": report_id},
        )

    op.add_column("report_status_changes", sa.Column("merged_into_id", sa.Uuid, nullable=True))
    op.create_foreign_key(
        op.f("fk_report_status_changes_merged_into_id_reports"),
        "report_status_changes",
        "reports",
        ["merged_into_id"],
        ["id"],
    )

    op.create_table(
        "sensitive_read_audit",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("report_id", sa.Uuid, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=True),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("request_id", sa.String(200), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensitive_read_audit")),
    )
    op.create_index(
        "ix_sensitive_read_audit_city_read_at", "sensitive_read_audit", ["city", "read_at", "id"]
    )
    op.create_index("ix_sensitive_read_audit_report_id", "sensitive_read_audit", ["report_id"])
    # Append-only in the database itself, not only by the service's good manners.
    op.execute(
        """
        CREATE FUNCTION sensitive_read_audit_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'sensitive_read_audit is append-only';
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        """
        CREATE TRIGGER sensitive_read_audit_append_only
        BEFORE UPDATE OR DELETE ON sensitive_read_audit
        FOR EACH ROW EXECUTE FUNCTION sensitive_read_audit_append_only()
        """
    )

    op.create_table(
        "sms_receipts",
        sa.Column("signature_hash", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("signature_hash", name=op.f("pk_sms_receipts")),
    )
    op.create_index("ix_sms_receipts_received_at", "sms_receipts", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_sms_receipts_received_at", table_name="sms_receipts")
    op.drop_table("sms_receipts")
    op.execute("DROP TRIGGER sensitive_read_audit_append_only ON sensitive_read_audit")
    op.execute("DROP FUNCTION sensitive_read_audit_append_only()")
    op.drop_index("ix_sensitive_read_audit_report_id", table_name="sensitive_read_audit")
    op.drop_index("ix_sensitive_read_audit_city_read_at", table_name="sensitive_read_audit")
    op.drop_table("sensitive_read_audit")
    op.drop_constraint(
        op.f("fk_report_status_changes_merged_into_id_reports"),
        "report_status_changes",
        type_="foreignkey",
    )
    op.drop_column("report_status_changes", "merged_into_id")
    op.drop_index("ix_reports_city_h3_cell", table_name="reports")
    op.drop_index("ix_reports_city_category_code_submitted_at", table_name="reports")
    # SMS reports cannot go back to a schema without the channel (their history goes with
    # them by cascade); links to them are cut first.
    op.execute(
        "UPDATE reports SET merged_into_id = NULL, merged_at = NULL "
        "WHERE merged_into_id IN (SELECT id FROM reports WHERE channel = 'sms')"
    )
    op.execute("DELETE FROM reports WHERE channel = 'sms'")
    op.drop_constraint(op.f("ck_reports_channel"), "reports", type_="check")
    op.create_check_constraint(
        op.f("ck_reports_channel"), "reports", "channel IN ('api', 'web', 'app', 'open311')"
    )
    op.drop_constraint(op.f("ck_reports_not_merged_into_itself"), "reports", type_="check")
    op.drop_constraint(op.f("ck_reports_merge_paired"), "reports", type_="check")
    op.drop_constraint(op.f("fk_reports_merged_into_id_reports"), "reports", type_="foreignkey")
    op.drop_column("reports", "merged_at")
    op.drop_column("reports", "merged_into_id")
    op.drop_column("reports", "contact_purged_at")
    op.drop_column("reports", "h3_cell")
