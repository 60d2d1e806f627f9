import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from usm_reports.models import Base


class SensitiveReadAudit(Base):
    """One reading of a sensitive report's raw data (exact location, free text) or of a
    reporter's contact details by staff (ARCHITECTURE §5).

    Append-only: the migration installs a trigger that refuses UPDATE and DELETE.
    """

    __tablename__ = "sensitive_read_audit"
    __table_args__ = (
        Index("ix_sensitive_read_audit_city_read_at", "city", "read_at", "id"),
        Index("ix_sensitive_read_audit_report_id", "report_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    city: Mapped[str] = mapped_column(String(100))
    # No foreign key: the log outlives whatever happens to the report.
    report_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # Who: the principal's subject and API client as the gateway established them.
    actor: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[str | None] = mapped_column(String(200))
    # What: the operation that revealed the data (`report.read`, `contact.read`, ...).
    action: Mapped[str] = mapped_column(String(50))
    # The gateway's request id, to find the request in the access logs.
    request_id: Mapped[str | None] = mapped_column(String(200))
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
