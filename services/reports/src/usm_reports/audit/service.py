"""The append-only log of staff reading raw sensitive data (ARCHITECTURE §5).

Callers record in the transaction that reads the data, so a read that commits is logged
and a logged read that rolls back never happened either.
"""

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.audit.repository import AuditRepository
from usm_reports.models import Report
from usmkit.auth import Principal

SENSITIVE_READ_SCOPE = "reports:sensitive:read"


def reveals_sensitive(report: Report, principal: Principal) -> bool:
    """Whether a staff view of this report shows its raw sensitive data to this caller."""
    return report.sensitivity == "sensitive" and principal.has_scope(SENSITIVE_READ_SCOPE)


async def record_reads(
    *, session: AsyncSession, principal: Principal, reports: Iterable[Report], action: str
) -> None:
    """One audit entry per report read by `principal` through `action`."""
    now = datetime.now(UTC)
    await AuditRepository(session).add_all(
        [
            {
                "id": uuid.uuid4(),
                "city": report.city,
                "report_id": report.id,
                "actor": principal.subject,
                "client_id": principal.client_id,
                "action": action,
                "request_id": principal.request_id,
                "read_at": now,
            }
            for report in reports
        ]
    )


async def record_sensitive_reads(
    *, session: AsyncSession, principal: Principal, reports: Iterable[Report], action: str
) -> None:
    """Log the reports among `reports` whose raw sensitive data this caller is shown."""
    await record_reads(
        session=session,
        principal=principal,
        reports=[report for report in reports if reveals_sensitive(report, principal)],
        action=action,
    )
